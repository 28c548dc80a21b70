"""Strict JSON (RFC 8259): a NaN or infinite float is written as null and named in a "nonfinite" field."""

import json
import math
import os
from pathlib import Path


def finite_json(obj: dict) -> dict:
    """obj with every NaN or infinite float (at any depth) as None, plus a 'nonfinite' field naming them."""
    nonfinite: dict[str, str] = {}

    def clean(value, key: str):
        if isinstance(value, float) and not math.isfinite(value):
            nonfinite[key] = str(value)  # 'nan', 'inf' or '-inf'
            return None
        if isinstance(value, dict):
            return {k: clean(v, f"{key}.{k}" if key else str(k)) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v, f"{key}[{i}]") for i, v in enumerate(value)]
        return value

    cleaned = clean({k: v for k, v in obj.items() if k != "nonfinite"}, "")
    if nonfinite:
        cleaned["nonfinite"] = nonfinite
    return cleaned


def dumps(obj: dict, **kwargs) -> str:
    """json.dumps that never writes NaN or Infinity (see finite_json)."""
    return json.dumps(finite_json(obj), allow_nan=False, ensure_ascii=False, **kwargs)


def write_json(path: Path, obj: dict) -> None:
    """Replace a record's JSON file atomically and strictly: a reader never sees half a file, nor a NaN."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dumps(obj, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def strict_loads(text: str):
    """json.loads that refuses NaN and Infinity, as any strict JSON reader does."""
    def refuse(constant: str):
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)
