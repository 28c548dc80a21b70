"""phase-25-train as a learner meets it: one line for a mistake, a complete record for every run."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from minigpt.cli.train import main
from tests.conftest import TINY

ROOT = Path(__file__).resolve().parents[1]

BAD_OVERRIDES = [  # (override, words the one line must contain)
    ("inplace=maybe", ["inplace", "true or false"]),
    ("ln=foo", ["ln", "torch, manual, unchecked"]),
    ("saved_tensors=sometimes", ["saved_tensors", "default, save_on_cpu, allow_mutation"]),
    ("model.n_embd=30", ["model.n_embd", "not divisible", "model.n_head"]),
    ("colour=red", ["unknown key 'colour'", "inplace"]),
    ("model.nhead=3", ["unknown key 'model.nhead'", "n_head"]),
    ("model=huge", ["no model named 'huge'", "tiny"]),
    ("seed=1.5", ["seed", "an integer"]),
    ("inplace", ["'inplace' is not an override", "key=value"]),
    ("via_data=true", ["via_data", "inplace=true"]),
    ("data=text", ["data.path", "text file"]),
    ("data.block_size=5", ["data.block_size", "at least"]),
]


def train_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "minigpt.cli.train", *args], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, "COLUMNS": "200"})


@pytest.mark.parametrize(("override", "expected"), BAD_OVERRIDES, ids=[o for o, _ in BAD_OVERRIDES])
def test_bad_override_gets_one_line_and_exit_status_2(capsys, override, expected):
    with pytest.raises(SystemExit) as exit_info:
        main([override])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert all(word in err for word in expected), err


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_on_a_machine_without_it_gets_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["device=cuda"])
    assert exit_info.value.code == 2 and "torch.cuda.is_available() is False" in capsys.readouterr().err


def test_a_text_file_that_is_not_utf8_gets_one_line(capsys, tmp_path):
    path = tmp_path / "binary.txt"
    path.write_bytes(bytes([0xFF, 0xFE, 0x00]))
    with pytest.raises(SystemExit) as exit_info:
        main(["data=text", f"data.path={path}"])
    assert exit_info.value.code == 2 and "not UTF-8 text" in capsys.readouterr().err


def test_bad_override_prints_no_stack_dump_from_the_real_command():
    result = train_cli("inplace=maybe")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]


@pytest.mark.slow  # a second crashed subprocess run: the fast tier has one (the doctor names the add_ lines)
def test_crashed_run_leaves_a_complete_record_and_exits_1(tmp_path):
    result = train_cli(*TINY, f"out_dir={tmp_path}", "inplace=true", "detect_anomaly=true")
    assert result.returncode == 1
    run = tmp_path / "25-B"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "crashed" and summary["error_type"] == "RuntimeError"
    assert "modified by an inplace operation" in result.stdout
    assert "block.py" in summary["forward_traceback"] and summary["loss_before_failure"] > 0
    assert "inplace: true" in (run / "config.yaml").read_text()
    for name in ["weights.safetensors", "curves.png"]:
        assert (run / name).stat().st_size > 0


@pytest.fixture(scope="module")
def inplace_crash(tmp_path_factory):
    """One in-place run without anomaly mode, shared by the tests that read its screen and record."""
    out = tmp_path_factory.mktemp("experiments")
    return train_cli(*TINY, f"out_dir={out}", "inplace=true"), out


@pytest.mark.slow  # a second crashed run end to end; the crash panel is tested on the first
def test_crash_without_anomaly_mode_explains_the_check_and_names_the_silent_command(inplace_crash):
    result, _ = inplace_crash
    assert result.returncode == 1
    assert "Anomaly detection was off" in result.stdout
    assert "just phase-25-train inplace=true ln=unchecked" in result.stdout


def test_crash_record_keeps_pytorchs_message_and_the_doctor_names_the_add_lines_of_block_py(inplace_crash):
    result, out = inplace_crash
    summary = json.loads((out / "25-B" / "summary.json").read_text())
    block = (ROOT / "src" / "minigpt" / "block.py").read_text().splitlines()
    add_lines = {f"block.py:{n}" for n, line in enumerate(block, start=1) if line.strip().startswith("h.add_(")}
    assert "autograd_doctor" not in summary["error_message"]  # PyTorch's words, verbatim
    assert "expected version" in summary["error_message"]
    named = {word.rsplit("/", 1)[-1].rstrip(",;") for word in summary["doctor_explanation"].split()
             if "block.py:" in word}
    assert named == add_lines and len(add_lines) == 2
    assert "add_ (v" in result.stdout and "autograd_doctor: the saved tensor is input" in result.stdout


def test_rerunning_keeps_the_earlier_run_and_the_plain_name_is_the_latest(tmp_path):
    for seed in (1, 2):  # in this process: the claim of the plain name is what is tested, not the start-up
        with pytest.raises(SystemExit) as exit_info:
            main([*TINY, f"out_dir={tmp_path}", f"seed={seed}"])
        assert exit_info.value.code == 0
    earlier = [p for p in tmp_path.iterdir() if p.name.startswith("25-A@")]
    assert len(earlier) == 1
    assert json.loads((earlier[0] / "summary.json").read_text())["seed"] == 1
    assert json.loads((tmp_path / "25-A" / "summary.json").read_text())["seed"] == 2


@pytest.mark.slow  # a subprocess run; Ctrl-C in process is test_attack.py case 4, a killed run test_kill.py
def test_interrupted_run_keeps_its_record_and_exits_130(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "minigpt.cli.train", *TINY, "train.steps=100000",
                                f"out_dir={tmp_path}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    metrics = tmp_path / "25-A" / "metrics.jsonl"
    deadline = time.time() + 60
    while time.time() < deadline and not (metrics.exists() and metrics.stat().st_size > 0):
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 130
    summary = json.loads((tmp_path / "25-A" / "summary.json").read_text())
    assert summary["status"] == "interrupted" and summary["steps_completed"] > 0
    assert (tmp_path / "25-A" / "curves.png").exists()


@pytest.mark.slow  # ten seconds at full size; CI's setup command trains this run too
def test_default_control_run_reaches_95_percent_test_accuracy(tmp_path):
    result = train_cli(f"out_dir={tmp_path}")
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "25-A" / "summary.json").read_text())
    assert summary["status"] == "ok" and summary["final_test_accuracy"] >= 0.95
