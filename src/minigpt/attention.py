"""Causal multi-head self-attention, written out so every saved tensor is in plain sight."""

import math

import torch
from torch import nn


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
        weights = torch.softmax(scores, dim=-1)  # (B, H, T, T)
        out = (weights @ v).transpose(1, 2).reshape(B, T, C)  # (B, T, C)
        return self.proj(out)
