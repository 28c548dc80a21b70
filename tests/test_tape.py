"""The NumPy tape matches PyTorch out of place, goes silently wrong in place, and raises with versions."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from minigpt.lab.tape import Tensor, backward, layer_norm, residual_loss

SHAPES = [(4, 6), (6, 8), (8, 8), (8, 3)]  # x, w_in, w, w_out


@pytest.fixture
def arrays():
    rng = np.random.default_rng(0)
    return [rng.normal(size=shape) for shape in SHAPES]


def tape_gradients(arrays, inplace, check_versions=True):
    tensors = [Tensor(a, requires_grad=True) for a in arrays]
    backward(residual_loss(*tensors, inplace=inplace), check_versions=check_versions)
    return [t.grad for t in tensors]


def torch_gradients(arrays):
    x, w_in, w, w_out = (torch.tensor(a, requires_grad=True) for a in arrays)  # float64, like the tape
    h = x @ w_in
    h = h + F.layer_norm(h, (8,)) @ w
    (F.layer_norm(h, (8,)) @ w_out).sum().backward()
    return [t.grad.numpy() for t in (x, w_in, w, w_out)]


def test_out_of_place_tape_matches_pytorch_gradients(arrays):
    for got, want in zip(tape_gradients(arrays, inplace=False), torch_gradients(arrays)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)  # float64: only rounding differs


def test_inplace_tape_without_version_check_gives_silently_wrong_gradients(arrays):
    got = tape_gradients(arrays, inplace=True, check_versions=False)
    want = torch_gradients(arrays)
    for i in (0, 1):  # x and w_in: upstream of the LayerNorm whose saved input was clobbered
        assert np.linalg.norm(got[i] - want[i]) / np.linalg.norm(want[i]) > 0.1
    for i in (2, 3):  # w and w_out: their saved values were never touched
        np.testing.assert_allclose(got[i], want[i], rtol=1e-10, atol=1e-12)


def test_inplace_tape_with_version_check_raises_like_pytorch(arrays):
    with pytest.raises(RuntimeError, match="modified by an inplace operation: .* is at version 1; expected version 0"):
        tape_gradients(arrays, inplace=True)


def test_add_inplace_bumps_version_and_rebases_history():
    h = Tensor(np.ones((2, 3)), requires_grad=True) @ Tensor(np.eye(3))
    old_node = h.grad_fn
    h.add_(Tensor(np.ones((2, 3))))
    assert h.version == 1 and h.grad_fn.name == "AddInplace" and h.grad_fn.next_nodes[0] is old_node


def test_layer_norm_saves_a_reference_not_a_copy():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = layer_norm(x)
    assert y.grad_fn.saved[0].tensor is x
