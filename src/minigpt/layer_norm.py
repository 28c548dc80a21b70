"""LayerNorm three ways: PyTorch's, ours with save_for_backward, and ours keeping ctx attributes.

All three give the same forward output bit for bit. They differ in how the backward gets its
saved tensors, and so in whether an in-place change to the input is caught.
"""

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from minigpt.config import LayerNormKind


def layer_norm_backward(grad_out: torch.Tensor, x: torch.Tensor, weight: torch.Tensor, mean: torch.Tensor,
                        rstd: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradients of y = (x - mean) * rstd * weight + bias over the last dim, from the saved values."""
    x_hat = (x - mean) * rstd  # (B, T, C)
    grad_x_hat = grad_out * weight
    grad_x = rstd * (grad_x_hat - grad_x_hat.mean(-1, keepdim=True)
                     - x_hat * (grad_x_hat * x_hat).mean(-1, keepdim=True))
    batch_dims = tuple(range(grad_out.dim() - 1))
    return grad_x, (grad_out * x_hat).sum(batch_dims), grad_out.sum(batch_dims)


class CheckedLayerNormFunction(torch.autograd.Function):
    """Saves through ctx.save_for_backward, so unpacking checks each tensor's version."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float) -> torch.Tensor:
        out, mean, rstd = torch.native_layer_norm(x, weight.shape, weight, bias, eps)
        ctx.save_for_backward(x, weight, mean, rstd)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        x, weight, mean, rstd = ctx.saved_tensors  # raises here if x was modified in place
        return *layer_norm_backward(grad_out, x, weight, mean, rstd), None


class UncheckedLayerNormFunction(torch.autograd.Function):
    """Keeps tensors as ctx attributes, which the docs warn against: no version check, silent errors."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float) -> torch.Tensor:
        out, mean, rstd = torch.native_layer_norm(x, weight.shape, weight, bias, eps)
        ctx.x, ctx.weight, ctx.mean, ctx.rstd = x, weight, mean, rstd  # references, never checked
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        return *layer_norm_backward(grad_out, ctx.x, ctx.weight, ctx.mean, ctx.rstd), None


class LayerNorm(nn.Module):
    """LayerNorm over the last dim (C) with weight and bias, computed the way `kind` says."""

    def __init__(self, n_embd: int, kind: LayerNormKind = LayerNormKind.torch, eps: float = 1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n_embd))
        self.bias = nn.Parameter(torch.zeros(n_embd))
        self.kind, self.eps = LayerNormKind(kind), eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind is LayerNormKind.torch:
            return F.layer_norm(x, self.weight.shape, self.weight, self.bias, self.eps)
        function = CheckedLayerNormFunction if self.kind is LayerNormKind.manual else UncheckedLayerNormFunction
        return function.apply(x, self.weight, self.bias, self.eps)  # type: ignore[no-untyped-call]
