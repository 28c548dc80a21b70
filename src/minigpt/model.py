"""The GPT: token and position embeddings, a stack of blocks, a final LayerNorm and the head."""

from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from minigpt.block import Block
from minigpt.config import GPTConfig, RunConfig, gpt_config
from minigpt.data import IGNORE
from minigpt.layer_norm import LayerNorm


class GPT(nn.Module):
    """A decoder-only transformer over token ids (B, T) -> logits (B, T, V)."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.token_embedding = nn.Embedding(config.vocab_size, config.n_embd)
        self.position_embedding = nn.Embedding(config.block_size, config.n_embd)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_final = LayerNorm(config.n_embd, config.ln)
        self.head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.apply(init_weights)

    def forward(self, idx: torch.Tensor,
                targets: Optional[torch.Tensor] = None) -> tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Logits (B, T, V) and, when targets are given, the mean cross-entropy over non-padding."""
        positions = torch.arange(idx.size(1), device=idx.device)
        h = self.token_embedding(idx) + self.position_embedding(positions)  # (B, T, C)
        for block in self.blocks:
            h = block(h)
        logits = self.head(self.ln_final(h))  # (B, T, V)
        if targets is None:
            return logits, None
        return logits, F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE)


def init_weights(module: nn.Module) -> None:
    """GPT-2's initialisation: N(0, 0.02) weights, zero biases."""
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, std=0.02)
    if isinstance(module, nn.Linear) and module.bias is not None:
        nn.init.zeros_(module.bias)


def build_model(cfg: RunConfig, vocab_size: int) -> GPT:
    """The GPT the config describes, on the CPU, initialised from the current torch seed."""
    return GPT(gpt_config(cfg, vocab_size))
