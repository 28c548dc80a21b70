"""The transformer block (pre-norm). The residual switch of phase 25 lives here, in plain sight."""

import torch
from torch import nn

from minigpt.attention import CausalSelfAttention
from minigpt.config import GPTConfig, Residual
from minigpt.feed_forward import FeedForward
from minigpt.layer_norm import LayerNorm


class Block(nn.Module):
    """h -> h + attn(ln1(h)) -> h + ffn(ln2(h)), out of place, in place, or in place through .data."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.ln1 = LayerNorm(config.n_embd, config.ln)
        self.attn = CausalSelfAttention(config)
        self.ln2 = LayerNorm(config.n_embd, config.ln)
        self.ffn = FeedForward(config.n_embd)
        self.residual = Residual(config.residual)

    def forward(self, h: torch.Tensor) -> torch.Tensor:  # h: (B, T, C)
        if self.residual is Residual.out_of_place:  # run A, the control: each add makes a new tensor
            h = h + self.attn(self.ln1(h))
            h = h + self.ffn(self.ln2(h))
        elif self.residual is Residual.inplace:  # run B: add_ bumps h's version, but ln1 and ln2 saved h
            h.add_(self.attn(self.ln1(h)))  # lint: allow[inplace] the break this phase teaches
            h.add_(self.ffn(self.ln2(h)))  # lint: allow[inplace] the break this phase teaches
        else:  # Residual.via_data: no version bump and no graph edge, so no error and no gradient
            h.data.add_(self.attn(self.ln1(h)))  # lint: allow[inplace] silent variant, on purpose
            h.data.add_(self.ffn(self.ln2(h)))  # lint: allow[inplace] silent variant, on purpose
        return h
