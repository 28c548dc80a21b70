"""The lint on code nobody here wrote: findings by severity in real model files, for the README.

    python benchmarks/lint_precision.py     (needs `pip install -e ".[real-models]"`, and timm for its files)

Writes benchmarks/lint_precision.json, which the README renders (`just docs`). Which findings are real
hazards is a reading of the code, not a measurement: the README says so next to the counts.
"""

import importlib.util
import json
from collections import Counter
from importlib.metadata import version
from pathlib import Path

from autograd_doctor import lint_report

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "lint_precision.json"
FILES = {  # package -> its model files read by hand for the README's judgement
    "timm": ["models/resnet.py", "models/vision_transformer.py", "models/efficientnet.py", "models/mobilenetv3.py",
             "models/densenet.py"],
    "transformers": ["models/gpt2/modeling_gpt2.py", "models/bert/modeling_bert.py"],
    "torch": ["nn/modules"],
}


def package_dir(name: str) -> Path | None:
    """Where an installed package lives, without importing it (timm's import needs a matching torchvision)."""
    spec = importlib.util.find_spec(name)
    return Path(spec.origin).parent if spec and spec.origin else None


def measure() -> dict:
    """Lines, files and findings by severity for each package whose files are installed."""
    groups = {}
    for package, files in FILES.items():
        base = package_dir(package)
        paths = [base / f for f in files] if base else []
        if not paths or not all(p.exists() for p in paths):
            continue
        report = lint_report(paths)
        py_files = [p for path in paths for p in ([path] if path.is_file() else sorted(path.rglob("*.py")))]
        groups[package] = {"version": version(package), "files": report.files,
                           "lines": sum(len(p.read_text(encoding="utf-8").splitlines()) for p in py_files),
                           "findings": dict(Counter(f.severity for f in report.findings)),
                           "paths": [f"{package}/{f}" for f in files]}
    return {"command": "python benchmarks/lint_precision.py", "groups": groups}


if __name__ == "__main__":
    OUT.write_text(json.dumps(measure(), indent=2) + "\n")
    print(f"written: {OUT.relative_to(ROOT)}")
