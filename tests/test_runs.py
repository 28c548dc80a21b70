"""The run directory's contract (minigpt.runs): names claimed without loss, records that tell the truth."""

import math
import os

import pytest

from minigpt.runs import (
    METRICS,
    SUMMARY,
    RunDir,
    RunError,
    finite_json,
    fresh_dir,
    read_metrics,
    read_summary,
    run_status,
    saved_grad_steps,
    status_line,
)
from tests.run_records import assert_record_complete, start_driver


def test_claiming_a_free_name_publishes_every_file_of_the_record_at_once(tmp_path):
    with RunDir.create(tmp_path, "A")[0] as run:
        assert run.path == tmp_path / "A"
        assert_record_complete(run.path)
        assert run_status(run.path, read_summary(run.path)) == "running"  # this process holds it
    assert not list(tmp_path.glob(".A.claim-*"))


def test_a_rerun_moves_a_finished_run_aside_and_takes_the_plain_name(tmp_path):
    first, moved_to = RunDir.create(tmp_path, "A")
    first.write_config("seed: 1\n")
    first.close()
    second, moved_to = RunDir.create(tmp_path, "A")
    assert second.path == tmp_path / "A" and moved_to.name.startswith("A@")
    assert (moved_to / "config.yaml").read_text() == "seed: 1\n"


def test_a_live_run_keeps_the_plain_name_and_the_newcomer_gets_its_own(tmp_path):
    live, _ = RunDir.create(tmp_path, "A")
    newcomer, moved_to = RunDir.create(tmp_path, "A")
    assert live.path == tmp_path / "A" and moved_to is None
    assert newcomer.path.name.startswith("A@") and newcomer.path != live.path


def test_fresh_dir_moves_the_earlier_one_aside(tmp_path):
    first, _ = fresh_dir(tmp_path, "report")
    (first / "x").write_text("1")
    second, moved_to = fresh_dir(tmp_path, "report")
    assert second == first and not any(second.iterdir()) and (moved_to / "x").read_text() == "1"


def test_nan_and_infinity_are_written_as_null_with_the_reason():
    assert finite_json({"loss": math.nan, "a": {"b": -math.inf}, "ok": 1.0}) == {
        "loss": None, "a": {"b": None}, "ok": 1.0, "nonfinite": {"loss": "nan", "a.b": "-inf"}}


def test_a_record_left_running_by_a_dead_writer_reads_as_killed(tmp_path):
    run, _ = RunDir.create(tmp_path, "A")
    summary = read_summary(run.path) | {"heartbeat": {"step": 14, "at": "2026-01-01T00:00:00"}}
    run.write_summary(summary)
    assert run_status(run.path, summary) == "running"
    run.close()  # what the kernel does when the writer dies
    assert run_status(run.path, summary) == "killed"
    assert status_line(run.path, summary).startswith("killed or lost (last heartbeat at step 14")


def test_a_record_from_another_machine_is_judged_by_its_heartbeat(tmp_path):
    path = tmp_path / "A"
    path.mkdir()
    summary = {"status": "running", "writer": {"pid": 1, "host": "elsewhere"},
               "heartbeat": {"step": 3, "at": "2020-01-01T00:00:00"}}
    assert run_status(path, summary) == "killed"


@pytest.mark.parametrize("content, words", [
    ("[1, 2]", "a JSON object was expected, found a list"),
    ("null", "a JSON object was expected, found null"),
    ("{}", "status is null"),
    ('{"status": "ok", "steps_completed": "7"}', "steps_completed"),
    ('{"status": "crashed"}', "no integer failed_step"),
    ('{"status": "ok", "final_val_loss": NaN}', "NaN is not JSON"),
])
def test_a_summary_of_the_wrong_shape_is_a_run_error(tmp_path, content, words):
    (tmp_path / SUMMARY).write_text(content)
    with pytest.raises(RunError) as error:
        read_summary(tmp_path)
    assert words in str(error.value)


def test_metrics_skip_only_a_last_line_cut_short(tmp_path):
    (tmp_path / METRICS).write_text('{"step": 0, "loss": 1.0}\n{"step": 1, "lo')
    assert [r["step"] for r in read_metrics(tmp_path)] == [0]
    (tmp_path / METRICS).write_text('{"step": 0, "loss": "x"}\n')
    with pytest.raises(RunError, match="loss"):
        read_metrics(tmp_path)


def test_stray_files_in_grads_are_ignored(tmp_path):
    (tmp_path / "grads").mkdir()
    for name in ["step_3.safetensors", "step_x.safetensors", "notes.txt"]:
        (tmp_path / "grads" / name).touch()
    assert saved_grad_steps(tmp_path) == [3]


@pytest.mark.slow  # two live claims of one name: test_attack.py case 1 in the fast tier
def test_runs_of_one_name_started_at_once_each_keep_a_complete_record(tmp_path):
    n = 3
    driver = start_driver(tmp_path, "dup", steps=4, copies=n)
    _, err = driver.communicate(timeout=120)
    assert driver.returncode == 0, err
    records = sorted(p for p in tmp_path.iterdir() if p.name == "dup" or p.name.startswith("dup@"))
    assert len(records) == n, records
    starts = set()
    for path in records:
        summary = assert_record_complete(path)
        assert summary["status"] == "ok" and summary["steps_completed"] == 4
        starts.add(summary["writer"]["pid"])
    assert len(starts) == n  # n writers, one record each
    assert not list(tmp_path.glob(".dup.claim-*"))
    assert os.getpid() not in starts
