"""Issue 9, attacked: every numbered case, then generated command lines (hypothesis).

The table names each case of the issue and the test that proves it holds; the run-record cases that need
real processes and signals live in test_runs.py (concurrency) and test_kill.py (signals).
"""

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hydra.errors import HydraException
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from minigpt.cli import grad_compare
from minigpt.cli.common import UsageError, load_config
from minigpt.config import ConfigError, Phase25Config
from minigpt.data import make_splits
from minigpt.lab.compose import compose_config
from minigpt.runs import RunDir, read_summary
from minigpt.runs.guard import estimate_memory
from minigpt.train import pick_device, train
from tests.conftest import TINY
from tests.run_records import ROOT, assert_record_complete


def command(module: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """The real command, as a learner runs it (python -m minigpt.cli.<module>)."""
    return subprocess.run([sys.executable, "-m", f"minigpt.cli.{module}", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "COLUMNS": "200"})


def assert_one_line_exit_2(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert all(word in result.stderr for word in words), result.stderr


def grad_compare_cli(capsys, *argv) -> tuple[int, str, str]:
    """grad-compare's entry point in this process (it imports no torch on these paths)."""
    with pytest.raises(SystemExit) as exit_info:
        grad_compare.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def trained(out_dir: Path, name: str, *overrides: str) -> Path:
    """A finished tiny run, trained in this process; its directory."""
    cfg = load_config([*TINY, "train.steps=2", "device=cpu", f"out_dir={out_dir}", f"run_name={name}", *overrides])
    with RunDir.create(out_dir, name)[0] as run:
        run.write_config(OmegaConf.to_yaml(cfg, resolve=True))
        train(cfg, run)
    return run.path


# ---- 1-6: records lost or wrong ----

def test_case_1_two_live_claims_of_one_name_keep_two_complete_records(tmp_path):
    cfg = load_config([*TINY, "device=cpu", f"out_dir={tmp_path}"])
    first, second = RunDir.create(tmp_path, "dup")[0], RunDir.create(tmp_path, "dup")[0]
    for run in (first, second):
        train(cfg, run)
        run.close()
    assert first.path.name == "dup" and second.path.name.startswith("dup@")
    for run in (first, second):
        assert assert_record_complete(run.path)["status"] == "ok"
    # across processes: test_runs.py::test_runs_of_one_name_started_at_once_each_keep_a_complete_record


def test_case_2_a_killed_run_is_named_killed_by_grad_compare(tmp_path, capsys):
    trained(tmp_path, "A")
    run, _ = RunDir.create(tmp_path, "B")  # a writer that dies after 14 steps (SIGKILL: test_kill.py)
    (run.path / "config.yaml").write_text((tmp_path / "A" / "config.yaml").read_text())
    run.write_summary(read_summary(run.path) | {"steps_completed": 14,
                                                "heartbeat": {"step": 14, "at": "2026-01-01T10:00:00"}})
    run.close()
    status, _, err = grad_compare_cli(capsys, "A", "B", f"out_dir={tmp_path}")
    assert status == 2
    assert "was killed or lost (last heartbeat at step 14" in err and "model shape is unknown" not in err


# case 3 (kill on `just`): test_kill.py::test_sigterm_to_just_reaches_the_training_process (slow)


def test_case_4_an_interrupt_between_steps_keeps_the_counts_equal(tmp_path):
    cfg = load_config([*TINY, "train.steps=50", "device=cpu", f"out_dir={tmp_path}"])

    def interrupt_at_step_3(step, record):
        if step == 3:
            os.kill(os.getpid(), signal.SIGINT)  # delivered at once, as Ctrl-C is
            time.sleep(0.1)

    with RunDir.create(tmp_path, "run")[0] as run:
        result = train(cfg, run, on_step=interrupt_at_step_3)
    summary = assert_record_complete(run.path)
    assert result.status == summary["status"] == "interrupted"
    assert summary["steps_completed"] == summary["failed_step"] == 4


def test_case_4_a_crash_at_step_0_lists_only_files_that_exist(tmp_path):
    cfg = load_config([*TINY, "inplace=true", "device=cpu", f"out_dir={tmp_path}"])
    with RunDir.create(tmp_path, "run")[0] as run:
        train(cfg, run)
    summary = assert_record_complete(run.path)  # metrics.jsonl empty, grads/ empty: both present
    assert summary["status"] == "crashed" and summary["steps_completed"] == summary["failed_step"] == 0


def test_case_5_no_nan_reaches_a_json_file(tmp_path):
    with pytest.raises(ConfigError, match="data.n_eval"):
        compose_config([*TINY, "data.n_eval=0"])  # no split without sentences: no NaN loss to write
    run, _ = RunDir.create(tmp_path, "run")
    run.log({"step": 0, "loss": float("nan")})
    run.write_summary({"status": "ok", "final_val_loss": float("inf")})
    line = (run.path / "metrics.jsonl").read_text()
    assert json.loads(line, parse_constant=pytest.fail) == {"step": 0, "loss": None, "nonfinite": {"loss": "nan"}}
    assert read_summary(run.path)["nonfinite"] == {"final_val_loss": "inf"}


# case 6 (docs-measure publishing a partial sweep): tests/test_docs_measure.py.


# ---- 7-11: nonsense accepted, or a stack dump instead of one line ----

def test_case_7_an_unknown_plus_key_is_refused(tmp_path):
    never = tmp_path / "never-written"
    assert_one_line_exit_2(command("train", *TINY, "+unknown=1", f"out_dir={never}"), "unknown")
    assert not never.exists()


@pytest.mark.slow  # the real command; run_name validation runs in-process in case 8 to 11
def test_case_8_run_name_outside_out_dir_is_one_line_and_writes_nothing(tmp_path):
    result = command("train", *TINY, f"out_dir={tmp_path}/experiments", "run_name=../../x")
    assert_one_line_exit_2(result, "run_name", "not a plain name")
    assert not any(tmp_path.iterdir())


BAD_RECORDS = [  # (file, content, words of the one line)
    ("summary.json", "[1, 2]", "a JSON object was expected, found a list"),
    ("summary.json", "null", "a JSON object was expected, found null"),
    ("summary.json", "{}", "status is null"),
    ("summary.json", '{"status": "ok", "final_val_loss": "low"}', "final_val_loss"),
    ("config.yaml", "seed: 0\ndata: 5\nmodel: {}\ntrain: {}\n", "data: 5"),
    ("config.yaml", "seed: x\ndata: {}\nmodel: {}\ntrain: {}\n", "seed: 'x'"),
    ("metrics.jsonl", '[1]\n{"step": 1}\n', "not a metrics record"),
]


@pytest.mark.parametrize("file, content, words", BAD_RECORDS, ids=[f"{f}:{c[:12]}" for f, c, _ in BAD_RECORDS])
def test_case_9_and_10_grad_compare_checks_every_field_it_reads(tmp_path, capsys, file, content, words):
    trained(tmp_path, "A")
    bad = tmp_path / "bad"
    shutil.copytree(tmp_path / "A", bad)
    (bad / file).write_text(content)
    status, _, err = grad_compare_cli(capsys, "A", "bad", f"out_dir={tmp_path}")
    assert status == 2 and len(err.strip().splitlines()) == 1 and words in err, err


def test_case_9_grad_compare_with_an_unwritable_out_dir_is_one_line(capsys):
    status, _, err = grad_compare_cli(capsys, "A", "B", "out_dir=/proc")  # not writable, even for root
    assert status == 2 and "cannot write the report under out_dir" in err


def test_case_9_the_graph_command_refuses_a_text_file_that_is_not_utf8_in_one_line(tmp_path):
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00" * 400)
    assert_one_line_exit_2(command("graph", "data=text", f"data.path={tmp_path / 'binary.txt'}"), "not UTF-8")


@pytest.mark.parametrize("override, words", [
    ("seed=-1", "seed"), ("out_dir=/proc", "out_dir"), ("data.block_size=1000000", "GiB available"),
    ("data.n_train=0", "data.n_train"), ("train.weight_decay=nan", "train.weight_decay"),
    ("data.path=notes.txt", "data=text"), ("model.n_layer=1000000", "GiB available"), ("run_name=a/b", "run_name"),
    ("run_name=''", "run_name"),
])
def test_case_8_to_11_user_mistakes_are_usage_errors_of_one_line(override, words):
    with pytest.raises(UsageError) as error:
        load_config([*TINY, override])  # what every command composes: train, graph, matrix, sweep
    assert words in str(error.value) and len(str(error.value).splitlines()) == 1


@pytest.mark.slow
@pytest.mark.parametrize("module, args", [
    ("train", ["seed=-1"]), ("graph", ["seed=-1"]), ("matrix", ["seed=-1"]), ("train", ["out_dir=/proc"]),
    ("train", ["out_dir=/etc/hostname"]), ("train", ["data.block_size=1000000"]), ("train", ["data.n_train=0"]),
    ("train", ["train.weight_decay=nan"]), ("train", ["data.path=notes.txt"]), ("train", ["run_name=a/b"]),
    ("train", ["run_name=''"]), ("train", ["model.n_layer=1000000"]), ("train", ["data.n_eval=0"]),
])
def test_every_user_mistake_is_one_line_from_the_real_command(module, args):
    assert_one_line_exit_2(command(module, *TINY, *args))


def interrupted_train(tmp_path, after_s: float, sig: signal.Signals) -> tuple[int, str, bool]:
    """`python -m minigpt.cli train` (what the recipe runs), sent `sig` `after_s` seconds after it started."""
    process = subprocess.Popen([sys.executable, "-m", "minigpt.cli", "train", *TINY, f"out_dir={tmp_path}"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(after_s)
    process.send_signal(sig)
    out, err = process.communicate(timeout=60)
    said = "interrupted" in err or "interrupted at step" in out  # the one line, or the run's own record of it
    return process.returncode, err, said


def test_case_11_ctrl_c_during_the_imports_is_one_line_and_exit_130(tmp_path):
    status, err, said = interrupted_train(tmp_path, 0.3, signal.SIGINT)  # torch and hydra take seconds to import
    assert status == 130 and said and "Traceback" not in err and len(err.splitlines()) <= 1, err


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("after_s", [0.05, 0.2, 0.3, 0.35, 0.45, 0.7, 1.15, 1.2, 1.25, 2.0])
def test_a_signal_at_any_moment_ends_the_command_with_130_and_no_traceback(tmp_path, after_s, sig):
    # without the dispatcher holding signals over its imports, some of these moments ended with exit 0 (torch
    # swallowed the interrupt while importing numpy and the run went on), 1 (numpy half-imported) or -2; and
    # one inside Hydra's start, while the train app held stderr, lost its line
    status, err, said = interrupted_train(tmp_path, after_s, sig)
    assert status == 130 and said and "Traceback" not in err and len(err.splitlines()) <= 1, (after_s, status, err)


# ---- generated command lines ----

def schema_keys(node=Phase25Config, prefix="") -> list[str]:
    """Every dotted key of the schema."""
    keys = []
    for f in dataclasses.fields(node):
        if dataclasses.is_dataclass(f.default_factory if f.default_factory is not dataclasses.MISSING else None):
            keys += schema_keys(f.default_factory, f"{prefix}{f.name}.")
        else:
            keys.append(prefix + f.name)
    return keys


KEYS = schema_keys()
VALUES = st.one_of(
    st.integers(-10**20, 10**20).map(str), st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["true", "null", "''", "[]", "[1,-1]", "{a: 1}", "x/y", "../..", "/proc", "ñ", "1e400"]),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
)
OVERRIDES = st.one_of(
    st.tuples(st.sampled_from(["", "+", "~", "++"]), st.sampled_from(KEYS), VALUES)
    .map(lambda t: f"{t[0]}{t[1]}={t[2]}"),
    st.text(max_size=20),  # junk
)


TRAINED = []  # generated configs trained so far: a few complete records are enough


@settings(max_examples=8, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(overrides=st.lists(OVERRIDES, min_size=1, max_size=3))
def test_generated_overrides_are_a_usage_error_or_a_complete_run(tmp_path, monkeypatch, overrides):
    """8 generated command lines in the fast tier; test_many_generated_overrides_... runs 40 in the slow one."""
    generated_overrides_case(tmp_path, monkeypatch, overrides)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(overrides=st.lists(OVERRIDES, min_size=1, max_size=3))
def test_many_generated_overrides_are_each_a_usage_error_or_a_complete_run(tmp_path, monkeypatch, overrides):
    generated_overrides_case(tmp_path, monkeypatch, overrides)


def generated_overrides_case(tmp_path, monkeypatch, overrides) -> None:
    """A usage error in one line, or a run whose record is complete."""
    monkeypatch.chdir(tmp_path)  # a generated relative out_dir or data.path lands here
    try:
        cfg = compose_config([*TINY, "device=cpu", *overrides])  # Hydra, the schema, then validate
        pick_device(cfg.device)
        splits = make_splits(cfg.data, cfg.seed)  # as the command does before it claims a directory
    except ConfigError as error:
        assert len(str(error).splitlines()) == 1, str(error)
        return
    except (HydraException, OmegaConfBaseException):
        return  # the schema said no; the CLI words it (cli/common.py)
    if len(TRAINED) >= 3 or cfg.train.steps > 6 or cfg.model.n_layer > 4 or estimate_memory(cfg).total > 2**25:
        return  # valid but slow to train: validation is what is under attack
    TRAINED.append(overrides)
    with RunDir.create(cfg.out_dir, cfg.run_name or "run")[0] as run:
        result = train(cfg, run, splits=splits)
    assert result.status in ("ok", "crashed")  # a crash is an outcome the record must describe
    assert_record_complete(run.path)


@pytest.mark.parametrize("args", [pytest.param(["seed=[1,2]", "model.n_embd=abc"], marks=pytest.mark.slow),
                                  pytest.param(["%%", "train.lr=1e400"], marks=pytest.mark.slow),
                                  pytest.param(["model.n_layer=0.0"], marks=[pytest.mark.slow])])
def test_generated_junk_from_the_real_command_is_one_line(args):  # fast tier: test_cli_train's bad override
    assert_one_line_exit_2(command("train", *TINY, *args))


@pytest.mark.slow
@settings(max_examples=10, deadline=None, database=None)
@given(overrides=st.lists(OVERRIDES, min_size=1, max_size=2))
def test_generated_overrides_from_the_real_command_exit_0_or_2_without_a_traceback(overrides):
    with tempfile.TemporaryDirectory() as out_dir:  # hypothesis runs many examples in one test: one dir each
        result = command("train", *TINY, "train.steps=2", f"out_dir={out_dir}", *overrides)
    assert result.returncode in (0, 2) and "Traceback" not in result.stderr, result.stderr[-2000:]
