"""Exercise 5, the GAN loop: the discriminator's optimizer step between two backward passes.

The learner's exercises/gan-loop/gan.py trains a tiny GAN on the CPU. Its loop builds both losses first, then
steps the discriminator before the generator's backward, whose graph saved the discriminator's weights: with
Adam, PyTorch raises its version-check error; with Adam(fused=True), which does not bump the version counters
on torch 2.13 (CPU), nothing raises and that backward silently uses the stepped weights. The check runs the
learner's train() as plain PyTorch would and compares the generator's gradients with those of the two correct
loops from the same seed: simultaneous (every backward, then the steps) and alternating (the discriminator
steps, then the generator's loss is recomputed through it, as in PyTorch's DCGAN example).
"""

import importlib.util
import math
from pathlib import Path
from typing import Callable, Optional

import torch
from torch import nn

from autograd_doctor import is_version_error, watch_optimizer_steps
from minigpt.exercises.exercise_kit import ExerciseInputError, Verdict, error_line
from minigpt.lab.compare import rounding_bound
from minigpt.lab.matrix import relative_error
from minigpt.language import in_language, say

FOLDER = "gan-loop"
NOISE, HIDDEN, BATCH, STEPS = 4, 16, 32, 3  # small enough for a check of well under a second
LR, BETAS = 0.01, (0.5, 0.999)  # DCGAN's betas; a learning rate large enough that a stepped weight shows
ORDERS = ("simultaneous", "alternating")  # the two correct loops, and what each computes
ORDER_NAMES = {"simultaneous": {"en": "simultaneous", "es": "simultáneo"},
               "alternating": {"en": "alternating", "es": "alterno"}}
WHY = {"simultaneous": {"en": "g_loss's gradient through netD before its step",
                        "es": "el gradiente de g_loss a través de netD antes de su paso"},
       "alternating": {"en": "g_loss recomputed through netD after its step, as in PyTorch's DCGAN example",
                       "es": "g_loss recalculado a través de netD después de su paso, como en el ejemplo DCGAN de "
                             "PyTorch"}}
AND = {"en": " and ", "es": " y "}
Gradients = list[dict[str, torch.Tensor]]  # the generator's gradients at each iteration, by parameter name

LOOP = '''"""A tiny GAN on the CPU (exercise 5): the generator learns to put its 2-d samples on the unit circle.

    python exercises/gan-loop/gan.py                           Adam: read PyTorch's error
    python exercises/gan-loop/gan.py fused=true                Adam(fused=True): no error; are the gradients right?
    autograd-doctor run exercises/gan-loop/gan.py fused=true   the fused loop under autograd_doctor.explain()

just phase-25-check 5 calls train() and compares the generator's gradients with those of a correct loop.
"""

import sys

import torch
from torch import nn

from minigpt.exercises.gan_loop import BATCH, STEPS, noise, real_samples, tiny_gan


def train(steps: int = STEPS, fused: bool = False) -> list[dict[str, torch.Tensor]]:
    """`steps` iterations from seed 0; the generator's gradients at each one, by parameter name."""
    netG, netD, optG, optD = tiny_gan(fused)
    bce, real_label, fake_label = nn.BCEWithLogitsLoss(), torch.ones(BATCH, 1), torch.zeros(BATCH, 1)
    gradients = []
    for _ in range(steps):
        real, fake = real_samples(), netG(noise())  # (B, 2) each
        d_loss = bce(netD(real), real_label) + bce(netD(fake.detach()), fake_label)  # trains netD: fake is data here
        g_loss = bce(netD(fake), real_label)  # trains netG, through netD
        optD.zero_grad()
        d_loss.backward()
        optD.step()
        optG.zero_grad()
        g_loss.backward()
        optG.step()
        gradients.append({name: p.grad.clone() for name, p in netG.named_parameters()})
    return gradients


if __name__ == "__main__":
    if set(sys.argv[1:]) - {"fused=true"}:
        sys.exit("usage: gan.py [fused=true]")
    train(fused="fused=true" in sys.argv)
    print(f"{STEPS} iterations ran without an error")
'''


def tiny_gan(fused: bool) -> tuple[nn.Module, nn.Module, torch.optim.Adam, torch.optim.Adam]:
    """Generator, discriminator and their Adam optimizers, seeded (seed 0) so every loop starts the same."""
    torch.manual_seed(0)
    netG = nn.Sequential(nn.Linear(NOISE, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 2))
    netD = nn.Sequential(nn.Linear(2, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 1))  # a logit: real or generated
    optG = torch.optim.Adam(netG.parameters(), lr=LR, betas=BETAS, fused=fused)
    optD = torch.optim.Adam(netD.parameters(), lr=LR, betas=BETAS, fused=fused)
    return netG, netD, optG, optD


def real_samples() -> torch.Tensor:
    """BATCH points on the unit circle, (B, 2), from the global generator."""
    angle = 2 * math.pi * torch.rand(BATCH, 1)
    return torch.cat([angle.cos(), angle.sin()], dim=1)


def noise() -> torch.Tensor:
    """The generator's input, (B, NOISE), from the global generator."""
    return torch.randn(BATCH, NOISE)


def correct_gradients(order: str, fused: bool, steps: int = STEPS) -> Gradients:
    """The generator's gradients of a correct loop: `simultaneous` runs both backwards, then both steps;
    `alternating` steps netD first, then recomputes g_loss through the stepped netD."""
    netG, netD, optG, optD = tiny_gan(fused)
    bce, real_label, fake_label = nn.BCEWithLogitsLoss(), torch.ones(BATCH, 1), torch.zeros(BATCH, 1)
    gradients = []
    for _ in range(steps):
        real, fake = real_samples(), netG(noise())  # (B, 2) each
        d_loss = bce(netD(real), real_label) + bce(netD(fake.detach()), fake_label)
        if order == "simultaneous":
            g_loss = bce(netD(fake), real_label)
            optG.zero_grad()
            g_loss.backward()  # also adds into netD's .grad: zeroed next, before d_loss's backward
            optD.zero_grad()
            d_loss.backward()
            optD.step()
            optG.step()
        else:
            optD.zero_grad()
            d_loss.backward()
            optD.step()
            g_loss = bce(netD(fake), real_label)  # a new forward through netD as it is now
            optG.zero_grad()
            g_loss.backward()
            optG.step()
        gradients.append({name: p.grad.clone() for name, p in netG.named_parameters()})
    return gradients


def load_train(path: Path) -> Callable[..., Gradients]:
    """The learner's train() from `path`, imported fresh (not kept in sys.modules)."""
    spec = importlib.util.spec_from_file_location("exercise_gan_loop", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.train


def variants(options: dict[str, str]) -> tuple[bool, ...]:
    """The optimizers to check, as `fused` flags: both by default, one with fused=true or fused=false."""
    value = options.get("fused")
    if value is None:
        return (False, True)
    if value not in ("true", "false"):
        raise ExerciseInputError(f"unknown value '{value}' in 'fused={value}'; allowed: true, false")
    return (value == "true",)


def label(fused: bool) -> str:
    """The optimizer as a verdict names it."""
    return "Adam(fused=True)" if fused else "Adam"


def per_iteration_errors(got: Gradients, want: Gradients) -> list[float]:
    """The relative error of the generator's gradients at each iteration."""
    return [relative_error([g[name] for name in w], [w[name] for name in w]) for g, w in zip(got, want)]


def check_variant(train: Callable[..., Gradients], path: Path, fused: bool,
                  language: str) -> tuple[Optional[str], Optional[Verdict]]:
    """One optimizer's run of the learner's loop: (the correct loop it matches, None) or (None, the not-yet verdict)."""
    watch_optimizer_steps().stop()  # plain PyTorch, as in a fresh process: fused steps leave the versions as they were
    name = label(fused)
    try:
        got = train(fused=fused)
    except RuntimeError as error:
        if is_version_error(error):
            phrase = str(error).split("inplace operation: ")[-1].split(". Hint")[0]
            return None, Verdict(False, say(language,
                f"with {name} the loop raises PyTorch's version-check error ({phrase})",
                f"con {name} el bucle lanza el error de la comprobación de versiones ({phrase})"))
        return None, Verdict(False, say(language, f"with {name} the loop raised {error_line(error)}",
                                        f"con {name} el bucle lanzó {error_line(error)}"))
    except Exception as error:  # the learner's file may not run: say what broke, not a traceback
        return None, Verdict(False, say(language, f"{path} does not run: {error_line(error)}",
                                        f"{path} no se ejecuta: {error_line(error)}"))
    references = {order: correct_gradients(order, fused) for order in ORDERS}
    wanted = references[ORDERS[0]]
    if not isinstance(got, list) or len(got) != len(wanted) or \
            not all(isinstance(g, dict) and g.keys() == w.keys() for g, w in zip(got, wanted)):
        return None, Verdict(False, say(language,
            f"train() must return, for each of the {STEPS} iterations, the generator's gradients by parameter name "
            f"(as the copy you were given does)",
            f"train() debe devolver, para cada una de las {STEPS} iteraciones, los gradientes del generador por "
            f"nombre de parámetro (como la copia que recibiste)"))
    errors = {order: per_iteration_errors(got, references[order]) for order in ORDERS}
    bound = rounding_bound(BATCH)
    matched = [order for order in ORDERS if max(errors[order]) <= bound]
    if matched:
        return matched[0], None
    started = [order for order in ORDERS if errors[order][0] <= bound]
    if started:
        order = started[0]
        k = next(i for i, e in enumerate(errors[order]) if e > bound)
        loop = in_language(ORDER_NAMES[order], language)
        return None, Verdict(False, say(language,
            f"with {name} iteration 1 gives the generator the gradients of the {loop} loop, iteration {k + 1} "
            f"does not (relative error {errors[order][k]:.2g}): when optD.step() runs, does netD's .grad hold "
            f"d_loss's gradient only?",
            f"con {name} la iteración 1 le da al generador los gradientes del bucle {loop}, la "
            f"iteración {k + 1} no (error relativo {errors[order][k]:.2g}): cuando se ejecuta optD.step(), "
            f"¿contiene el .grad de netD solo el gradiente de d_loss?"))
    nearest = min(errors[order][0] for order in ORDERS)
    if fused:
        return None, Verdict(False, say(language,
            f"with {name} the loop raises nothing, but the generator's gradients are not those of a correct loop "
            f"(relative error {nearest:.2g} at iteration 1); make it loud: autograd-doctor run {path} fused=true",
            f"con {name} el bucle no lanza ningún error, pero los gradientes del generador no son los de un bucle "
            f"correcto (error relativo {nearest:.2g} en la iteración 1); haz que dé un error explícito: "
            f"autograd-doctor run {path} fused=true"))
    return None, Verdict(False, say(language,
        f"with {name} the loop runs, but the generator's gradients are not those of a correct loop (relative error "
        f"{nearest:.2g} at iteration 1)",
        f"con {name} el bucle se ejecuta, pero los gradientes del generador no son los de un bucle correcto (error "
        f"relativo {nearest:.2g} en la iteración 1)"))


def check_gan_loop(workspace: Path, language: str, options: dict[str, str]) -> Verdict:
    """Exercise 5: the learner's loop gives the generator the gradients of a correct loop, with Adam and fused Adam."""
    checked = variants(options)
    path = workspace / FOLDER / "gan.py"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(LOOP, encoding="utf-8")
        return Verdict(False, say(language,
            f"wrote {path}, a GAN loop; run python {path} (and fused=true), fix the loop in that file, then run "
            f"this check again",
            f"he escrito {path}, un bucle de una GAN; ejecuta python {path} (y con fused=true), arregla el bucle en "
            f"ese archivo y vuelve a ejecutar esta comprobación"))
    try:
        train = load_train(path)
    except Exception as error:  # the learner's file may not import: say what broke, not a traceback
        return Verdict(False, say(language, f"{path} does not run: {error_line(error)}",
                                  f"{path} no se ejecuta: {error_line(error)}"))
    orders = []
    for fused in checked:
        order, missed = check_variant(train, path, fused, language)
        if missed:
            return missed
        orders.append(order)
    names = in_language(AND, language).join(label(fused) for fused in checked)
    loops = ", ".join(in_language(ORDER_NAMES[order], language) for order in orders)
    if len(set(orders)) > 1:
        return Verdict(False, say(language, f"{names} follow different loops ({loops}); keep one loop",
                                  f"{names} siguen bucles distintos ({loops}); deja un solo bucle"))
    loop, why = in_language(ORDER_NAMES[orders[0]], language), in_language(WHY[orders[0]], language)
    return Verdict(True, say(language,
        f"with {names} the loop gives the generator the gradients of a correct {loop} loop for all {STEPS} "
        f"iterations ({why})",
        f"con {names} el bucle le da al generador los gradientes de un bucle {loop} correcto en las "
        f"{STEPS} iteraciones ({why})"))
