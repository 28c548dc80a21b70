"""The `autograd-doctor` command: run and lint, their exit statuses, bad usage in one line; the pre-commit hook;
and the distribution on its own, in a fresh environment with nothing but torch."""

import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

import autograd_doctor

PACKAGE = Path(__file__).resolve().parents[1]
SIGMOID_SCALED = "import torch\nx = torch.randn(3, requires_grad=True)\ny = torch.sigmoid(x); y *= 2\n"


def test_run_runs_a_script_with_its_arguments_and_adds_nothing_when_it_works(tmp_path, capsys):
    script = tmp_path / "train.py"
    script.write_text("import sys, torch\nx = torch.randn(3, requires_grad=True)\n"
                      "(x * 2).relu_().sum().backward()\nprint('args', sys.argv[1:])\n")
    assert autograd_doctor.main(["run", str(script), "--lr", "0.1"]) == 0
    assert capsys.readouterr() == ("args ['--lr', '0.1']\n", "")


def test_run_prints_a_broken_script_as_python_would_with_the_note_and_exits_1(tmp_path, capsys):
    script = tmp_path / "train.py"
    script.write_text(SIGMOID_SCALED + "y.sum().backward()\n")
    assert autograd_doctor.main(["run", str(script)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):\n") and f'File "{script}", line 4' in err
    assert f"mul_ (v0->v1) at {script}:3" in err


def test_run_passes_the_scripts_exit_status_on(tmp_path):
    script = tmp_path / "train.py"
    script.write_text("raise SystemExit(3)\n")
    assert autograd_doctor.main(["run", str(script)]) == 3


@pytest.mark.parametrize("argv", [[], ["go", "train.py"], ["run"], ["run", "missing.py"], ["lint"],
                                  ["lint", "missing.py"], ["lint", "--frob", "x.py"]])
def test_bad_usage_is_one_line_on_stderr_and_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        raise SystemExit(autograd_doctor.main(argv))
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("autograd-doctor") and "Traceback" not in err


def test_lint_finds_the_sigmoid_scaled_in_place_and_exits_1(tmp_path, capsys):
    (tmp_path / "model.py").write_text(SIGMOID_SCALED)
    assert autograd_doctor.main(["lint", str(tmp_path)]) == 1
    assert "model.py:3:23: INP002 [high]" in capsys.readouterr().out


def test_the_hooks_lint_file_runs_with_the_standard_library_alone(tmp_path):
    (tmp_path / "model.py").write_text(SIGMOID_SCALED)
    hook = Path(autograd_doctor.__file__).parent / "_lint.py"  # the file .pre-commit-hooks.yaml runs
    done = subprocess.run([sys.executable, "-I", "-S", str(hook), str(tmp_path / "model.py")],  # no site: no torch
                          capture_output=True, text=True)
    assert done.returncode == 1 and "INP002 [high]" in done.stdout


@pytest.mark.slow
def test_pre_commit_runs_the_hook_on_a_project(tmp_path):
    pre_commit = shutil.which("pre-commit")
    if pre_commit is None:
        pytest.skip("pre-commit is not installed")
    project = tmp_path / "project"
    project.mkdir()
    (project / "model.py").write_text(SIGMOID_SCALED)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run(["git", "add", "model.py"], cwd=project, check=True)
    done = subprocess.run([pre_commit, "try-repo", str(PACKAGE.parents[1]), "autograd-doctor-lint", "--files",
                           "model.py"], cwd=project, capture_output=True, text=True)
    assert done.returncode == 1 and "model.py:3:23: INP002 [high]" in done.stdout


@pytest.mark.slow
def test_the_distribution_installs_and_passes_its_tests_with_only_torch(tmp_path):
    env = tmp_path / "env"
    venv.create(env, with_pip=True)
    python = str(env / "bin" / "python")
    pip = [python, "-m", "pip", "install", "-q"]
    subprocess.run([*pip, str(PACKAGE), "pytest"], check=True)
    assert subprocess.run([python, "-c", "import autograd_doctor"]).returncode == 0
    assert subprocess.run([python, "-c", "import minigpt"], capture_output=True).returncode == 1
    freeze = subprocess.run([python, "-m", "pip", "freeze"], capture_output=True, text=True, check=True).stdout
    assert "torch==2.13.0" in freeze and "hydra" not in freeze.lower() and "rich" not in freeze.lower()
    tests = shutil.copytree(PACKAGE / "tests", tmp_path / "tests")  # away from the checkout: nothing of the course
    for name in ("pyproject.toml", "README.md"):  # its pytest settings, and the README its test runs
        shutil.copy(PACKAGE / name, tmp_path)
    done = subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests)],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
