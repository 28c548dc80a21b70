"""Causal multi-head self-attention, written out so every saved tensor is in plain sight."""

import math

import torch
import torch.nn.functional as F
from torch import nn

SIMD_FLOATS = 16  # float32 lanes of one AVX-512 register (two AVX2 registers)


def softmax_over_keys(scores: torch.Tensor) -> torch.Tensor:
    """torch.softmax over the last dim; on the CPU, rows shorter than SIMD_FLOATS are padded with -inf first.

    Why the padding: PyTorch's CPU softmax reduces a row shorter than one vector register element by element
    (the slow path of ATen's vec_reduce_all), about 10x slower than a full register, forward and backward.
    exp(-inf) = 0, so the padded columns add nothing to a row: the weights agree to float32 rounding.
    """
    T = scores.size(-1)
    if T >= SIMD_FLOATS or not scores.is_cpu:
        return torch.softmax(scores, dim=-1)
    padded = F.pad(scores, (0, SIMD_FLOATS - T), value=float("-inf"))  # (B, H, T, SIMD_FLOATS)
    return torch.softmax(padded, dim=-1)[..., :T]


class CausalSelfAttention(nn.Module):
    """Each position attends to itself and the positions before it, in H heads of size D = C / H."""

    def __init__(self, n_embd: int, n_head: int, block_size: int):
        super().__init__()
        self.n_head = n_head
        self.qkv = nn.Linear(n_embd, 3 * n_embd)  # one matmul for queries, keys and values
        self.proj = nn.Linear(n_embd, n_embd)
        future = torch.triu(torch.ones(block_size, block_size, dtype=torch.bool), diagonal=1)
        self.register_buffer("future", future, persistent=False)  # (T, T) True above the diagonal

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)  # (B, T, C) each
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))  # (B, H, T, D)
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))  # (B, H, T, T)
        scores = scores.masked_fill(self.future[:T, :T], float("-inf"))
        weights = softmax_over_keys(scores)  # (B, H, T, T); torch.softmax, made fast for short rows
        out = (weights @ v).transpose(1, 2).reshape(B, T, C)  # (B, T, C)
        return self.proj(out)
