"""Our causal attention against F.scaled_dot_product_attention with the same projections."""

import torch
import torch.nn.functional as F

from minigpt.attention import SIMD_FLOATS, CausalSelfAttention, softmax_over_keys


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


def test_causal_attention_gradients_match_scaled_dot_product_attention():
    torch.manual_seed(0)
    attn = CausalSelfAttention(n_embd=32, n_head=4, block_size=12)
    x = torch.randn(2, 12, 32, requires_grad=True)  # T = 12 < SIMD_FLOATS: the padded softmax

    def sdpa(x):
        q, k, v = (t.view(2, 12, 4, 8).transpose(1, 2) for t in attn.qkv(x).split(32, dim=2))
        return attn.proj(F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(2, 12, 32))

    grad_out = torch.randn(2, 12, 32)
    ours = torch.autograd.grad(attn(x), [x, *attn.parameters()], grad_out)
    reference = torch.autograd.grad(sdpa(x), [x, *attn.parameters()], grad_out)
    for a, b in zip(ours, reference):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)  # float32 rounding only, as for the values


def test_padded_softmax_agrees_with_torch_softmax_on_short_masked_rows():
    torch.manual_seed(0)
    future = torch.triu(torch.ones(12, 12, dtype=torch.bool), diagonal=1)
    scores = torch.randn(3, 2, 12, 12).masked_fill(future, float("-inf")).requires_grad_()
    grad = torch.randn(3, 2, 12, 12)
    ours, reference = softmax_over_keys(scores), torch.softmax(scores, dim=-1)
    assert ours.shape == reference.shape and torch.equal(ours == 0, future.expand_as(ours))  # the future gets 0
    # the padded row is summed in another order: float32 rounding only
    torch.testing.assert_close(ours, reference, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(torch.autograd.grad(ours, scores, grad)[0],
                               torch.autograd.grad(reference, scores, grad)[0], rtol=1e-5, atol=1e-7)


def test_rows_of_a_full_register_or_more_go_straight_to_torch_softmax():
    scores = torch.randn(2, 2, SIMD_FLOATS, SIMD_FLOATS)
    assert torch.equal(softmax_over_keys(scores), torch.softmax(scores, dim=-1))
