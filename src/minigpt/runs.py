"""The run directory: every run writes a self-describing record, and no run overwrites another.

experiments/25-A/                    the latest run named 25-A (earlier ones: 25-A@<start time>)
  config.yaml                        the resolved config
  metrics.jsonl                      one JSON object per completed step (and its evaluation)
  grads/step_0.safetensors           the gradient of every parameter at each saved step
  weights.safetensors                the weights at the end (or at the crash)
  summary.json                       status, writer, heartbeat, error verbatim, figures
  curves.png                         loss and accuracy curves

Every file and grads/ exist from the moment the directory appears under its name: a record cut short
has them empty (weights.safetensors and curves.png of 0 bytes, metrics.jsonl without a line).

Claiming a name. A run owns its directory while it runs: it holds an exclusive lock (flock) on it,
which the kernel drops when the process ends, however it ends. A new run prepares its directory under
a hidden temporary name, then, under a lock on out_dir, publishes it with an atomic rename:
  - onto the plain name when no live run owns it; whatever was there is renamed name@<its start time>;
  - onto name@<its own start time> when a live run still owns the plain name, which stays with that run
    (a running record is never moved under its writer's feet).
So the plain name is the latest run started while no other run of that name was running.

What summary.json's status means:
  running      the writer is alive (it holds the lock, or, seen from another machine, its heartbeat is
               recent); a reader that finds "running" and no live writer reports `killed`:
               "killed or lost (last heartbeat at step N)"
  ok           every planned step completed
  crashed      an exception stopped it: error_type, error_message, python_traceback, failed_step/_in
  interrupted  Ctrl-C or SIGTERM stopped it: failed_step, failed_in

Counts, for every status but killed: steps_completed = the number of lines in metrics.jsonl = the last
line's step + 1; failed_step = steps_completed (the step in progress, which has no line). A killed run's
steps_completed is its last heartbeat's, at most the number of lines in metrics.jsonl.

JSON is strict (RFC 8259): a NaN or infinite float is written as null, and the object gets a
"nonfinite" field naming each such key with its value ("nan", "inf", "-inf").
"""

from __future__ import annotations  # torch appears in annotations only, never imported for them

import errno
import fcntl
import json
import math
import os
import re
import socket
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional

if TYPE_CHECKING:
    import torch

SUMMARY, CONFIG, METRICS, WEIGHTS, CURVES, GRADS = (
    "summary.json", "config.yaml", "metrics.jsonl", "weights.safetensors", "curves.png", "grads")
RECORD_FILES = (SUMMARY, CONFIG, METRICS, WEIGHTS, CURVES)  # each exists (maybe empty) once a run is published
STATUSES = ("running", "ok", "crashed", "interrupted")  # what a writer records; a reader adds "killed"
STALE_AFTER_S = 300  # a heartbeat this old, from another machine, means the writer is gone
STAMP = "%Y-%m-%dT%H-%M-%S"
GRAD_FILE = re.compile(r"step_(\d+)\.safetensors")


class RunError(ValueError):
    """A run directory that cannot be read: missing, not a run, or corrupted."""


# ---- strict JSON ----

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


# ---- locks ----

def lock(path: Path, exclusive: bool = True, wait: bool = True) -> Optional[int]:
    """An fd holding a flock on `path` (file or directory); None when the file system has no locks.

    Raises BlockingIOError when wait is False and someone else holds a conflicting lock.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        raise
    except OSError as e:
        os.close(fd)
        if e.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL):
            return None
        raise
    return fd


def owned_by_live_writer(path: Path) -> Optional[bool]:
    """True when a live process holds the run's lock, False when none does, None when it cannot be told."""
    try:
        fd = lock(path, exclusive=False, wait=False)
    except BlockingIOError:
        return True
    except OSError:
        return None
    if fd is None:
        return None
    os.close(fd)
    return False


@contextmanager
def locked_dir(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on a directory for the block (claims in it are then one at a time)."""
    fd = lock(path)
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)


# ---- claiming a name ----

def writable_dir_problem(path: str | Path) -> Optional[str]:
    """Why runs cannot be written under `path` (it need not exist yet), or None when they can."""
    path = Path(path)
    if str(path) == "":
        return "an empty path"
    existing = path
    while not existing.exists() and existing != existing.parent:
        if existing.is_symlink():
            return f"'{existing}' is a broken symbolic link"
        existing = existing.parent
    if not existing.is_dir():
        return f"'{existing}' is not a directory"
    try:  # a real write: os.access ignores read-only mounts for root and says nothing of /proc
        os.rmdir(tempfile.mkdtemp(prefix=".write-check-", dir=existing))
    except OSError as e:
        return f"'{existing}' is not writable ({e.strerror or e})"
    return None


def unique_name(out_dir: Path, name: str, stamp: str) -> Path:
    """out_dir/name@stamp, with -2, -3 ... appended while that exists."""
    target, n = out_dir / f"{name}@{stamp}", 1
    while target.exists() or target.is_symlink():
        n += 1
        target = out_dir / f"{name}@{stamp}-{n}"
    return target


def start_stamp(path: Path) -> str:
    """When the run at `path` started (summary.json's started_at), else the time it was last modified."""
    try:
        started = json.loads((path / SUMMARY).read_text(encoding="utf-8"))["started_at"]
        return datetime.fromisoformat(started).strftime(STAMP)
    except (OSError, ValueError, KeyError, TypeError):
        return datetime.fromtimestamp(path.lstat().st_mtime).strftime(STAMP)


def move_aside(path: Path) -> Path:
    """Rename an earlier record to name@<its start time>, never onto another one."""
    target = unique_name(path.parent, path.name, start_stamp(path))
    path.rename(target)
    return target


def publish(prepared: Path, out_dir: Path, name: str, stamp: str,
            keep_live_runs: bool) -> tuple[Path, Optional[Path]]:
    """Rename a prepared directory onto out_dir/name (the earlier one moved aside), under out_dir's lock.

    keep_live_runs: when a live run owns out_dir/name, publish as name@stamp instead and leave it alone.
    Returns (where the directory now is, where the earlier one went).
    """
    plain, moved_to = out_dir / name, None
    with locked_dir(out_dir):
        if plain.exists() or plain.is_symlink():
            if keep_live_runs and plain.is_dir() and owned_by_live_writer(plain):
                target = unique_name(out_dir, name, stamp)
                prepared.rename(target)
                return target, None
            moved_to = move_aside(plain)
        prepared.rename(plain)
    return plain, moved_to


def prepare_dir(out_dir: str | Path, name: str) -> Path:
    """A hidden, empty directory in out_dir (created if needed) to fill before publishing."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{name}.claim-", dir=out_dir))
    except OSError as e:
        raise RunError(f"cannot create a directory in '{out_dir}': {e.strerror or e}") from None


def fresh_dir(out_dir: str | Path, name: str) -> tuple[Path, Optional[Path]]:
    """An empty directory out_dir/name; whatever was there is moved aside first, and where it went returned."""
    prepared = prepare_dir(out_dir, name)
    return publish(prepared, Path(out_dir), name, datetime.now().strftime(STAMP), keep_live_runs=False)


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


# ---- reading records ----

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


def strict_loads(text: str):
    """json.loads that refuses NaN and Infinity, as any strict JSON reader does."""
    def refuse(constant: str):
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


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
                raise RunError(f"'{path}' line {number} has {key} = {json.dumps(value)[:40]}; allowed: a number or null")
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
