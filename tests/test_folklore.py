"""Folklore about in-place ops, corrected by measurement on the pinned torch (theory/25-inplace-break.md)."""

import contextlib
import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from minigpt.block import Block
from minigpt.config import GPTConfig, Residual

VERSION_ERROR = "modified by an inplace operation"


def inplace_block_output():
    torch.manual_seed(0)
    block = Block(GPTConfig(10, block_size=4, n_head=2, n_embd=8, residual=Residual.inplace))
    return block(torch.randn(2, 4, 8, requires_grad=True).clone())


def layer_norm_x_gradient(hooks, mutate: bool) -> torch.Tensor:
    torch.manual_seed(0)
    x, delta = torch.randn(4, 8, requires_grad=True), torch.randn(4, 8)
    with hooks:
        h = x * 2
        y = F.layer_norm(h, (8,))
        if mutate:
            h.add_(delta)
        (y * torch.arange(8.0)).sum().backward()
    return x.grad


# ---- the five folklore claims ----

def test_mul_after_pow_raises_instead_of_zero_grad():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    z = y ** 2
    y *= 3
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
        z.sum().backward()


def test_weight_data_in_forward_doubles_weight_with_right_gradients():
    weight, x = nn.Parameter(torch.ones(3)), torch.tensor([1.0, 2.0, 3.0])
    for call in range(1, 4):
        weight.grad = None
        weight.data *= 2
        ((weight * x) ** 2).sum().backward()
        assert torch.equal(weight.detach(), torch.full((3,), 2.0 ** call))  # doubles on every forward
        assert torch.equal(weight.grad, 2 * weight.detach() * x ** 2)  # right for the weight used


def test_relu_inplace_is_safe_on_linear_output_and_loud_on_sigmoid_output():
    torch.manual_seed(0)
    linear, x = nn.Linear(8, 8), torch.randn(4, 8)
    F.relu(linear(x), inplace=True).sum().backward()
    inplace_grad, linear.weight.grad = linear.weight.grad, None
    F.relu(linear(x)).sum().backward()
    assert torch.equal(inplace_grad, linear.weight.grad)
    s = torch.sigmoid(linear(x))
    s.relu_()
    with pytest.raises(RuntimeError, match=VERSION_ERROR):
        s.sum().backward()


def test_version_check_raises_without_anomaly_mode():
    assert not torch.is_anomaly_enabled()
    with pytest.raises(RuntimeError, match=VERSION_ERROR):
        inplace_block_output().sum().backward()


def test_inplace_op_rebases_history_onto_new_node():
    h = torch.randn(3, requires_grad=True) * 2
    old_node = h.grad_fn
    h.add_(1)
    assert h.grad_fn is not old_node and h.grad_fn.name() == "AddBackward0"
    assert h.grad_fn.next_functions[0][0] is old_node


# ---- the facts the notes rest on ----

def test_error_names_the_saved_inputs_last_writer_and_both_versions():
    """The "output 0 of Add" is h's grad_fn when backward reads it (the last add_), not the op that produced the
    save."""
    with pytest.raises(RuntimeError, match=r"\[torch.FloatTensor \[2, 4, 8\]\], which is output 0 of Add, "
                                           r"is at version 2; expected version 1 instead"):
        inplace_block_output().sum().backward()


def test_anomaly_mode_adds_forward_traceback_of_second_layer_norm():
    torch.manual_seed(0)
    block = Block(GPTConfig(10, block_size=4, n_head=2, n_embd=8, residual=Residual.inplace))
    with torch.autograd.detect_anomaly(check_nan=False), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = block(torch.randn(2, 4, 8, requires_grad=True).clone())
        with pytest.raises(RuntimeError, match="backtrace further above"):
            out.sum().backward()
    traceback = next(str(w.message) for w in caught if "Traceback of forward call" in str(w.message))
    assert "NativeLayerNormBackward0" in traceback and "self.ln2(h)" in traceback


def test_walk_before_backward_finds_both_layer_norms():
    out, nodes, clobbered = inplace_block_output(), [], []
    stack = [out.sum().grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in nodes:
            continue
        nodes.append(node)
        stack.extend(parent for parent, _ in node.next_functions)
        try:
            node._saved_input if node.name() == "NativeLayerNormBackward0" else None
        except RuntimeError:
            clobbered.append(node)
    assert len(clobbered) == 2


def test_save_on_cpu_on_cpu_gives_silently_wrong_gradients():
    right = layer_norm_x_gradient(torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t), mutate=False)
    wrong = layer_norm_x_gradient(torch.autograd.graph.save_on_cpu(), mutate=True)
    assert (wrong - right).norm() / right.norm() > 0.1


def test_save_on_cpu_with_pin_memory_gives_right_gradients():
    right = layer_norm_x_gradient(torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t), mutate=False)
    assert torch.equal(layer_norm_x_gradient(torch.autograd.graph.save_on_cpu(pin_memory=True), mutate=True), right)


def test_identity_saved_tensor_hooks_skip_the_version_check():
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        layer_norm_x_gradient(contextlib.nullcontext(), mutate=True)  # without hooks: the check raises
    identity = torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t)
    right = layer_norm_x_gradient(identity, mutate=False)
    wrong = layer_norm_x_gradient(identity, mutate=True)  # no RuntimeError: the check was skipped ...
    assert (wrong - right).norm() / right.norm() > 0.1  # ... and backward read the mutated tensor


def test_allow_mutation_on_saved_tensors_gives_out_of_place_gradients():
    right = layer_norm_x_gradient(torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t), mutate=False)
    got = layer_norm_x_gradient(torch.autograd.graph.allow_mutation_on_saved_tensors(), mutate=True)
    assert torch.equal(got, right)


def test_backward_outside_allow_mutation_context_fails():
    with torch.autograd.graph.allow_mutation_on_saved_tensors():
        h = torch.randn(3, requires_grad=True) * 1
        y = h ** 2
        h.add_(1)
    with pytest.raises(AssertionError, match="outside of the 'allow_mutation_on_saved_tensors' context"):
        y.sum().backward()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA: save_on_cpu copies a CUDA tensor at save time")
def test_save_on_cpu_on_cuda_gives_right_gradients():
    torch.manual_seed(0)
    x, delta = torch.randn(4, 8, device="cuda", requires_grad=True), torch.randn(4, 8, device="cuda")
    grads = []
    for hooks, mutate in [(torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t), False),
                          (torch.autograd.graph.save_on_cpu(), True)]:
        x.grad = None
        with hooks:
            h = x * 2
            y = F.layer_norm(h, (8,))
            if mutate:
                h.add_(delta)
            (y * torch.arange(8.0, device="cuda")).sum().backward()
        grads.append(x.grad.clone())
    torch.testing.assert_close(grads[1], grads[0])


def test_inplace_mul_by_a_tensor_that_requires_grad_saves_a_copy():
    x, gain = torch.randn(3, requires_grad=True) * 1, torch.randn(3, requires_grad=True)
    original = x.detach().clone()
    x.mul_(gain)
    saved = x.grad_fn._saved_self  # what MulBackward0 needs for gain's gradient: the value before mul_
    assert saved.data_ptr() != x.data_ptr() and torch.equal(saved, original)
