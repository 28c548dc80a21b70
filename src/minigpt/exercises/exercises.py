"""The phase's exercises and their self-checks: `just phase-25-check N` says passed or not yet, and why.

    1  fix run B          edit the in-place branch of exercises/block.py, a copy of src/minigpt/block.py
    2  predict            loud, safe or silent for six variants, in exercises/predictions.yaml
    3  find the break     name the file:line of an in-place bug planted in exercises/find-the-break/
    4  make silent loud   edit exercises/layer_norm.py so the version check sees the unchecked LayerNorm's saves
    5  the GAN loop       reorder the optimizer steps of exercises/gan-loop/gan.py, loud with Adam, silent fused

The learner's files live under exercises/ (gitignored): src/minigpt stays the reference the tests check.
"""

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import torch

import minigpt.model
from autograd_doctor import is_version_error
from minigpt.exercises.exercise_kit import REFERENCE, TINY, Verdict, course_with, error_line, tiny_data, tiny_gpt
from minigpt.exercises.gan_loop import check_gan_loop
from minigpt.exercises.planted import check_planted
from minigpt.exercises.predictions import check_predictions
from minigpt.lab.compare import rounding_bound
from minigpt.lab.matrix import relative_error
from minigpt.language import say
from minigpt.train import training_step

VERSIONS = re.compile(r"is at version \d+; expected version \d+ instead")


@dataclass(frozen=True)
class Exercise:
    """One exercise: its number, the hint cascade that helps with it, its check and the options it takes."""

    number: int
    cascade: str
    check: Callable[[Path, str, dict[str, str]], Verdict]  # (workspace, language, options) -> Verdict
    options: tuple[str, ...] = ()


def learner_copy(workspace: Path, name: str, language: str) -> Optional[Verdict]:
    """Copy src/minigpt/<name> to the workspace the first time; the not-yet verdict that says so, else None."""
    target = workspace / name
    if target.exists():
        return None
    workspace.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REFERENCE / name, target)
    return Verdict(False, say(language,
                              f"copied src/minigpt/{name} to {target}; edit that copy (src/ stays the reference "
                              f"the tests check), then run this check again",
                              f"he copiado src/minigpt/{name} en {target}; edita esa copia (src/ sigue siendo la "
                              f"referencia que comprueban los tests) y vuelve a ejecutar esta comprobación"))


def version_phrase(error: BaseException) -> str:
    """The part of PyTorch's version-check error that says which save failed: 'is at version 4; expected ...'."""
    found = VERSIONS.search(str(error))
    return found.group(0) if found else str(error).splitlines()[0]


def step_zero(model: torch.nn.Module, x, y) -> tuple[torch.Tensor, dict[str, Optional[torch.Tensor]]]:
    """Logits of one forward and the gradients of its backward, by parameter name (None: no gradient)."""
    logits, loss = model(x, y)
    loss.backward()
    return logits.detach(), {name: p.grad for name, p in model.named_parameters()}


def training_losses(model: torch.nn.Module, splits) -> list[float]:
    """The losses of TINY.train.steps SGD steps from the model's current weights (fresh gradients)."""
    model.zero_grad(set_to_none=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=TINY.train.lr)  # any optimizer shows it still trains
    batches = torch.Generator().manual_seed(TINY.seed)
    return [training_step(model, *splits.batch(batches, TINY.train.batch_size), lambda: optimizer).item()
            for _ in range(TINY.train.steps)]


def check_fix_run_b(workspace: Path, language: str, options: dict[str, str]) -> Verdict:
    """Exercise 1: with the learner's block.py, inplace=true trains exactly like the control."""
    started = learner_copy(workspace, "block.py", language)
    if started:
        return started
    splits, x, y = tiny_data()
    control = tiny_gpt(minigpt.model, len(splits.vocab), inplace=False)
    want_logits, want_grads = step_zero(control, x, y)
    try:
        with course_with({"block.py": workspace / "block.py"}) as course:
            fixed = tiny_gpt(course, len(splits.vocab), inplace=True)
            fixed.load_state_dict(control.state_dict())
            logits = fixed(x)[0].detach()
            if not torch.equal(logits, want_logits):
                gap = (logits - want_logits).abs().max().item() if logits.shape == want_logits.shape else float("nan")
                return Verdict(False, say(language,
                    f"with inplace=true the forward output differs from the control's (largest gap {gap:.2g}); "
                    f"the fix must compute the same h",
                    f"con inplace=true la salida del forward difiere de la del control (diferencia máxima "
                    f"{gap:.2g}); el arreglo debe calcular el mismo h"))
            fixed.zero_grad(set_to_none=True)
            _, grads = step_zero(fixed, x, y)
            model_for_training = tiny_gpt(course, len(splits.vocab), inplace=True)
            model_for_training.load_state_dict(control.state_dict())
            losses = training_losses(model_for_training, splits)
    except RuntimeError as error:
        if not is_version_error(error):
            return Verdict(False, say(language, f"inplace=true raised {error_line(error)}",
                                      f"inplace=true lanzó {error_line(error)}"))
        return Verdict(False, say(language,
            f"inplace=true still raises PyTorch's version-check error at the first backward "
            f"({version_phrase(error)})",
            f"inplace=true sigue lanzando el error de la comprobación de versiones en el primer backward "
            f"({version_phrase(error)})"))
    except Exception as error:  # the learner's file may not import or build: say what broke, not a traceback
        return Verdict(False, say(language, f"{workspace / 'block.py'} does not run: {error_line(error)}",
                                  f"{workspace / 'block.py'} no se ejecuta: {error_line(error)}"))
    for name, want in want_grads.items():
        got = grads[name]
        if got is None or not torch.equal(got, want):
            error = say(language, "no gradient", "sin gradiente") if got is None else \
                say(language, "relative error", "error relativo") + f" {relative_error([got], [want]):.2g}"
            return Verdict(False, say(language,
                f"the step-0 gradient of {name} is not the control's ({error}); bit for bit is the goal",
                f"el gradiente del paso 0 de {name} no es el del control ({error}); el objetivo es bit a bit"))
    want_losses = training_losses(tiny_gpt(minigpt.model, len(splits.vocab), inplace=False), splits)
    if losses != want_losses:
        return Verdict(False, say(language, f"training losses {losses} differ from the control's {want_losses}",
                                  f"las pérdidas del entrenamiento {losses} difieren de las del control {want_losses}"))
    return Verdict(True, say(language,
        f"inplace=true trains; its forward output and step-0 gradients equal the control's bit for bit, and so "
        f"do its first {len(losses)} training losses",
        f"inplace=true entrena; su salida del forward y sus gradientes del paso 0 son los del control bit a bit, "
        f"y también sus {len(losses)} primeras pérdidas de entrenamiento"))


def check_make_silent_loud(workspace: Path, language: str, options: dict[str, str]) -> Verdict:
    """Exercise 4: with the learner's layer_norm.py, ln=unchecked inplace=true raises PyTorch's version error."""
    started = learner_copy(workspace, "layer_norm.py", language)
    if started:
        return started
    splits, x, y = tiny_data()
    reference = tiny_gpt(minigpt.model, len(splits.vocab), ln="unchecked")
    _, want_grads = step_zero(reference, x, y)
    try:
        with course_with({"layer_norm.py": workspace / "layer_norm.py"}) as course:
            intact = tiny_gpt(course, len(splits.vocab), ln="unchecked")
            intact.load_state_dict(reference.state_dict())
            _, grads = step_zero(intact, x, y)
            broken = tiny_gpt(course, len(splits.vocab), ln="unchecked", inplace=True)
            broken.load_state_dict(reference.state_dict())
            try:
                broken(x, y)[1].backward()
            except RuntimeError as error:
                raised = error
            else:
                raised = None
    except Exception as error:  # the learner's file may not import or build: say what broke, not a traceback
        return Verdict(False, say(language, f"{workspace / 'layer_norm.py'} does not run: {error_line(error)}",
                                  f"{workspace / 'layer_norm.py'} no se ejecuta: {error_line(error)}"))
    names = list(want_grads)
    if any(grads[n] is None for n in names) or \
            relative_error([grads[n] for n in names], [want_grads[n] for n in names]) > rounding_bound(x.numel()):
        return Verdict(False, say(language,
            "with the residual out of place, ln=unchecked no longer gives the course's gradients: keep the "
            "LayerNorm's maths, change only how its Function keeps its tensors",
            "con la conexión residual no in situ, ln=unchecked ya no da los gradientes del curso: conserva las "
            "cuentas de la LayerNorm y cambia solo cómo guarda sus tensores la Function"))
    if raised is None:
        return Verdict(False, say(language,
            "ln=unchecked inplace=true still runs without an error: the LayerNorm's saved tensors escape the "
            "version check",
            "ln=unchecked inplace=true sigue ejecutándose sin error: los tensores que guarda la LayerNorm escapan "
            "a la comprobación de versiones"))
    if not is_version_error(raised):
        return Verdict(False, say(language, f"it raised, but not PyTorch's version-check error: {error_line(raised)}",
                                  f"lanza un error, pero no el de la comprobación de versiones: {error_line(raised)}"))
    return Verdict(True, say(language,
        f"ln=unchecked inplace=true now raises PyTorch's version-check error ({version_phrase(raised)})",
        f"ln=unchecked inplace=true ya lanza el error de la comprobación de versiones ({version_phrase(raised)})"))


EXERCISES = {e.number: e for e in [
    Exercise(1, "loud", check_fix_run_b),
    Exercise(2, "predict", check_predictions),
    Exercise(3, "find", check_planted, options=("seed", "answer")),
    Exercise(4, "silent", check_make_silent_loud),
    Exercise(5, "gan", check_gan_loop, options=("fused",)),
]}


def verdict_line(exercise: Exercise, verdict: Verdict, language: str) -> str:
    """The one line a check ends with: passed, or not yet with the hint cascade to turn to."""
    if verdict.passed:
        return say(language, f"exercise {exercise.number} passed: {verdict.line}",
                   f"ejercicio {exercise.number} superado: {verdict.line}")
    command = f"just phase-25-hint 1 cascade={exercise.cascade}"
    stop = "" if verdict.line.endswith("?") else "."  # a line that ends in a question needs no full stop
    return say(language, f"exercise {exercise.number} not yet: {verdict.line}{stop} Stuck? {command}",
               f"ejercicio {exercise.number}, aún no: {verdict.line}{stop} ¿Te atascas? {command} lang=es")
