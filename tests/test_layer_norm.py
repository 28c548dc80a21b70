"""Our LayerNorm against torch.nn.functional.layer_norm: values bit for bit, gradients to rounding."""

import pytest
import torch
import torch.nn.functional as F

from minigpt.layer_norm import CheckedLayerNormFunction, LayerNorm, UncheckedLayerNormFunction


def inputs(dtype=torch.float32):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 5, 16, generator=g, dtype=dtype, requires_grad=True)
    w = (1 + 0.1 * torch.randn(16, generator=g, dtype=dtype)).requires_grad_()
    b = (0.1 * torch.randn(16, generator=g, dtype=dtype)).requires_grad_()
    return x, w, b


@pytest.mark.parametrize("kind", ["torch", "manual", "unchecked"])
def test_every_layer_norm_kind_gives_the_same_output_bit_for_bit(kind):
    ln = LayerNorm(16, kind)
    x = torch.randn(3, 5, 16)
    assert torch.equal(ln(x), F.layer_norm(x, (16,), ln.weight, ln.bias, 1e-5))


@pytest.mark.parametrize("function", [CheckedLayerNormFunction, UncheckedLayerNormFunction])
def test_hand_written_backward_matches_pytorch_within_float32_rounding(function):
    x, w, b = inputs()
    grad_out = torch.randn(3, 5, 16, generator=torch.Generator().manual_seed(1))
    ours = torch.autograd.grad(function.apply(x, w, b, 1e-5), (x, w, b), grad_out)
    theirs = torch.autograd.grad(F.layer_norm(x, (16,), w, b, 1e-5), (x, w, b), grad_out)
    for mine, ref in zip(ours, theirs):
        # a few float32 ulps of values of order 1: the two backwards sum in different orders
        torch.testing.assert_close(mine, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("function", [CheckedLayerNormFunction, UncheckedLayerNormFunction])
def test_hand_written_backward_passes_gradcheck_in_float64(function):
    assert torch.autograd.gradcheck(lambda x, w, b: function.apply(x, w, b, 1e-5), inputs(torch.float64))


def test_checked_layer_norm_raises_when_its_input_is_modified_in_place():
    x, w, b = inputs()
    h = x * 1.0
    out = CheckedLayerNormFunction.apply(h, w, b, 1e-5)
    h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_unchecked_layer_norm_silently_uses_the_modified_input():
    x, w, b = inputs()
    grad_out = torch.randn(3, 5, 16, generator=torch.Generator().manual_seed(1))
    clean = torch.autograd.grad(UncheckedLayerNormFunction.apply(x * 1.0, w, b, 1e-5), w, grad_out)[0]
    h = x * 1.0
    out = UncheckedLayerNormFunction.apply(h, w, b, 1e-5)
    h.mul_(2.0).add_(1.0)  # no error: ctx attributes escape the version check
    assert not torch.allclose(torch.autograd.grad(out, w, grad_out)[0], clean)
