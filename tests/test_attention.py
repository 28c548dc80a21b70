"""attention=explicit (op by op) against attention=fused (F.scaled_dot_product_attention), same weights."""

import pytest
import torch

from minigpt.attention import CausalSelfAttention
from minigpt.config import Attention, GPTConfig


def attention_pair(n_embd: int, n_head: int, block_size: int) -> tuple[CausalSelfAttention, CausalSelfAttention]:
    """An explicit and a fused attention with the same weights."""
    torch.manual_seed(0)
    explicit = CausalSelfAttention(GPTConfig(10, block_size, 1, n_head, n_embd, attention=Attention.explicit))
    fused = CausalSelfAttention(GPTConfig(10, block_size, 1, n_head, n_embd, attention=Attention.fused))
    fused.load_state_dict(explicit.state_dict())
    return explicit, fused


def test_explicit_attention_equals_fused_attention_to_float32_rounding():
    explicit, fused = attention_pair(32, 4, 12)
    x = torch.randn(2, 12, 32)  # (B, T, C)
    # same math, different summation order inside the fused kernel: float32 rounding only
    torch.testing.assert_close(explicit(x), fused(x), rtol=1e-5, atol=1e-6)


def test_explicit_attention_gradients_equal_fused_attention_gradients_to_float32_rounding():
    explicit, fused = attention_pair(32, 4, 12)
    x = torch.randn(2, 12, 32, requires_grad=True)
    grad_out = torch.randn(2, 12, 32)
    ours = torch.autograd.grad(explicit(x), [x, *explicit.parameters()], grad_out)
    reference = torch.autograd.grad(fused(x), [x, *fused.parameters()], grad_out)
    for a, b in zip(ours, reference):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)  # float32 rounding only, as for the values


def test_the_two_attentions_differ_when_the_mask_is_dropped():
    """The comparison above can fail: the explicit path without its causal mask is not the fused one."""
    explicit, fused = attention_pair(16, 2, 6)
    explicit.future.zero_()  # lint: allow[inplace] a test breaking the mask on purpose
    x = torch.randn(1, 6, 16)
    assert not torch.allclose(explicit(x), fused(x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", list(Attention))
def test_a_position_never_sees_the_future(kind):
    torch.manual_seed(0)
    attn = CausalSelfAttention(GPTConfig(10, 6, 1, 2, 16, attention=kind))
    x = torch.randn(1, 6, 16)
    changed = x.clone()
    changed[:, 4:] += 1.0  # only the last two positions change
    assert torch.equal(attn(x)[:, :4], attn(changed)[:, :4])
