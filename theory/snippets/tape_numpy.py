import numpy as np
import torch
import torch.nn.functional as F

from minigpt.lab.tape import Tensor, backward, residual_loss

rng = np.random.default_rng(0)
arrays = [rng.normal(size=shape) for shape in [(4, 6), (6, 8), (8, 8), (8, 3)]]  # x, w_in, w, w_out


def tape_gradients(inplace: bool, check_versions: bool) -> list[np.ndarray]:
    tensors = [Tensor(a, requires_grad=True) for a in arrays]
    backward(residual_loss(*tensors, inplace=inplace), check_versions=check_versions)
    return [t.grad for t in tensors]


x, w_in, w, w_out = (torch.tensor(a, requires_grad=True) for a in arrays)
h = x @ w_in
h = h + F.layer_norm(h, (8,)) @ w
(F.layer_norm(h, (8,)) @ w_out).sum().backward()
reference = [t.grad.numpy() for t in (x, w_in, w, w_out)]

for inplace in (False, True):
    print(f"tape, inplace={inplace}, no version check, relative error vs PyTorch:")
    for name, got, want in zip(["x", "w_in", "w", "w_out"], tape_gradients(inplace, False), reference):
        error = np.linalg.norm(got - want) / np.linalg.norm(want)
        print(f"  {name:5s} {'below 1e-12 (float64 rounding)' if error < 1e-12 else f'{error:.2f}'}")
try:
    tape_gradients(inplace=True, check_versions=True)
except RuntimeError as error:
    print("tape, inplace=True, version check:", error)
