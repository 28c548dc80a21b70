"""explain() and `python -m autograd_doctor run`: PyTorch's error first, verbatim, then the culprit; silent otherwise."""

import contextlib
from pathlib import Path

import pytest
import torch
from torch import nn

import autograd_doctor
from autograd_doctor.__main__ import main
from minigpt.data import make_splits
from minigpt.model import build_model
from tests.test_doctor_edges import line_of, mutation_through_detach

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


def test_explain_keeps_pytorch_message_first_verbatim_and_adds_the_add_lines_of_block_py(tiny_config):
    forward = gpt_loss(tiny_config, "inplace=true")
    plain = raised(forward, contextlib.nullcontext())
    explained = raised(forward, autograd_doctor.explain())
    assert type(explained) is type(plain)
    assert str(explained).startswith(str(plain) + "\n\nautograd_doctor: the saved tensor is input ")
    first = str(explained).split("\n")[2:4]
    assert "NativeLayerNormBackward0 in blocks.1.ln2" in first[0]  # the first save backward meets
    add_lines = {f"src/minigpt/block.py:{i}" for i, line in enumerate(BLOCK_SOURCE.read_text().splitlines(), 1)
                 if "h.add_(" in line}
    assert first[1].startswith("  add_ ") and first[1].rpartition(" at ")[2] in add_lines


def test_explain_names_the_detach_mutation_not_the_harmless_relu():
    message = str(raised(mutation_through_detach, autograd_doctor.explain()))
    doctor = message.partition("\n\n")[2]
    assert line_of(mutation_through_detach, ".mul_(2)") in doctor and "relu_" not in doctor


def test_explain_without_an_error_prints_nothing_and_changes_no_gradient(capsys):
    layer, x = nn.Linear(4, 4), torch.randn(3, 4)
    layer(x).relu_().sum().backward()
    plain = layer.weight.grad.clone()
    with autograd_doctor.explain() as tracer:
        for _ in range(3):
            layer.weight.grad = None
            layer(x).relu_().sum().backward()
    assert torch.equal(layer.weight.grad, plain)
    assert tracer.events == []  # forgotten after each backward: a long run keeps no storage alive
    assert capsys.readouterr() == ("", "")


def test_run_command_runs_a_script_with_its_arguments_and_adds_nothing_when_it_works(tmp_path, capsys):
    script = tmp_path / "train.py"
    script.write_text("import sys, torch\nx = torch.randn(3, requires_grad=True)\n"
                      "(x * 2).relu_().sum().backward()\nprint('args', sys.argv[1:])\n")
    assert main(["run", str(script), "--lr", "0.1"]) == 0
    assert capsys.readouterr() == ("args ['--lr', '0.1']\n", "")


def test_run_command_explains_a_script_that_breaks(tmp_path):
    script = tmp_path / "train.py"
    script.write_text("import torch\nx = torch.randn(3, requires_grad=True) * 1.0\ny = x.sigmoid()\n"
                      "y *= 2\ny.sum().backward()\n")
    with pytest.raises(RuntimeError) as error:
        main(["run", str(script)])
    assert str(error.value).rstrip().endswith(f"(v0->v1) at {script}:4")


@pytest.mark.parametrize("argv", [[], ["run"], ["go", "train.py"], ["run", "missing.py"]])
def test_run_command_bad_usage_is_one_line_on_stderr_and_exit_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(("usage:", "autograd_doctor:"))


@pytest.mark.slow
def test_explain_leaves_torch_compile_compiling():
    compiled = torch.compile(lambda x, w: (x @ w).sum())
    w = torch.randn(4, 4, requires_grad=True)
    with autograd_doctor.explain():
        loss = compiled(torch.randn(4, 4, requires_grad=True) * 1.0, w)
    assert loss.grad_fn.name() == "CompiledFunctionBackward"  # not an eager graph that would raise where it won't
