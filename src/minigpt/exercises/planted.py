"""Exercise 3, find the break: one in-place bug, chosen by a seed, planted in a copy of the model.

The copy lives in exercises/find-the-break/ (minigpt/ and a run.py that trains it one step); the learner
names the file:line of the in-place op, and the check asks the autograd doctor, on the learner's copy as it
is now, which lines bumped a saved tensor. None of these bugs appears in the phase notes.
"""

import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from autograd_doctor import diagnose_forward
from minigpt.exercises.exercise_kit import (
    ExerciseInputError,
    Verdict,
    core_files,
    course_with,
    tiny_data,
    tiny_gpt,
)
from minigpt.language import say

FOLDER = "find-the-break"


@dataclass(frozen=True)
class PlantedBug:
    """An in-place bug: the course file it goes in, the line it replaces, and the lines put there instead."""

    file: str
    anchor: str  # a line of the course's file, without its indentation
    lines: tuple[str, ...]  # written with the anchor's indentation


BUGS = (
    PlantedBug("attention.py", "weights = torch.softmax(scores, dim=-1)  # (B, H, T, T); each row sums to 1", (
        "weights = torch.softmax(scores, dim=-1)  # (B, H, T, T); each row sums to 1",
        "weights.masked_fill_(self.future[:T, :T], 0.0)  # the future gets exactly zero weight",
    )),
    PlantedBug("feed_forward.py", "return self.down(F.gelu(self.up(x)))  # (B, T, C)", (
        "u = self.up(x)  # (B, T, 4C)",
        "gate = (1.702 * u).sigmoid()  # GELU's sigmoid approximation: u * sigmoid(1.702 u)",
        "return self.down(gate.mul_(u))  # (B, T, C) reuses gate's memory for the product",
    )),
    PlantedBug("layer_norm.py", "return F.layer_norm(x, self.weight.shape, self.weight, self.bias, self.eps)", (
        "centered = x - x.mean(-1, keepdim=True)  # (B, T, C)",
        "var = (centered ** 2).mean(-1, keepdim=True)  # (B, T, 1)",
        "return centered.div_((var + self.eps).sqrt()) * self.weight + self.bias",
    )),
    PlantedBug("model.py", "logits = self.head(self.ln_final(h))  # (B, T, V)", (
        "logits = self.head(self.ln_final(h))  # (B, T, V)",
        "logits.div_(30.0).tanh_().mul_(30.0)  # soft-cap the logits to (-30, 30) without new tensors",
    )),
)

RUNNER = '''"""The planted copy of the mini-GPT (./minigpt, one in-place bug): one forward and backward on a tiny batch.

    python exercises/find-the-break/run.py                      read PyTorch's error
    python exercises/find-the-break/run.py detect_anomaly=true  and the forward line of the node that failed
    python exercises/find-the-break/run.py doctor=true          the autograd doctor names the line (the answer)
"""

import sys

import torch

from autograd_doctor import diagnose_forward
from minigpt.config import Attention, DataConfig, GPTConfig  # this script's folder comes first on sys.path: the copy
from minigpt.data import make_splits
from minigpt.model import GPT

OPTIONS = ("detect_anomaly=true", "doctor=true")
if set(sys.argv[1:]) - set(OPTIONS):
    sys.exit(f"usage: run.py [{' | '.join(OPTIONS)}]")
torch.manual_seed(0)
splits = make_splits(DataConfig(n_train=256, n_eval=64), seed=0)
model = GPT(GPTConfig(len(splits.vocab), block_size=12, n_layer=1, n_head=4, n_embd=32, attention=Attention.explicit))
x, y = splits.batch(torch.Generator().manual_seed(0), 16)  # (B, T)
if "doctor=true" in sys.argv:
    report = diagnose_forward(lambda: model(x, y)[1], dict(model.named_parameters()))
    print(report.summary(), *report.breaks, sep="\\n")
else:
    with torch.autograd.set_detect_anomaly("detect_anomaly=true" in sys.argv):
        model(x, y)[1].backward()
    print("forward and backward ran without an error")
'''


def bug_for(seed: int) -> PlantedBug:
    """The bug a seed chooses."""
    return BUGS[random.Random(seed).randrange(len(BUGS))]


def planted_source(bug: PlantedBug) -> str:
    """The course's file with the bug's anchor line replaced by the bug's lines."""
    lines = (core_files()[bug.file]).read_text(encoding="utf-8").splitlines(keepends=True)
    matches = [i for i, line in enumerate(lines) if line.strip() == bug.anchor]
    if len(matches) != 1:
        raise RuntimeError(f"planted bug: {len(matches)} lines of {bug.file} read '{bug.anchor}', expected 1")
    line = lines[matches[0]]
    indent = line[: len(line) - len(line.lstrip())]
    lines[matches[0]] = "".join(f"{indent}{new}\n" for new in bug.lines)
    return "".join(lines)


def plant(seed: int, folder: Path) -> None:
    """Write a copy of the core with the seed's bug in it to folder/minigpt, and folder/run.py to train it."""
    bug = bug_for(seed)
    shutil.rmtree(folder, ignore_errors=True)
    package = folder / "minigpt"
    package.mkdir(parents=True)
    for name, path in core_files().items():
        shutil.copyfile(path, package / name)
    (package / bug.file).write_text(planted_source(bug), encoding="utf-8")
    (folder / "run.py").write_text(RUNNER, encoding="utf-8")


def parse_answer(answer: str, package: Path) -> tuple[str, int]:
    """(file name, line) from 'FILE:LINE'; ExerciseInputError when it is not one of the copy's files."""
    file, _, line = answer.rpartition(":")
    if not file or not line.isdigit():
        raise ExerciseInputError(f"'answer={answer}' is not FILE:LINE, e.g. answer=block.py:12")
    name = Path(file).name
    if not (package / name).is_file():
        known = ", ".join(sorted(p.name for p in package.glob("*.py")))
        raise ExerciseInputError(f"no file '{name}' in {package}; allowed: {known}")
    return name, int(line)


def site(path_and_line: str) -> tuple[str, int]:
    """('model.py', 33) from a doctor site such as '/tmp/x/minigpt/model.py:33'."""
    path, _, line = path_and_line.rpartition(":")
    return Path(path).name, int(line)


def check_planted(workspace: Path, language: str, options: dict[str, str]) -> Verdict:
    """Exercise 3: plant a bug (first run, or seed=N), or check answer=FILE:LINE against the autograd doctor."""
    folder, package = workspace / FOLDER, workspace / FOLDER / "minigpt"
    if "seed" in options and "answer" in options:
        raise ExerciseInputError("give seed=N to plant a new bug, or answer=FILE:LINE to check one, not both")
    if "answer" in options and not package.is_dir():
        raise ExerciseInputError(f"nothing planted in {package} yet; run just phase-25-check 3 first")
    if "seed" in options or not package.is_dir():
        seed = options.get("seed", "0")
        if not seed.isdigit():
            raise ExerciseInputError(f"'seed={seed}' is not a seed; allowed: a whole number, e.g. seed=3")
        plant(int(seed), folder)
        return Verdict(False, say(language,
            f"planted an in-place bug (seed {seed}) in {package}, a copy of the model; run python {folder}/run.py, "
            f"find the line, then: just phase-25-check 3 answer=FILE:LINE",
            f"he sembrado un fallo in situ (semilla {seed}) en {package}, una copia del modelo; ejecuta python "
            f"{folder}/run.py, encuentra la línea y luego: just phase-25-check 3 answer=ARCHIVO:LÍNEA lang=es"))
    if "answer" not in options:
        return Verdict(False, say(language, f"name the line of the bug in {package}: just phase-25-check 3 "
                                            f"answer=FILE:LINE",
                                  f"nombra la línea del fallo en {package}: just phase-25-check 3 "
                                  f"answer=ARCHIVO:LÍNEA lang=es"))
    name, line = parse_answer(options["answer"], package)
    splits, x, y = tiny_data()
    with course_with({p.name: p for p in package.glob("*.py")}) as course:
        model = tiny_gpt(course, len(splits.vocab))
        report = diagnose_forward(lambda: model(x, y)[1], dict(model.named_parameters()))
    if not report.breaks:
        return Verdict(False, say(language,
            f"the copy in {package} no longer breaks (was it edited?); plant a fresh one: just phase-25-check 3 seed=1",
            f"la copia de {package} ya no falla (¿la has editado?); "
            f"siembra otra: just phase-25-check 3 seed=1 lang=es"))
    culprits = {site(event.site): b for b in report.breaks for event in b.bumped_by}
    savers = {site(b.source) for b in report.breaks if b.source}
    where = f"{package / name}:{line}"
    if (name, line) in culprits:
        found = culprits[name, line]
        return Verdict(True, say(language,
            f"{where} changes in place the tensor {found.node} saved as {found.slot} (the autograd doctor agrees)",
            f"{where} modifica in situ el tensor que {found.node} guardó como {found.slot} (el doctor de autograd "
            f"está de acuerdo)"))
    if (name, line) in savers:
        return Verdict(False, say(language,
            f"{where} saves the tensor (anomaly mode points there); which later line changes it in place?",
            f"{where} guarda el tensor (ahí apunta la detección de anomalías); "
            f"¿qué línea posterior lo modifica in situ?"))
    if name in {file for file, _ in culprits}:
        return Verdict(False, say(language, f"right file, but not line {line}",
                                  f"el archivo es ese, pero no la línea {line}"))
    return Verdict(False, say(language, f"the bug is not in {name}", f"el fallo no está en {name}"))
