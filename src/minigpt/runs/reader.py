"""The reader: a run directory's files, each checked, and the status to believe."""

from __future__ import annotations

import json
import math
import socket
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from minigpt.runs.layout import GRAD_FILE, GRADS, METRICS, STATUSES, SUMMARY, RunError
from minigpt.runs.locks import owned_by_live_writer
from minigpt.runs.strict_json import strict_loads

if TYPE_CHECKING:
    import torch

STALE_AFTER_S = 300  # a heartbeat this old, from another machine, means the writer is gone


def resolve_run(name_or_path: str | Path, out_dir: str | Path = "experiments") -> Path:
    """A run directory from a path or a plain run name (the latest run of that name)."""
    path = Path(name_or_path)
    if not path.exists() and not path.is_absolute() and len(path.parts) == 1:
        path = Path(out_dir) / path
    if not path.is_dir():
        raise RunError(f"no run directory at '{name_or_path}'")
    if not (path / SUMMARY).is_file():
        raise RunError(f"'{path}' is not a run directory (no {SUMMARY})")
    return path


SUMMARY_TYPES = {  # key -> the JSON types a reader accepts there (absent is always allowed)
    "status": (str,), "steps_completed": (int,), "steps_planned": (int,), "failed_step": (int,),
    "failed_in": (str,), "error_type": (str,), "error_message": (str,), "command": (str,),
    "started_at": (str,), "finished_at": (str,), "seed": (int,), "heartbeat": (dict, type(None)),
    "writer": (dict,), "final_val_loss": (int, float, type(None)), "final_test_accuracy": (int, float, type(None)),
    "forward_traceback": (str, type(None)), "wall_time_s": (int, float),
}
JSON_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", dict: "an object", list: "a list",
                   type(None): "null", bool: "true or false"}


def type_names(types: tuple) -> str:
    return " or ".join(dict.fromkeys(JSON_TYPE_NAMES[t] for t in types))




def read_summary(run_path: Path) -> dict:
    """summary.json, checked: an object with a known status and each field of the type it should have."""
    path = run_path / SUMMARY
    try:
        summary = strict_loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise RunError(f"'{path}' cannot be read: {e}") from None
    if not isinstance(summary, dict):
        raise RunError(f"'{path}' is not a run summary: a JSON object was expected, found {json_kind(summary)}")
    if summary.get("status") not in STATUSES:
        raise RunError(f"'{path}' is not a run summary: status is {json.dumps(summary.get('status'))}; "
                       f"allowed: {', '.join(STATUSES)}")
    for key, types in SUMMARY_TYPES.items():
        value = summary.get(key)
        if key in summary and (not isinstance(value, types) or isinstance(value, bool)):
            raise RunError(f"'{path}' has {key} = {json.dumps(value)[:40]}; allowed: {type_names(types)}")
    heartbeat = summary.get("heartbeat")
    if heartbeat is not None and not (isinstance(heartbeat.get("step"), int) and isinstance(heartbeat.get("at"), str)):
        raise RunError(f"'{path}' has a heartbeat without an integer step and a time 'at'")
    if summary["status"] in ("crashed", "interrupted") and not isinstance(summary.get("failed_step"), int):
        raise RunError(f"'{path}' says {summary['status']} but has no integer failed_step")
    return summary


def json_kind(value) -> str:
    return JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def run_status(run_path: Path, summary: dict) -> str:
    """The status to believe: the recorded one, or 'killed' for a 'running' record whose writer is gone."""
    if summary.get("status") != "running":
        return summary.get("status")
    alive = owned_by_live_writer(run_path)
    writer = summary.get("writer") or {}
    if alive is None or writer.get("host") not in (None, socket.gethostname()):
        alive = heartbeat_age_s(summary) < STALE_AFTER_S  # no lock to ask: trust a recent heartbeat
    return "running" if alive else "killed"


def heartbeat_age_s(summary: dict) -> float:
    """Seconds since the last heartbeat (or the start, before the first one)."""
    beat = summary.get("heartbeat") or {"at": summary.get("started_at")}
    try:
        return (datetime.now() - datetime.fromisoformat(beat["at"])).total_seconds()
    except (TypeError, ValueError):
        return math.inf


def status_line(run_path: Path, summary: dict) -> str:
    """The status in words: 'ok', 'crashed in backward at step 0', 'killed or lost (last heartbeat at step N)'."""
    status = run_status(run_path, summary)
    beat = summary.get("heartbeat")
    if status == "killed":
        if beat is None:
            return "killed or lost (no heartbeat: before its first step)"
        return f"killed or lost (last heartbeat at step {beat['step']}, {beat['at']})"
    if status == "running":
        return f"running (step {beat['step'] if beat else 0} of {summary.get('steps_planned', '?')})"
    if status in ("crashed", "interrupted"):
        return f"{status} in {summary.get('failed_in', '?')} at step {summary['failed_step']}"
    return status


METRIC_NUMBERS = ("loss", "val_loss", "test_accuracy", "tokens_per_s")


def read_metrics(run_path: Path) -> list[dict]:
    """Every metrics record, checked; a last line cut short by a hard kill is skipped."""
    path = run_path / METRICS
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as e:
        raise RunError(f"'{path}' cannot be read: {e}") from None
    lines = text.split("\n")
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = strict_loads(line)
        except ValueError:
            if number == len(lines):  # no newline after it: the writer died mid-line
                continue
            raise RunError(f"'{path}' line {number} is not JSON") from None
        if not isinstance(record, dict) or not isinstance(record.get("step"), int) or isinstance(record["step"], bool):
            raise RunError(f"'{path}' line {number} is not a metrics record (an object with an integer step)")
        for key in METRIC_NUMBERS:
            value = record.get(key)
            if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool)):
                raise RunError(f"'{path}' line {number} has {key} = {json.dumps(value)[:40]}; "
                               "allowed: a number or null")
        records.append(record)
    return records


def read_grads(run_path: Path, step: int, as_numpy: bool = False) -> dict[str, torch.Tensor]:
    """The saved gradients of one step (safetensors: nothing is unpickled), as torch or NumPy arrays."""
    if as_numpy:  # NumPy needs no torch import, which keeps reading a record quick
        from safetensors.numpy import load_file
    else:
        from safetensors.torch import load_file

    path = run_path / GRADS / f"step_{step}.safetensors"
    if not path.is_file():
        raise RunError(f"'{run_path}' has no gradients saved at step {step}")
    try:
        return load_file(str(path))
    except Exception as e:  # safetensors raises its own error types for a damaged file
        raise RunError(f"'{path}' is corrupted: {e}") from None


def saved_grad_steps(run_path: Path) -> list[int]:
    """The steps whose gradients this run saved, in order (other files in grads/ are ignored)."""
    grads = run_path / GRADS
    if not grads.is_dir():
        return []
    return sorted(int(m[1]) for p in grads.iterdir() if (m := GRAD_FILE.fullmatch(p.name)))
