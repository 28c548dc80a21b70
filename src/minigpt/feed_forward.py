"""The position-wise feed-forward network of a transformer block."""

import torch
import torch.nn.functional as F
from torch import nn


class FeedForward(nn.Module):
    """C -> 4C -> C with a GELU between, applied to each position on its own."""

    def __init__(self, n_embd: int):
        super().__init__()
        self.up = nn.Linear(n_embd, 4 * n_embd)
        self.down = nn.Linear(4 * n_embd, n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(F.gelu(self.up(x)))  # (B, T, C)
