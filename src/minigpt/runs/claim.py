"""Claiming a name: prepare under a hidden name, then publish with an atomic rename under out_dir's lock."""

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Optional

from minigpt.runs.layout import STAMP, SUMMARY, RunError
from minigpt.runs.locks import locked_dir, owned_by_live_writer


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
