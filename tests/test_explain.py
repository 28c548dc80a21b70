"""explain() on the course's in-place residual: PyTorch's error as it is, the add_ lines of block.py in its note."""

import contextlib
from pathlib import Path

import pytest
import torch

import autograd_doctor
from minigpt.data import make_splits
from minigpt.model import build_model

BLOCK_SOURCE = Path(__file__).resolve().parents[1] / "src" / "minigpt" / "block.py"


def gpt_loss(tiny_config, *overrides):
    """A function making the tiny mini-GPT's loss on 4 sentences, the same every call."""
    cfg = tiny_config(*overrides)
    splits = make_splits(cfg.data, cfg.seed)
    torch.manual_seed(cfg.seed)
    model = build_model(cfg, len(splits.vocab))
    return lambda: model(splits.train_x[:4], splits.train_y[:4])[1]


def raised(forward, context) -> RuntimeError:
    """The error backward raises on forward()'s loss, with the forward and the backward inside `context`."""
    with pytest.raises(RuntimeError) as error:
        with context:
            forward().backward()
    return error.value


def test_explain_keeps_pytorch_error_as_it_is_and_notes_the_add_lines_of_block_py(tiny_config):
    forward = gpt_loss(tiny_config, "inplace=true")
    plain = raised(forward, contextlib.nullcontext())
    explained = raised(forward, autograd_doctor.explain())
    assert type(explained) is type(plain) and str(explained) == str(plain)
    notes = autograd_doctor.doctor_notes(explained).splitlines()
    assert notes[0].startswith("autograd_doctor: the saved tensor is input ")
    assert "NativeLayerNormBackward0 in model.blocks.1.ln2" in notes[0]  # the first save backward meets
    add_lines = {f"src/minigpt/block.py:{i}" for i, line in enumerate(BLOCK_SOURCE.read_text().splitlines(), 1)
                 if "h.add_(" in line}
    assert notes[1].lstrip().startswith("add_ ") and notes[1].split(" at ")[1].split()[0] in add_lines
    assert notes[1].endswith(" in model.blocks.1")  # the module running: the block whose forward has the line
