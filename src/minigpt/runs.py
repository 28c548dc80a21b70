"""The run directory: every run writes a self-describing record, and no run overwrites another.

experiments/25-A/                    the latest run named 25-A (earlier ones: 25-A@<start time>)
  config.yaml                        the resolved config
  metrics.jsonl                      one JSON object per step (and per evaluation)
  grads/step_0.safetensors           the gradient of every parameter at each saved step
  weights.safetensors                the weights at the end (or at the crash)
  summary.json                       status ok | crashed | interrupted | running, error verbatim, figures
  curves.png                         loss and accuracy curves
"""

from __future__ import annotations  # torch appears in annotations only, never imported for them

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

SUMMARY, CONFIG, METRICS, WEIGHTS, CURVES, GRADS = (
    "summary.json", "config.yaml", "metrics.jsonl", "weights.safetensors", "curves.png", "grads")


class RunError(ValueError):
    """A run directory that cannot be read: missing, not a run, or corrupted."""


@dataclass
class RunDir:
    """Writes one run's record; every write leaves the directory readable, even mid-run."""

    path: Path

    @classmethod
    def create(cls, out_dir: str | Path, name: str) -> tuple["RunDir", Path | None]:
        """A fresh directory out_dir/name; an earlier run there is moved aside and its new path returned."""
        path, moved_to = fresh_dir(out_dir, name)
        (path / GRADS).mkdir()
        return cls(path), moved_to

    def write_config(self, config_yaml: str) -> None:
        (self.path / CONFIG).write_text(config_yaml, encoding="utf-8")

    def log(self, record: dict) -> None:
        """Append one metrics record and flush it, so a crash loses nothing already computed."""
        with open(self.path / METRICS, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")

    def save_grads(self, step: int, model: torch.nn.Module) -> None:
        """The gradient of every parameter that got one (a missing name means: no gradient at all)."""
        from safetensors.torch import save_file  # torch loads where tensors are: reading records skips it

        grads = {name: p.grad.detach().cpu().contiguous() for name, p in model.named_parameters()
                 if p.grad is not None}
        save_file(grads, str(self.path / GRADS / f"step_{step}.safetensors"), metadata={"step": str(step)})

    def save_weights(self, model: torch.nn.Module) -> None:
        from safetensors.torch import save_file

        weights = {name: p.detach().cpu().contiguous() for name, p in model.named_parameters()}
        save_file(weights, str(self.path / WEIGHTS))

    def write_summary(self, summary: dict) -> None:
        """Replace summary.json atomically: a reader never sees half a file."""
        tmp = self.path / (SUMMARY + ".tmp")
        tmp.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, self.path / SUMMARY)


def fresh_dir(out_dir: str | Path, name: str) -> tuple[Path, Path | None]:
    """Create out_dir/name empty; whatever was there is moved aside first, and where it went returned."""
    path = Path(out_dir) / name
    moved_to = move_aside(path) if path.exists() else None
    path.mkdir(parents=True)
    return path, moved_to


def move_aside(path: Path) -> Path:
    """Rename an earlier run to name@<its start time>, never onto another run."""
    stamp = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%dT%H-%M-%S")
    try:
        stamp = json.loads((path / SUMMARY).read_text())["started_at"].replace(":", "-")
    except (OSError, ValueError, KeyError):
        pass
    target, n = path.with_name(f"{path.name}@{stamp}"), 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}@{stamp}-{n}")
    path.rename(target)
    return target


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


def read_summary(run_path: Path) -> dict:
    try:
        return json.loads((run_path / SUMMARY).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise RunError(f"'{run_path / SUMMARY}' cannot be read: {e}") from None


def read_metrics(run_path: Path) -> list[dict]:
    """Every metrics record; a line cut short by a hard kill at the end is skipped."""
    path = run_path / METRICS
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
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
    """The steps whose gradients this run saved, in order."""
    return sorted(int(p.stem.removeprefix("step_")) for p in (run_path / GRADS).glob("step_*.safetensors"))
