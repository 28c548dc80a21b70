"""Helpers for tests that train real run records: the driver process and the record's contract.

Not a test file: test_runs.py, test_kill.py and test_attack.py import it, so no test file imports another.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from minigpt.runs import RECORD_FILES, SUMMARY, read_metrics, read_summary, run_status

ROOT = Path(__file__).resolve().parents[1]
# A process that trains tiny runs through the library, as the CLI does, without Hydra's start-up:
# argv: out_dir name steps copies. copies > 1 forks that many trainers once the imports are done, so they
# claim the same name at the same moment. SIGTERM interrupts like Ctrl-C, as in phase-25-train.
DRIVER = """
import os, signal, sys
from omegaconf import OmegaConf
from minigpt.config import Phase25Config, validate
from minigpt.runs import RunDir
from minigpt.train import train
from tests.conftest import TINY

def interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")

out, name, steps, copies = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
cfg = OmegaConf.merge(OmegaConf.structured(Phase25Config),
                      OmegaConf.from_dotlist([*TINY, f"train.steps={steps}", "device=cpu", f"out_dir={out}"]))
validate(cfg)
signal.signal(signal.SIGTERM, interrupt)
children, is_child = [], False
for _ in range(copies - 1):
    pid = os.fork()
    if pid == 0:
        is_child = True
        break
    children.append(pid)
with RunDir.create(out, name)[0] as run:
    run.write_config(OmegaConf.to_yaml(cfg))
    print(run.path, flush=True)
    result = train(cfg, run)
status = {"ok": 0, "crashed": 1, "interrupted": 130}[result.status]
if is_child:
    os._exit(status)
for pid in children:
    status = max(status, os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
sys.exit(status)
"""


def start_driver(out_dir: Path, name: str = "run", steps: int = 100_000, copies: int = 1, **popen) -> subprocess.Popen:
    """The DRIVER in a new process (its own process group), its stdout piped."""
    return subprocess.Popen([sys.executable, "-c", DRIVER, str(out_dir), name, str(steps), str(copies)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"}, **popen)  # n trainers share 2 cores


def assert_record_complete(path: Path) -> dict:
    """Every listed file exists, JSON is strict, and the counts agree as minigpt.runs defines; the summary."""
    for name in RECORD_FILES:
        assert (path / name).is_file(), f"{path / name} missing"
    assert (path / "grads").is_dir()
    strict = json.loads((path / SUMMARY).read_text(), parse_constant=lambda c: pytest.fail(f"{c} in summary.json"))
    summary = read_summary(path)
    assert strict == summary
    metrics = read_metrics(path)
    assert [r["step"] for r in metrics] == list(range(len(metrics))), "each step once, in order"
    status = run_status(path, summary)
    if status in ("running", "killed"):  # summary.json is as of the last heartbeat
        assert summary["steps_completed"] <= len(metrics)
        assert (summary["heartbeat"] or {"step": 0})["step"] == summary["steps_completed"]
    else:
        assert summary["steps_completed"] == len(metrics)
        assert summary["heartbeat"]["step"] == summary["steps_completed"]
    if status in ("crashed", "interrupted"):
        assert summary["failed_step"] == summary["steps_completed"]
    if status == "ok":
        assert summary["steps_completed"] == summary["steps_planned"]
    return summary
