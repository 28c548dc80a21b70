"""Exercise 5, the GAN loop: the fresh loop fails (loud with Adam, silent with fused Adam), both fixes pass.

The check compares the generator's gradients with those of a correct loop from the same seed; these tests edit
the learner's copy as a learner would and never read the check's source. Every file lives in tmp_path.
"""

import pytest

import autograd_doctor
from minigpt.cli.check import main
from minigpt.exercises.gan_loop import FOLDER, LOOP, load_train

STEPS_BETWEEN = """        optD.zero_grad()
        d_loss.backward()
        optD.step()
        optG.zero_grad()
        g_loss.backward()
        optG.step()
"""
G_LOSS = "        g_loss = bce(netD(fake), real_label)  # trains netG, through netD\n"
VERSION_ERROR = ("[torch.FloatTensor [16, 1]], which is output 0 of AsStrided, is at version 2; "
                 "expected version 1 instead")


def check(capsys, workspace, *args) -> tuple[int, str]:
    """Run `phase-25-check ARGS` on `workspace`: (exit status, everything it printed)."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(args), workspace)
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out + captured.err


def fresh_copy(capsys, workspace, *args):
    """The first check, which writes the learner's loop; its path."""
    status, out = check(capsys, workspace, "5", *args)
    assert status == 1 and ("a GAN loop" in out or "un bucle de una GAN" in out)
    return workspace / FOLDER / "gan.py"


def edit(path, old: str, new: str) -> None:
    """Replace one exact piece of the learner's file, as the learner would."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")


def reorder(path) -> None:
    """Every backward first, then the steps (g_loss's backward before netD's gradients are zeroed)."""
    edit(path, STEPS_BETWEEN, "        optG.zero_grad()\n        g_loss.backward()\n        optD.zero_grad()\n"
                              "        d_loss.backward()\n        optD.step()\n        optG.step()\n")


def recompute(path) -> None:
    """g_loss's forward through netD again, after netD's step."""
    edit(path, G_LOSS, "")
    edit(path, "        optD.step()\n", "        optD.step()\n" + G_LOSS)


def test_check_5_writes_the_loop_then_reports_the_version_error_it_raises(capsys, tmp_path):
    path = fresh_copy(capsys, tmp_path)
    assert path.read_text(encoding="utf-8") == LOOP
    status, out = check(capsys, tmp_path, "5")
    assert (status, out) == (1, f"exercise 5 not yet: with Adam the loop raises PyTorch's version-check error "
                                f"({VERSION_ERROR}). Stuck? just phase-25-hint 1 cascade=gan\n")


def test_check_5_passes_once_every_backward_runs_before_the_steps(capsys, tmp_path):
    reorder(fresh_copy(capsys, tmp_path))
    status, out = check(capsys, tmp_path, "5")
    assert (status, out) == (0, "exercise 5 passed: with Adam and Adam(fused=True) the loop gives the generator "
                                "the gradients of a correct simultaneous loop for all 3 iterations (g_loss's "
                                "gradient through netD before its step)\n")


def test_check_5_passes_once_g_loss_is_recomputed_after_the_discriminator_steps(capsys, tmp_path):
    recompute(fresh_copy(capsys, tmp_path))
    status, out = check(capsys, tmp_path, "5")
    assert status == 0 and "a correct alternating loop for all 3 iterations" in out and "DCGAN" in out


def test_moving_only_the_step_down_is_caught_by_the_second_iteration(capsys, tmp_path):
    path = fresh_copy(capsys, tmp_path)
    edit(path, "        optD.step()\n", "")
    edit(path, "        optG.step()\n", "        optD.step()\n        optG.step()\n")
    status, out = check(capsys, tmp_path, "5")
    assert status == 1
    assert "with Adam iteration 1 gives the generator the gradients of the simultaneous loop, iteration 2 does " \
           "not" in out and "does netD's .grad hold d_loss's gradient only? Stuck?" in out


def test_the_fused_loop_raises_nothing_and_the_check_says_its_gradients_are_wrong(capsys, tmp_path):
    autograd_doctor.watch_optimizer_steps()  # as after an explain() in this process: the check turns it off
    fresh_copy(capsys, tmp_path)
    status, out = check(capsys, tmp_path, "5", "fused=true")
    assert status == 1
    assert out.startswith("exercise 5 not yet: with Adam(fused=True) the loop raises nothing, but the generator's "
                          "gradients are not those of a correct loop (relative error ")
    assert f"make it loud: autograd-doctor run {tmp_path / FOLDER / 'gan.py'} fused=true." in out


def test_under_explain_the_fused_loop_raises_and_the_note_names_the_discriminator_step(capsys, tmp_path):
    path = fresh_copy(capsys, tmp_path)
    train = load_train(path)
    with pytest.raises(RuntimeError) as raised:
        with autograd_doctor.explain():
            train(fused=True)
    step_line = LOOP.splitlines().index("        optD.step()") + 1
    assert f"optD.step() (Adam, fused) at {path}:{step_line} changed netD.2.weight in place" in \
        autograd_doctor.doctor_notes(raised.value)


@pytest.mark.parametrize("fix", [reorder, recompute])
def test_the_fixed_fused_loop_passes(capsys, tmp_path, fix):
    fix(fresh_copy(capsys, tmp_path))
    status, out = check(capsys, tmp_path, "5", "fused=true")
    assert status == 0 and out.startswith("exercise 5 passed: with Adam(fused=True) the loop gives the generator")


def test_the_spanish_verdicts_fail_and_pass_the_same_way(capsys, tmp_path):
    path = fresh_copy(capsys, tmp_path, "lang=es")
    status, out = check(capsys, tmp_path, "5", "lang=es")
    assert (status, out) == (1, f"ejercicio 5, aún no: con Adam el bucle lanza el error de la comprobación de "
                                f"versiones ({VERSION_ERROR}). ¿Te atascas? just phase-25-hint 1 cascade=gan lang=es\n")
    status, out = check(capsys, tmp_path, "5", "fused=true", "lang=es")
    assert status == 1 and "con Adam(fused=True) el bucle no lanza ningún error" in out
    recompute(path)
    status, out = check(capsys, tmp_path, "5", "lang=es")
    assert status == 0 and out.startswith("ejercicio 5 superado: con Adam y Adam(fused=True) el bucle le da al "
                                          "generador los gradientes de un bucle alterno correcto")


def test_a_loop_that_does_not_import_is_one_not_yet_line(capsys, tmp_path):
    path = fresh_copy(capsys, tmp_path)
    edit(path, "import sys\n", "import sys\nimport no_such_module\n")
    status, out = check(capsys, tmp_path, "5")
    assert (status, out.count("\n")) == (1, 1)
    assert f"{path} does not run: ModuleNotFoundError: No module named 'no_such_module'" in out


@pytest.mark.parametrize("args, says", [
    (["5", "fused=yes"], "unknown value 'yes' in 'fused=yes'; allowed: true, false"),
    (["5", "seed=1"], "exercise 5 takes no option 'seed'; allowed: lang=..., fused=..."),
])
def test_bad_request_is_one_line_with_exit_2(capsys, tmp_path, args, says):
    assert check(capsys, tmp_path, *args) == (2, f"phase-25-check: error: {says}\n")
