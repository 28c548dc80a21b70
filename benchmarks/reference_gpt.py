"""A straightforward reference GPT of the same sizes, the way one would write it for speed.

Fused QKV projection, F.scaled_dot_product_attention, nn.LayerNorm; trained with fused AdamW, like ours.
The benchmark holds our teaching model's throughput against this one.
"""

import torch
import torch.nn.functional as F
from torch import nn


class ReferenceBlock(nn.Module):
    """Pre-norm block: fused QKV, F.scaled_dot_product_attention, a GELU MLP."""

    def __init__(self, n_embd: int, n_head: int):
        super().__init__()
        self.n_head = n_head
        self.ln1, self.ln2 = nn.LayerNorm(n_embd), nn.LayerNorm(n_embd)
        self.qkv, self.proj = nn.Linear(n_embd, 3 * n_embd), nn.Linear(n_embd, n_embd)
        self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(), nn.Linear(4 * n_embd, n_embd))

    def forward(self, h):
        B, T, C = h.shape
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
                   for t in self.qkv(self.ln1(h)).split(C, dim=2))
        h = h + self.proj(F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(B, T, C))
        return h + self.mlp(self.ln2(h))


class ReferenceGPT(nn.Module):
    """Token and position embeddings, the blocks, a final LayerNorm and the head: (B, T) -> logits, loss."""

    def __init__(self, vocab_size: int, block_size: int, n_layer: int, n_head: int, n_embd: int):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab_size, n_embd)
        self.position_embedding = nn.Embedding(block_size, n_embd)
        self.blocks = nn.Sequential(*(ReferenceBlock(n_embd, n_head) for _ in range(n_layer)))
        self.ln_final = nn.LayerNorm(n_embd)
        self.head = nn.Linear(n_embd, vocab_size, bias=False)

    def forward(self, idx, targets):
        positions = torch.arange(idx.size(1), device=idx.device)  # on the input's device, so CUDA runs too
        h = self.token_embedding(idx) + self.position_embedding(positions)
        logits = self.head(self.ln_final(self.blocks(h)))
        return logits, F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=-1)
