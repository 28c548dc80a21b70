"""A run stopped by a signal at a random step leaves a readable record whose status and counts tell the truth."""

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from minigpt.runs import read_metrics, read_summary, run_status, status_line
from tests.conftest import TINY
from tests.run_records import ROOT, assert_record_complete, start_driver

SEED = random.randrange(2**32)  # printed on failure: rerun the same steps with KILL_SEED=<n>
RNG = random.Random(int(os.environ.get("KILL_SEED", SEED)))


def wait_for_lines(metrics: Path, lines: int, process: subprocess.Popen, timeout: float = 120) -> None:
    """Until metrics.jsonl holds at least `lines` lines (the process must still be training)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert process.poll() is None, process.communicate()
        if metrics.exists() and metrics.read_text().count("\n") >= lines:
            return
        time.sleep(0.02)
    pytest.fail(f"no {lines} metrics lines in {timeout} s")


def stop(process: subprocess.Popen, how: str) -> None:
    """Send the signal the way a user, a shell or a CI runner does."""
    if how == "SIGTERM to the process group":
        os.killpg(process.pid, signal.SIGTERM)
    else:
        process.send_signal(getattr(signal, how))


def check_stopped_record(path: Path, how: str, returncode: int) -> None:
    """Interrupted with exit 130 for SIGINT and SIGTERM; for SIGKILL, a record that reads as killed."""
    summary = assert_record_complete(path)
    if how == "SIGKILL":
        assert returncode == -signal.SIGKILL
        assert summary["status"] == "running" and run_status(path, summary) == "killed"
        assert status_line(path, summary).startswith("killed or lost (")
    else:
        assert returncode == 130, how
        assert summary["status"] == "interrupted" and (path / "weights.safetensors").stat().st_size > 0


@pytest.mark.parametrize("how", [pytest.param("SIGINT", marks=pytest.mark.slow),
                                 pytest.param("SIGTERM to the process group", marks=pytest.mark.slow),
                                 "SIGKILL"])  # SIGINT in-process: test_attack.py case 4; SIGTERM: test_cli_train
def test_a_signal_at_a_random_step_leaves_a_truthful_record(tmp_path, how):
    lines = RNG.randrange(1, 25)
    process = start_driver(tmp_path)
    wait_for_lines(tmp_path / "run" / "metrics.jsonl", lines, process)
    stop(process, how)
    process.communicate(timeout=60)
    check_stopped_record(tmp_path / "run", how, process.returncode)
    assert len(read_metrics(tmp_path / "run")) >= lines, f"KILL_SEED={SEED}"


def train_cli(*args, out_dir: Path, via_just: bool = False) -> subprocess.Popen:
    command = ["just", "phase-25-train"] if via_just else [sys.executable, "-m", "minigpt.cli.train"]
    return subprocess.Popen([*command, *TINY, "train.steps=100000", f"out_dir={out_dir}", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "SIGTERM to the process group", "SIGKILL"])
@pytest.mark.parametrize("attempt", range(3))
def test_the_train_command_stopped_at_a_random_step_leaves_a_truthful_record(tmp_path, how, attempt):
    process = train_cli(out_dir=tmp_path)
    wait_for_lines(tmp_path / "25-A" / "metrics.jsonl", RNG.randrange(1, 60), process)
    stop(process, how)
    _, err = process.communicate(timeout=60)
    assert "Traceback" not in err
    check_stopped_record(tmp_path / "25-A", how, process.returncode)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("just") is None, reason="just is not installed")
def test_sigterm_to_just_reaches_the_training_process(tmp_path):
    process = train_cli(out_dir=tmp_path, via_just=True)
    wait_for_lines(tmp_path / "25-A" / "metrics.jsonl", RNG.randrange(1, 30), process)
    process.send_signal(signal.SIGTERM)  # to just only, as an IDE's stop button or a CI timeout does
    process.communicate(timeout=60)
    time.sleep(1)  # an orphan would write more lines meanwhile
    summary = read_summary(tmp_path / "25-A")
    assert summary["status"] == "interrupted", summary["status"]
    assert_record_complete(tmp_path / "25-A")
