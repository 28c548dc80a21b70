"""The seed sweep: a Hydra multirun, its job names, an end-to-end tiny sweep, one line for a bad sweep."""

import json

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser

from minigpt.cli import sweep as sweep_cli
from minigpt.cli import train as train_cli
from minigpt.cli.common import load_config
from minigpt.lab.compose import CONFIG_DIR
from minigpt.lab.sweep import DEFAULT_SWEEP, create_sweep_dir, sweep_overrides, write_report
from tests.conftest import TINY

SHORT = [*TINY, "train.steps=2", "train.eval_every=1"]  # ten jobs: two steps each keep the sweep quick
EXPERIMENTS = sorted(p.stem for p in (CONFIG_DIR / "experiment").glob("*.yaml"))


def sweep_main(capsys, *argv) -> tuple[int, str, str]:
    """Run the entry point in a wide terminal; its exit status, stdout and stderr."""
    with pytest.MonkeyPatch.context() as mp, pytest.raises(SystemExit) as exit_info:
        mp.setenv("COLUMNS", "200")
        sweep_cli.main(list(argv))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory):
    """The default variants over two seeds, tiny: the summary.json it wrote, and its directory."""
    out = tmp_path_factory.mktemp("experiments")
    with pytest.raises(SystemExit) as exit_info:
        sweep_cli.main(["seed=0,1", *SHORT, f"out_dir={out}"])
    assert exit_info.value.code == 0
    sweep_dir = out / "25-sweep"
    return json.loads((sweep_dir / "summary.json").read_text()), sweep_dir


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_config_composes(experiment):
    assert load_config([f"experiment={experiment}"]).inplace == (experiment != "control")


def test_jobs_are_reported_in_hydras_multirun_order(tiny_sweep):
    summary, _ = tiny_sweep
    variants = DEFAULT_SWEEP["experiment"].split(",")
    assert [j["run"] for j in summary["jobs"]] == [f"{v}-seed{s}" for v in variants for s in (0, 1)]


def test_another_swept_key_is_part_of_the_job_name(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        train_cli.main(["-m", "train.lr=0.1,0.01", *TINY, "train.steps=1", "train.eval_every=1", f"out_dir={tmp_path}"])
    assert exit_info.value.code == 0
    summary = json.loads((tmp_path / "25-sweep" / "summary.json").read_text())
    assert [j["run"] for j in summary["jobs"]] == ["base-seed0-train.lr=0.1", "base-seed0-train.lr=0.01"]


def test_default_sweep_is_five_seeds_of_every_variant():
    sweeps = {o.get_key_element(): list(o.sweep_string_iterator())
              for o in OverridesParser.create().parse_overrides(sweep_overrides([]))}
    assert sweeps["seed"] == ["0", "1", "2", "3", "4"]
    assert set(sweeps["experiment"]) <= set(EXPERIMENTS) and len(sweeps["experiment"]) == 5


def test_a_seed_sweep_given_replaces_the_default_one():
    assert sweep_overrides(["seed=3,4"]) == [f"experiment={DEFAULT_SWEEP['experiment']}", "seed=3,4"]


@pytest.mark.slow  # 25 seconds of training; the aggregate and the Hydra multirun are tested in the slow tier
def test_sweep_runs_end_to_end_and_writes_its_record(tiny_sweep):
    summary, sweep_dir = tiny_sweep
    variants = DEFAULT_SWEEP["experiment"].split(",")
    assert [v["variant"] for v in summary["variants"]] == variants
    assert len(summary["jobs"]) == summary["jobs_planned"] == 2 * len(variants)
    for job in summary["jobs"]:
        assert (sweep_dir / job["run"] / "summary.json").is_file()
    assert {"report.md", "curves.png"} <= {p.name for p in sweep_dir.iterdir()}
    by_variant = {v["variant"]: v for v in summary["variants"]}
    assert by_variant["control"]["grad_rel_error"]["n"] == 0  # the reference itself
    assert by_variant["control"]["final_test_accuracy"]["n"] == 2


@pytest.mark.slow  # needs the 25-run sweep; the same gradients in the fast tier: test_compare.py, test_train.py
def test_silent_variants_get_wrong_gradients_and_allow_mutation_gets_the_controls(tiny_sweep):
    by_variant = {v["variant"]: v for v in tiny_sweep[0]["variants"]}
    assert by_variant["silent_unchecked"]["params_differ"][0] > 0
    assert by_variant["silent_unchecked"]["grad_rel_error"]["min"] > 0
    assert by_variant["silent_save_on_cpu"]["grad_rel_error"]["min"] > 0
    assert by_variant["silent_via_data"]["params_missing"][0] > 0
    assert by_variant["fixed_allow_mutation"]["grad_rel_error"]["max"] == 0.0


@pytest.mark.parametrize("argv, expected", [
    (["run_name=mine"], "run_name in a multirun: every job is named <experiment>-seed<k>"),
    (["experiment=control,louder"], "no experiment named 'louder'; allowed: "),
    (["seed=0,0"], "'seed=0,0' lists 0 twice: two jobs would share one run directory"),
    (["model.n_embd=30"], "bad config: model.n_embd: 30 is not divisible by model.n_head=4"),
])
def test_bad_sweep_is_one_line_and_exit_2(capsys, tmp_path, argv, expected):
    status, _, err = sweep_main(capsys, *argv, f"out_dir={tmp_path}")
    assert status == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("phase-25-sweep: error: ")
    assert expected in err
    assert not list(tmp_path.glob("25-sweep/*/")) and not (tmp_path / "25-sweep" / "summary.json").exists()  # no job


def test_rerun_moves_the_earlier_sweep_aside(tmp_path):
    first, _ = create_sweep_dir(tmp_path)
    (first / "summary.json").write_text(json.dumps({"started_at": "2026-01-02T03:04:05"}))
    second, moved_to = create_sweep_dir(tmp_path)
    assert second == first and not any(second.iterdir())
    assert moved_to.name == "25-sweep@2026-01-02T03-04-05" and (moved_to / "summary.json").is_file()


def test_the_sweep_summary_is_strict_json_even_with_an_infinite_gradient_error(tiny_sweep, tmp_path):
    summary, sweep_dir = tiny_sweep
    summary = {**summary, "jobs": [{**summary["jobs"][0], "grad_rel_error": float("inf")}, *summary["jobs"][1:]]}
    copy = tmp_path / "sweep"
    copy.mkdir()
    for job in summary["jobs"]:
        (copy / job["run"]).symlink_to(sweep_dir / job["run"])
    write_report(summary, copy)
    written = json.loads((copy / "summary.json").read_text(), parse_constant=pytest.fail)  # no NaN, no Infinity
    assert written["jobs"][0]["grad_rel_error"] is None
