"""Our causal attention against F.scaled_dot_product_attention with the same projections."""

import torch
import torch.nn.functional as F

from minigpt.attention import CausalSelfAttention


def test_causal_attention_matches_scaled_dot_product_attention():
    torch.manual_seed(0)
    attn = CausalSelfAttention(n_embd=32, n_head=4, block_size=8)
    x = torch.randn(2, 8, 32)  # (B, T, C)
    q, k, v = (t.view(2, 8, 4, 8).transpose(1, 2) for t in attn.qkv(x).split(32, dim=2))
    reference = attn.proj(F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(2, 8, 32))
    # same math, different summation order: float32 rounding only
    torch.testing.assert_close(attn(x), reference, rtol=1e-5, atol=1e-6)


def test_a_position_never_sees_the_future():
    torch.manual_seed(0)
    attn = CausalSelfAttention(n_embd=16, n_head=2, block_size=6)
    x = torch.randn(1, 6, 16)
    changed = x.clone()
    changed[:, 4:] += 1.0  # only the last two positions change
    assert torch.equal(attn(x)[:, :4], attn(changed)[:, :4])
