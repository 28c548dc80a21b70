"""Causal multi-head self-attention, two ways chosen by one flag (as nanoGPT does): fused, or written out.

fused     F.scaled_dot_product_attention: PyTorch's one kernel, forward and backward; the speed path.
explicit  op by op, as a learner reads it: every saved tensor (scores, weights) is in plain sight.
The two agree to float32 rounding (tests/test_attention.py).
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from minigpt.config import Attention, GPTConfig


class CausalSelfAttention(nn.Module):
    """Each position attends to itself and the positions before it, in H heads of size D = C / H."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.n_head = config.n_head
        self.qkv = nn.Linear(config.n_embd, 3 * config.n_embd)  # one matmul for queries, keys and values
        self.proj = nn.Linear(config.n_embd, config.n_embd)
        self.fused = Attention(config.attention) is Attention.fused
        T = config.block_size
        future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
        self.future: torch.Tensor
        self.register_buffer("future", future, persistent=False)  # (T, T) True above the diagonal

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)  # (B, T, C) each
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))  # (B, H, T, D)
        if self.fused:
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, H, T, D)
        else:
            scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))  # (B, H, T, T)
            scores = scores.masked_fill(self.future[:T, :T], float("-inf"))  # no looking ahead
            weights = torch.softmax(scores, dim=-1)  # (B, H, T, T); each row sums to 1
            out = weights @ v  # (B, H, T, D)
        return self.proj(out.transpose(1, 2).reshape(B, T, C))  # (B, T, C)
