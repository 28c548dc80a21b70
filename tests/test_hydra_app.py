"""phase-25-train is a Hydra app: Hydra's flags behave as every Hydra user expects, and mistakes are one line."""

import importlib.util
import json
import os
import subprocess
import sys

import pytest
from hydra.errors import ConfigCompositionException

from minigpt.cli.__main__ import main as dispatch
from tests.conftest import TINY


def plugin_installed(name: str) -> bool:
    """Whether a Hydra plugin extra is installed (find_spec of a submodule raises when its parent is absent)."""
    try:
        return importlib.util.find_spec(f"hydra_plugins.{name}") is not None
    except ModuleNotFoundError:
        return False


def joblib_launcher_installed() -> bool:
    return plugin_installed("hydra_joblib_launcher")


def train_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "minigpt.cli", "train", *args], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, "COLUMNS": "200"})


MISTAKES = [  # (the command line, words its one line must contain): what Hydra raises, worded by cli/common.py
    (["+seed=3"], "Could not append to config. An item is already at 'seed'"),
    (["~seed"], "'~seed' removes seed, which every run needs"),
    (["++colour=1"], "unknown key 'colour' in '++colour=1'; allowed keys: inplace"),
    (["seed=range(2)"], "'seed=range(2)' is a sweep; allowed: a sweep with -m (multirun)"),
    (["-m", "train.lr=interval(0.0001,0.01)"], "an interval, which Hydra's basic sweeper cannot enumerate"),
    (["-m", "seed=0,1", "inplace=maybe"], "bad value in 'inplace=maybe'"),
    (['run_name="a'], "cannot parse 'run_name=\"a'"),
    (["hydra/launcher=nope"], "no hydra/launcher named 'nope'; allowed: basic"),
    (["--cfg", "job", "colour=red"], "unknown key 'colour' in 'colour=red'"),
    (["--foo"], "unrecognized arguments: --foo; allowed: the flags phase-25-train --help lists"),
    (["--info", "bogus"], "invalid choice: 'bogus'"),
]


@pytest.mark.parametrize(("args", "words"), MISTAKES, ids=[" ".join(a) for a, _ in MISTAKES])
def test_each_mistake_hydra_raises_is_one_line_and_exit_2_from_the_dispatcher(tmp_path, capsys, args, words):
    with pytest.raises(SystemExit) as exit_info:
        dispatch(["train", *args, *TINY, f"out_dir={tmp_path}"])  # Hydra reads its flags before the overrides
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1, err
    assert err.startswith("phase-25-train: error: ") and words in err, err
    assert not any(tmp_path.iterdir())  # no job ran


def test_a_user_who_sets_hydra_full_error_gets_hydras_own_exception(monkeypatch, tmp_path):
    monkeypatch.setenv("HYDRA_FULL_ERROR", "1")
    with pytest.raises(ConfigCompositionException, match="Could not override 'colour'"):
        dispatch(["train", f"out_dir={tmp_path}", "colour=red"])
    assert os.environ["HYDRA_FULL_ERROR"] == "1"


@pytest.mark.slow  # the real command again: one bad-input run of it stays in the fast tier
def test_cfg_job_prints_the_composed_config_and_trains_nothing(tmp_path):
    done = train_cli("--cfg", "job", "inplace=true", "model.n_embd=32", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "inplace: true" in done.stdout and "n_embd: 32" in done.stdout
    assert not any(tmp_path.iterdir())  # no run directory, no Hydra output folder


@pytest.mark.slow  # the real command again; the help text is composed in-process by its own test
def test_help_shows_the_switches_of_the_phase(tmp_path):
    done = train_cli("--help", cwd=tmp_path)
    assert done.returncode == 0
    for switch in ["inplace", "detect_anomaly", "ln=torch|manual|unchecked", "experiment: control", "-m"]:
        assert switch in done.stdout


@pytest.mark.slow  # the same refusal through the real command: test_attack.py case 7
def test_an_unknown_added_key_is_refused_in_one_line(tmp_path):
    done = train_cli("+unknown=1", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "unknown key 'unknown'" in done.stderr and not any(tmp_path.iterdir())


@pytest.mark.slow  # the real command again: one bad-input run of it stays in the fast tier
def test_a_sweep_without_multirun_is_refused_in_one_line(tmp_path):
    done = train_cli("seed=0,1", cwd=tmp_path)
    assert done.returncode == 2 and "with -m (multirun)" in done.stderr


@pytest.mark.slow  # a multirun end to end: test_sweep.py runs one in the fast tier
def test_multirun_leaves_every_record_and_the_aggregate(tmp_path):
    done = train_cli("-m", "seed=0,1", *TINY, f"out_dir={tmp_path}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    sweep = tmp_path / "25-sweep"
    summary = json.loads((sweep / "summary.json").read_text())
    assert [j["run"] for j in summary["jobs"]] == ["base-seed0", "base-seed1"]
    assert all(json.loads((sweep / j["run"] / "summary.json").read_text())["status"] == "ok" for j in summary["jobs"])
    assert {"report.md", "curves.png"} <= {p.name for p in sweep.iterdir()}


@pytest.mark.skipif(not joblib_launcher_installed(),
                    reason="the joblib extra is not installed (pip install -e '.[joblib]')")
@pytest.mark.slow
def test_the_joblib_launcher_runs_the_jobs_in_parallel_processes(tmp_path):
    done = train_cli("-m", "seed=0,1", "hydra/launcher=joblib", *TINY, f"out_dir={tmp_path}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "25-sweep" / "summary.json").read_text())
    assert len(summary["jobs"]) == 2 and all(j["status"] == "ok" for j in summary["jobs"])


@pytest.mark.skipif(not plugin_installed("hydra_optuna_sweeper"),
                    reason="the optuna extra is not installed (pip install -e '.[optuna]')")
@pytest.mark.slow
def test_the_optuna_sweeper_minimises_the_final_validation_loss_the_task_returns(tmp_path):
    done = train_cli("-m", "hydra/sweeper=optuna", "hydra.sweeper.n_trials=2", "hydra.sweeper.n_jobs=1",
                     "seed=choice(0,1)", *TINY, f"out_dir={tmp_path}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    sweep = tmp_path / "25-sweep"
    losses = [json.loads(p.read_text())["final_val_loss"] for p in sweep.glob("*/summary.json")]
    results = (sweep / "optimization_results.yaml").read_text()  # optuna's own record of the study
    best = float(results.split("best_value:")[1].split()[0])
    assert losses and best == pytest.approx(min(losses))  # it minimised what the task function returned


@pytest.mark.skipif(not plugin_installed("hydra_optuna_sweeper"),
                    reason="the optuna extra is not installed (pip install -e '.[optuna]')")
@pytest.mark.slow
def test_an_optuna_interval_sweep_runs_its_trials_and_leaves_the_sweep_summary(tmp_path):
    done = train_cli("-m", "hydra/sweeper=optuna", "train.lr=interval(0.0001,0.01)", "hydra.sweeper.n_trials=2",
                     "train.steps=3", f"out_dir={tmp_path}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "25-sweep" / "summary.json").read_text())
    assert summary["jobs_planned"] == len(summary["jobs"]) == 2
    assert all(j["status"] == "ok" and j["run"].startswith("base-seed0-train.lr=") for j in summary["jobs"])
    assert "2 of 2 jobs" in done.stdout


@pytest.mark.skipif(not plugin_installed("hydra_submitit_launcher"),
                    reason="the submitit extra is not installed (pip install -e '.[submitit]')")
@pytest.mark.slow
def test_the_submitit_local_launcher_runs_two_jobs_and_the_sweep_aggregates_them(tmp_path):
    done = train_cli("-m", "seed=0,1", "hydra/launcher=submitit_local", *TINY, f"out_dir={tmp_path}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    sweep = tmp_path / "25-sweep"
    summary = json.loads((sweep / "summary.json").read_text())
    assert [j["run"] for j in summary["jobs"]] == ["base-seed0", "base-seed1"]
    assert all(j["status"] == "ok" for j in summary["jobs"])
    assert (sweep / ".submitit").is_dir()  # submitit's own job files: scripts, stdout and stderr of each job
