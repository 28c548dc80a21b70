"""The exercise checks: each fails on a fresh tree, passes once the learner's edit is made, explains a miss.

Every learner's file lives in tmp_path (the check's workspace); src/minigpt is only ever read.
"""

import re
import subprocess
import sys

import pytest

from minigpt.cli.check import main
from minigpt.exercises import predictions
from minigpt.exercises.exercise_kit import REFERENCE
from minigpt.exercises.planted import BUGS, bug_for, plant, planted_source
from minigpt.lab.matrix import Row

INPLACE_RESIDUAL = ("h.add_(self.attn(self.ln1(h)))", "h.add_(self.ffn(self.ln2(h)))")
UNCHECKED_SAVE = "ctx.x, ctx.weight, ctx.mean, ctx.rstd = x, weight, mean, rstd"
UNCHECKED_READ = "layer_norm_backward(grad_out, ctx.x, ctx.weight, ctx.mean, ctx.rstd)"


def check(capsys, workspace, *args) -> tuple[int, str]:
    """Run `phase-25-check ARGS` on `workspace`: (exit status, everything it printed)."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(args), workspace)
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out + captured.err


def edit(path, old: str, new: str) -> None:
    """Replace one exact piece of a learner's file, as the learner would."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_check_1_fails_on_a_fresh_tree_and_passes_once_the_residual_is_out_of_place(capsys, tmp_path):
    status, out = check(capsys, tmp_path, "1")
    assert status == 1 and "copied src/minigpt/block.py" in out
    assert (tmp_path / "block.py").read_text() == (REFERENCE / "block.py").read_text()
    status, out = check(capsys, tmp_path, "1")
    assert status == 1 and "still raises PyTorch's version-check error" in out
    assert out.endswith("Stuck? just phase-25-hint 1 cascade=loud\n")
    edit(tmp_path / "block.py", INPLACE_RESIDUAL[0], "h = h + self.attn(self.ln1(h))")
    edit(tmp_path / "block.py", INPLACE_RESIDUAL[1], "h = h + self.ffn(self.ln2(h))")
    status, out = check(capsys, tmp_path, "1")
    assert (status, out.count("\n")) == (0, 1)
    assert out.startswith("exercise 1 passed: inplace=true trains; its forward output and step-0 gradients")


def test_check_1_rejects_a_fix_through_data_that_loses_the_gradients(capsys, tmp_path):
    check(capsys, tmp_path, "1")
    for line in INPLACE_RESIDUAL:
        edit(tmp_path / "block.py", line, line.replace("h.add_", "h.data.add_"))
    status, out = check(capsys, tmp_path, "1")
    assert status == 1 and "the step-0 gradient of" in out and "is not the control's" in out


def test_check_4_passes_once_the_unchecked_layer_norm_saves_through_save_for_backward(capsys, tmp_path):
    status, out = check(capsys, tmp_path, "4", "lang=es")
    assert status == 1 and out.startswith("ejercicio 4, aún no: he copiado src/minigpt/layer_norm.py")
    status, out = check(capsys, tmp_path, "4")
    assert status == 1 and "still runs without an error" in out and "cascade=silent" in out
    edit(tmp_path / "layer_norm.py", UNCHECKED_SAVE, "ctx.save_for_backward(x, weight, mean, rstd)")
    edit(tmp_path / "layer_norm.py", UNCHECKED_READ, "layer_norm_backward(grad_out, *ctx.saved_tensors)")
    status, out = check(capsys, tmp_path, "4")
    assert status == 0
    assert re.fullmatch(r"exercise 4 passed: ln=unchecked inplace=true now raises PyTorch's version-check error "
                        r"\(is at version \d+; expected version \d+ instead\)\n", out)


def test_predictions_made_blank_then_scored_against_the_measured_matrix(capsys, tmp_path):
    status, out = check(capsys, tmp_path, "2")
    assert status == 1 and "blank predictions" in out
    text = (tmp_path / "predictions.yaml").read_text()
    for name, (outcome, _) in predictions.WHY.items():
        text = text.replace(f"\n{name}:\n", f"\n{name}: {outcome}\n")
    (tmp_path / "predictions.yaml").write_text(text)
    status, out = check(capsys, tmp_path, "2")
    assert (status, out) == (0, "exercise 2 passed: 6 of 6 predictions match the measured matrix\n")


def test_each_missed_prediction_is_explained_above_the_verdict(capsys, tmp_path, monkeypatch):
    (tmp_path / "predictions.yaml").write_text("".join(f"{name}: loud\n" for name in predictions.WHY))
    measured = [Row(name, "", outcome, "step-0 gradients", 0.0, "intact", 1e-5)
                for name, (outcome, _) in predictions.WHY.items()]
    monkeypatch.setattr(predictions, "break_matrix", lambda cfg, variants: measured)
    status, out = check(capsys, tmp_path, "2")
    lines = out.splitlines()
    assert status == 1 and len(lines) == 5
    assert lines[0].startswith("  mul_ on a LayerNorm output: you said loud, measured safe. F.layer_norm saves")
    assert lines[-1].startswith("exercise 2 not yet: 2 of 6 predictions match the measured matrix")


def seed_planting(bug) -> int:
    return next(seed for seed in range(100) if bug_for(seed) == bug)


def inplace_line(bug) -> int:
    """The line number, in the planted file, of the bug's in-place op (the line with a call ending in _)."""
    lines = planted_source(bug).splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == bug.lines[0])
    return start + 1 + next(k for k, line in enumerate(bug.lines) if re.search(r"\w_\(", line))


@pytest.mark.parametrize("bug", BUGS, ids=[bug.file for bug in BUGS])
def test_every_planted_bug_is_confirmed_by_the_doctor_at_its_inplace_line(capsys, tmp_path, bug):
    status, out = check(capsys, tmp_path, "3", f"seed={seed_planting(bug)}")
    assert status == 1 and "planted an in-place bug" in out
    status, out = check(capsys, tmp_path, "3", f"answer={bug.file}:{inplace_line(bug)}")
    assert status == 0 and "(the autograd doctor agrees)" in out


def test_naming_the_line_that_saved_the_tensor_is_explained(capsys, tmp_path):
    bug = next(bug for bug in BUGS if bug.file == "layer_norm.py")
    plant(seed_planting(bug), tmp_path / "find-the-break")
    status, out = check(capsys, tmp_path, "3", f"answer=minigpt/layer_norm.py:{inplace_line(bug) - 1}")
    assert status == 1 and "saves the tensor (anomaly mode points there); which later line changes it in place? " \
                           "Stuck? just phase-25-hint 1 cascade=find" in out


def test_a_planted_copy_edited_back_to_the_course_says_it_no_longer_breaks(capsys, tmp_path):
    bug = BUGS[0]
    plant(seed_planting(bug), tmp_path / "find-the-break")
    (tmp_path / "find-the-break" / "minigpt" / bug.file).write_text((REFERENCE / bug.file).read_text())
    status, out = check(capsys, tmp_path, "3", f"answer={bug.file}:1")
    assert status == 1 and "no longer breaks" in out


@pytest.mark.slow
def test_the_planted_runner_raises_and_its_doctor_names_the_line(tmp_path):
    bug = BUGS[0]
    plant(seed_planting(bug), tmp_path)
    run = [sys.executable, str(tmp_path / "run.py")]
    failed = subprocess.run(run, capture_output=True, text=True, cwd=tmp_path)
    assert failed.returncode == 1 and "modified by an inplace operation" in failed.stderr
    doctor = subprocess.run([*run, "doctor=true"], capture_output=True, text=True, cwd=tmp_path, check=True)
    assert f"masked_fill_ at minigpt/{bug.file}:{inplace_line(bug)}" in doctor.stdout


@pytest.mark.parametrize("args, says", [
    ([], "give exactly one exercise number, got 0; allowed: 1, 2, 3, 4, 5"),
    (["7"], "'7' is not an exercise; allowed: 1, 2, 3, 4, 5"),
    (["1", "lang=fr"], "unknown language 'fr' in 'lang=fr'; allowed: en, es"),
    (["1", "seed=3"], "exercise 1 takes no option 'seed'; allowed: lang=..."),
    (["3", "seed=x"], "'seed=x' is not a seed; allowed: a whole number, e.g. seed=3"),
    (["3", "seed=1", "answer=a.py:1"], "give seed=N to plant a new bug, or answer=FILE:LINE to check one, not both"),
])
def test_bad_request_is_one_line_with_exit_2(capsys, tmp_path, args, says):
    assert check(capsys, tmp_path, *args) == (2, f"phase-25-check: error: {says}\n")


def test_an_answer_that_is_not_file_colon_line_is_one_line_with_exit_2(capsys, tmp_path):
    plant(0, tmp_path / "find-the-break")
    status, out = check(capsys, tmp_path, "3", "answer=attention.py")
    assert (status, out) == (2, "phase-25-check: error: 'answer=attention.py' is not FILE:LINE, "
                                "e.g. answer=block.py:12\n")


def test_a_prediction_outside_loud_safe_silent_is_one_line_with_exit_2(capsys, tmp_path):
    text = "".join(f"{name}: safe\n" for name in predictions.WHY).replace("safe", "lound", 1)
    (tmp_path / "predictions.yaml").write_text(text)
    status, out = check(capsys, tmp_path, "2")
    assert status == 2 and out.endswith("'lound' for 'mul_ on a LayerNorm output'; allowed: loud, safe, silent\n")
