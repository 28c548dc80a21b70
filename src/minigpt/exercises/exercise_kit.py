"""What every exercise check shares: the verdict, the tiny model and batch, and the course with the learner's files.

A learner edits copies under exercises/ (gitignored), never src/minigpt: the course's own files stay the
reference that `just test` checks. A check imports the core model from a temporary copy of src/minigpt in
which the learner's files replace the course's, under the usual names (minigpt.block, ...), for the length
of a `with` block, and puts the course's own modules back after it.
"""

import contextlib
import importlib
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Iterator

import torch

import minigpt
from minigpt.config import DataConfig, ModelConfig, Phase25Config, TrainConfig
from minigpt.data import Splits, make_splits

REFERENCE = Path(minigpt.__file__).parent  # src/minigpt: the core, one module per top-level file
# One block, as in the notes' example: every break of the phase shows, and a check takes about a second.
TINY = Phase25Config(model=ModelConfig(n_layer=1, n_head=4, n_embd=32),
                     data=DataConfig(n_train=256, n_eval=64), train=TrainConfig(steps=3, batch_size=16))


@dataclass
class Verdict:
    """A check's outcome: passed or not yet, the one verdict line, and lines that explain it (shown above)."""

    passed: bool
    line: str
    details: list[str] = field(default_factory=list)


class ExerciseInputError(ValueError):
    """A learner's input the check cannot read (a bad answer, an unknown prediction), phrased as one line."""


def error_line(error: BaseException) -> str:
    """An exception as `Type: first line`, short enough for a verdict line."""
    return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"


def tiny_data() -> tuple[Splits, torch.Tensor, torch.Tensor]:
    """The tiny config's data and its first training batch (B, T) of inputs and targets."""
    splits = make_splits(TINY.data, TINY.seed)
    x, y = splits.batch(torch.Generator().manual_seed(TINY.seed), TINY.train.batch_size)
    return splits, x, y


def tiny_gpt(model_module: ModuleType, vocab_size: int, inplace: bool = False, via_data: bool = False,
             ln: str = "torch") -> torch.nn.Module:
    """The tiny config's GPT from `model_module` (the course's minigpt.model or a copy's), seeded like a run,
    with the explicit attention a learner reads."""
    torch.manual_seed(TINY.seed)
    config = sys.modules[model_module.GPTConfig.__module__]  # the copy's minigpt.config, beside its model
    m = TINY.model
    return model_module.GPT(config.GPTConfig(vocab_size, TINY.data.block_size, m.n_layer, m.n_head, m.n_embd,
                                             config.residual_of(inplace, via_data), config.LayerNormKind(ln),
                                             config.Attention.explicit))


def core_files() -> dict[str, Path]:
    """The course's core modules by file name: block.py -> src/minigpt/block.py, ..."""
    return {path.name: path for path in sorted(REFERENCE.glob("*.py"))}


@contextlib.contextmanager
def course_with(files: dict[str, Path]) -> Iterator[ModuleType]:
    """minigpt.model imported from a copy of the core in which `files` (name -> path) replace the course's own."""
    names = ["minigpt", *(f"minigpt.{name.removesuffix('.py')}" for name in core_files())]
    saved = {name: sys.modules.pop(name) for name in names if name in sys.modules}
    with tempfile.TemporaryDirectory() as root:
        package = Path(root) / "minigpt"
        package.mkdir()
        for name, path in {**core_files(), **files}.items():
            shutil.copyfile(path, package / name)
        sys.path.insert(0, root)
        importlib.invalidate_caches()  # the folder is new: finders must not trust a cached listing
        try:
            yield importlib.import_module("minigpt.model")
        finally:
            sys.path.remove(root)
            for name in names:
                sys.modules.pop(name, None)
            sys.modules.update(saved)
