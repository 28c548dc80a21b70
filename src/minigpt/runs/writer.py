"""The writer: one run's record, every write leaving the directory readable, even mid-run."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from minigpt.runs.claim import prepare_dir, publish
from minigpt.runs.layout import CONFIG, GRADS, METRICS, RECORD_FILES, STAMP, SUMMARY, WEIGHTS
from minigpt.runs.locks import lock
from minigpt.runs.strict_json import dumps, write_json

if TYPE_CHECKING:  # torch appears in annotations only: reading or claiming a record never imports it
    import torch


def writer_identity() -> dict:
    """Who writes a record: pid and host, so a reader elsewhere knows whose heartbeat it reads."""
    return {"pid": os.getpid(), "host": socket.gethostname()}


@dataclass
class RunDir:
    """Writes one run's record; every write leaves the directory readable, even mid-run.

    It owns its directory (an exclusive lock) until close() or the end of the process.
    """

    path: Path
    lock_fd: Optional[int] = field(default=None, repr=False)

    @classmethod
    def create(cls, out_dir: str | Path, name: str) -> tuple["RunDir", Optional[Path]]:
        """Claim out_dir/name (see the module docstring); returns the run and where an earlier run went.

        The run's path is out_dir/name, or out_dir/name@<start> when a live run of that name owns it.
        """
        started = datetime.now()
        prepared = prepare_dir(out_dir, name)
        (prepared / GRADS).mkdir()
        for empty in RECORD_FILES:
            if empty != SUMMARY:  # written just below, with the writer's identity
                (prepared / empty).touch()
        run = cls(prepared, lock(prepared))
        run.write_summary({"status": "running", "started_at": started.isoformat(timespec="seconds"),
                           "writer": writer_identity(), "heartbeat": None, "steps_completed": 0})
        run.path, moved_to = publish(prepared, Path(out_dir), name, started.strftime(STAMP), keep_live_runs=True)
        return run, moved_to

    def close(self) -> None:
        """Give up ownership: a later run of this name may now move the record aside."""
        if self.lock_fd is not None:
            os.close(self.lock_fd)
            self.lock_fd = None

    def __enter__(self) -> "RunDir":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def write_config(self, config_yaml: str) -> None:
        (self.path / CONFIG).write_text(config_yaml, encoding="utf-8")

    def log(self, record: dict) -> None:
        """Append one metrics record in one write, so a crash loses nothing already computed."""
        line = (dumps(record) + "\n").encode("utf-8")
        fd = os.open(self.path / METRICS, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def save_grads(self, step: int, model: torch.nn.Module) -> None:
        """The gradient of every parameter that got one (a missing name means: no gradient at all)."""
        from safetensors.torch import save_file  # torch loads where tensors are: reading records skips it

        grads = {name: p.grad.detach().cpu().contiguous() for name, p in model.named_parameters()
                 if p.grad is not None}
        path = self.path / GRADS / f"step_{step}.safetensors"
        save_file(grads, str(path.with_suffix(".tmp")), metadata={"step": str(step)})
        os.replace(path.with_suffix(".tmp"), path)  # a reader never sees half a file

    def save_weights(self, model: torch.nn.Module) -> None:
        from safetensors.torch import save_file

        weights = {name: p.detach().cpu().contiguous() for name, p in model.named_parameters()}
        save_file(weights, str(self.path / (WEIGHTS + ".tmp")))
        os.replace(self.path / (WEIGHTS + ".tmp"), self.path / WEIGHTS)

    def write_summary(self, summary: dict) -> None:
        """Replace summary.json atomically: a reader never sees half a file."""
        write_json(self.path / SUMMARY, summary)
