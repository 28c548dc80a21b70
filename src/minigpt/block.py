"""The transformer block (pre-norm). The residual switch of phase 25 lives here, in plain sight."""

from torch import nn

from minigpt.attention import CausalSelfAttention
from minigpt.config import LayerNormKind
from minigpt.feed_forward import FeedForward
from minigpt.layer_norm import LayerNorm


class Block(nn.Module):
    """h -> h + attn(ln1(h)) -> h + ffn(ln2(h)), out of place or in place."""

    def __init__(self, n_embd: int, n_head: int, block_size: int,
                 inplace: bool = False, via_data: bool = False, ln: LayerNormKind = LayerNormKind.torch):
        super().__init__()
        self.ln1 = LayerNorm(n_embd, ln)
        self.attn = CausalSelfAttention(n_embd, n_head, block_size)
        self.ln2 = LayerNorm(n_embd, ln)
        self.ffn = FeedForward(n_embd)
        self.inplace, self.via_data = inplace, via_data

    def forward(self, h):  # h: (B, T, C)
        if not self.inplace:  # run A, the control: each add makes a new tensor
            h = h + self.attn(self.ln1(h))
            h = h + self.ffn(self.ln2(h))
        elif not self.via_data:  # run B: add_ bumps h's version, but ln1 and ln2 saved h
            h.add_(self.attn(self.ln1(h)))  # lint: allow[inplace] the break this phase teaches
            h.add_(self.ffn(self.ln2(h)))  # lint: allow[inplace] the break this phase teaches
        else:  # through .data: no version bump and no graph edge, so no error and no gradient
            h.data.add_(self.attn(self.ln1(h)))  # lint: allow[inplace] silent variant, on purpose
            h.data.add_(self.ffn(self.ln2(h)))  # lint: allow[inplace] silent variant, on purpose
        return h
