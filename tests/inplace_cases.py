"""Ground-truth cases for the doctor, the tracer and the lint: each function runs a forward and returns
the loss, and its source is what the lint reads. GROUND_TRUTH says what each case really is."""

import torch
import torch.nn.functional as F
from torch import nn

from minigpt.config import LayerNormKind
from minigpt.layer_norm import LayerNorm

C = 16  # the width of every case: small, the walk is what is being tested


def residual_input():
    """A fresh (B, T, C) activation with history, like h after the embeddings (a leaf cannot take add_)."""
    return torch.randn(2, 4, C, requires_grad=True) * 1.0


def inplace_residual():
    ln1, ln2, attn, ffn = nn.LayerNorm(C), nn.LayerNorm(C), nn.Linear(C, C), nn.Linear(C, C)
    h = residual_input()
    h.add_(attn(ln1(h)))  # ln1 saved h at v0: clobbered
    h.add_(ffn(ln2(h)))  # ln2 saved h at v1: clobbered
    return h.pow(2).mean()


def out_of_place_residual():
    ln1, ln2, attn, ffn = nn.LayerNorm(C), nn.LayerNorm(C), nn.Linear(C, C), nn.Linear(C, C)
    h = residual_input()
    h = h + attn(ln1(h))
    h = h + ffn(ln2(h))
    return h.pow(2).mean()


def relu_on_linear_output():
    up, down = nn.Linear(C, 4 * C), nn.Linear(4 * C, 1)
    hidden = up(torch.randn(8, C))
    hidden.relu_()  # addmm saved its input and weight, never its output: safe
    return down(hidden).sum()


def exp_on_matmul_input():
    weight = torch.randn(C, C, requires_grad=True)
    scores = torch.randn(8, C, requires_grad=True) * 2.0
    out = scores @ weight  # mm saved scores (for the weight's gradient)
    scores.exp_()  # clobbers it
    return out.sum() + scores.sum()


class PlainSGD(torch.optim.Optimizer):
    """The simplest optimizer: p -= lr * grad, in place, outside the graph."""

    def __init__(self, params, lr: float):
        super().__init__(params, {"lr": lr})

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                p.add_(p.grad, alpha=-group["lr"])


def optimizer_step():
    layer = nn.Linear(C, 1)
    optimizer = PlainSGD(layer.parameters(), lr=0.1)
    layer(torch.randn(8, C)).sum().backward()
    optimizer.step()
    return layer(torch.randn(8, C)).sum()  # the next forward's graph


def no_grad_inference():
    layer = nn.Linear(C, C)
    with torch.no_grad():
        hidden = layer(torch.randn(8, C))
        hidden.relu_()
        hidden += 1
    return layer(hidden).sum()  # the graph starts here: hidden is saved after its in-place ops


def unchecked_layer_norm():
    ln = LayerNorm(C, LayerNormKind.unchecked)
    h = residual_input()
    return ln(h).pow(2).mean()


def unchecked_layer_norm_then_add_():
    ln, attn = LayerNorm(C, LayerNormKind.unchecked), nn.Linear(C, C)
    h = residual_input()
    h.add_(attn(ln(h)))  # ln kept h as a ctx attribute: changed, and no check will notice
    return h.pow(2).mean()


def save_on_cpu_residual():
    ln, attn = nn.LayerNorm(C), nn.Linear(C, C)
    h = residual_input()
    with torch.autograd.graph.save_on_cpu():
        h.add_(attn(ln(h)))  # clobbers ln's saved input, but the hooks skip the check
    return h.pow(2).mean()


def residual_through_data():
    ln, attn = nn.LayerNorm(C), nn.Linear(C, C)
    h = residual_input()
    h.data.add_(F.gelu(attn(ln(h))))  # no version bump, no graph edge
    return h.pow(2).mean()


GROUND_TRUTH = {  # case -> (doctor verdict, breaks)
    inplace_residual: ("broken", 2),
    out_of_place_residual: ("intact", 0),
    relu_on_linear_output: ("intact", 0),
    exp_on_matmul_input: ("broken", 1),
    optimizer_step: ("intact", 0),
    no_grad_inference: ("intact", 0),
    unchecked_layer_norm: ("unverifiable", 0),
    unchecked_layer_norm_then_add_: ("unverifiable", 0),
    save_on_cpu_residual: ("unverifiable", 0),
    residual_through_data: ("unverifiable", 0),
}
