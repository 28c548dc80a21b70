"""explain(): PyTorch's exception object and message as they are, the doctor's lines as its note; silent otherwise;
no frame of the doctor's in the user's traceback."""

import contextlib
import traceback

import pytest
import torch
from shared_cases import mutation_through_detach
from source_lines import site_of
from torch import nn

import autograd_doctor


def raised(forward, context) -> RuntimeError:
    """The error backward raises on forward()'s loss, with the forward and the backward inside `context`."""
    with pytest.raises(RuntimeError) as error:
        with context:
            forward().backward()
    return error.value


def test_the_error_is_pytorchs_own_object_and_message_with_the_doctor_in_a_note():
    plain = raised(mutation_through_detach, contextlib.nullcontext())
    explained = raised(mutation_through_detach, autograd_doctor.explain())
    assert type(explained) is type(plain) and str(explained) == str(plain)
    notes = autograd_doctor.doctor_notes(explained)
    assert notes is not None and notes in explained.__notes__
    assert site_of(mutation_through_detach, ".mul_(2)") in notes and "relu_" not in notes
    assert notes in "".join(traceback.format_exception(explained))  # every traceback printer shows notes


def test_no_frame_of_the_doctor_is_in_the_traceback():
    def frames(context) -> list[str]:
        error = raised(mutation_through_detach, context)
        return [frame.filename for frame in traceback.extract_tb(error.__traceback__)]

    explained = frames(autograd_doctor.explain())
    assert not [f for f in explained if "autograd_doctor" in f]
    assert explained[0] == frames(contextlib.nullcontext())[0]  # the same user frame on top


def test_an_error_in_a_forward_op_leaves_no_doctor_frame_either():
    with pytest.raises(RuntimeError) as error:
        with autograd_doctor.explain():
            torch.randn(2, 3) @ torch.randn(4, 5)
    assert not [f for f in traceback.extract_tb(error.value.__traceback__) if "autograd_doctor" in f.filename]


def test_explain_without_an_error_prints_nothing_and_changes_no_gradient(capsys):
    layer, x = nn.Linear(4, 4), torch.randn(3, 4)
    layer(x).relu_().sum().backward()
    plain = layer.weight.grad.clone()
    with autograd_doctor.explain():
        for _ in range(3):
            layer.weight.grad = None
            layer(x).relu_().sum().backward()
    assert torch.equal(layer.weight.grad, plain)
    assert capsys.readouterr() == ("", "")


def test_events_whose_memory_is_freed_are_dropped_so_a_long_run_keeps_nothing_alive():
    from autograd_doctor._explain import LOG

    layer, x = nn.Linear(4, 4), torch.randn(3, 4)
    LOG.sweep()
    before = len(LOG)
    with autograd_doctor.explain():
        for _ in range(50):
            layer(x).relu_().sum().backward()
    LOG.sweep()
    assert len(LOG) <= before  # every relu_ output is gone with its graph, and its event with it


def test_every_save_that_fails_with_the_same_message_is_printed():
    def two_clobbered_with_one_message():
        h = torch.randn(4, 8, requires_grad=True) * 1.0
        a, b = torch.sigmoid(h), torch.sigmoid(h)  # two saves of output 0 of Sigmoid, at v0
        a.mul_(2)
        b.mul_(2)
        return (a + b).sum()

    error = raised(two_clobbered_with_one_message, autograd_doctor.explain())
    notes = autograd_doctor.doctor_notes(error)
    assert "2 saved tensors fail with this very message" in notes
    assert site_of(two_clobbered_with_one_message, "a.mul_(2)") in notes
    assert site_of(two_clobbered_with_one_message, "b.mul_(2)") in notes


def test_a_forward_under_one_explain_and_its_backward_under_another_are_still_joined():
    with autograd_doctor.explain():
        loss = mutation_through_detach()
    with pytest.raises(RuntimeError) as error:
        with autograd_doctor.explain():
            loss.backward()
    assert site_of(mutation_through_detach, ".mul_(2)") in autograd_doctor.doctor_notes(error.value)


def test_a_mutation_inside_an_earlier_retained_backward_is_named_as_such():
    class ScalesItsSaveInBackward(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            x.mul_(0.5)  # the bug: writes the tensor another node saved
            return grad * 2

    def first_backward_then_second():
        h = torch.randn(4, requires_grad=True) * 1.0
        loss = (ScalesItsSaveInBackward.apply(h) + h.exp() * h).sum()  # mul saves h too
        loss.backward(retain_graph=True)
        loss.backward()

    with pytest.raises(RuntimeError) as error:
        with autograd_doctor.explain():
            first_backward_then_second()
    notes = autograd_doctor.doctor_notes(error.value)
    assert site_of(ScalesItsSaveInBackward.backward, "x.mul_(0.5)") in notes
    assert f"during the backward called at {site_of(first_backward_then_second, 'retain_graph=True')}" in notes


@pytest.mark.slow
def test_explain_leaves_torch_compile_compiling():
    compiled = torch.compile(lambda x, w: (x @ w).sum())
    w = torch.randn(4, 4, requires_grad=True)
    with autograd_doctor.explain():
        loss = compiled(torch.randn(4, 4, requires_grad=True) * 1.0, w)
    assert loss.grad_fn.name() == "CompiledFunctionBackward"  # not an eager graph that would raise where it won't
