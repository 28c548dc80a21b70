"""Forwards more than one test file runs: each returns a loss whose graph has a known break."""

import torch
from torch import nn


def mutation_through_detach() -> torch.Tensor:
    ln, lin = nn.LayerNorm(16), nn.Linear(16, 16)
    h = torch.randn(8, 16, requires_grad=True) * 1.0
    z = ln(h)  # LayerNorm saves h
    g = lin(torch.randn(8, 16))
    g.relu_()  # harmless, same shape, same version range
    h.detach().mul_(2)  # the real mutation: detach() shares h's version counter
    return z.sum() + g.sum()
