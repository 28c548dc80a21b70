"""The break matrix: in-place variants inside the mini-GPT, each classified by measurement.

Every variant is a pair of models with the same weights: its out-of-place twin and the in-place
version. Both run one forward and backward on the same batch; then
  loud    PyTorch raised the version-counter error,
  safe    the gradients equal the twin's (relative error within float32 rounding),
  silent  it ran, and the gradients differ.
The variants swap modules for small subclasses defined here; the model's own files stay as they are.
"""

import contextlib
import copy
import math
from dataclasses import dataclass, replace
from typing import Callable, Optional

import torch
import torch.nn.functional as F
from torch import nn

from autograd_doctor import diagnose_forward, is_version_error
from minigpt.attention import CausalSelfAttention
from minigpt.block import Block
from minigpt.config import Attention, GPTConfig, LayerNormKind, Residual
from minigpt.data import make_splits
from minigpt.feed_forward import FeedForward
from minigpt.lab.compare import rounding_bound
from minigpt.model import GPT, build_model

# ---- the swapped modules: each has an out-of-place twin chosen by `inplace` ----

class GainBlock(Block):
    """A block that multiplies each LayerNorm output by a learned per-channel gain."""

    def __init__(self, config: GPTConfig, inplace: bool):
        super().__init__(replace(config, residual=Residual.out_of_place))
        self.gain = nn.Parameter(torch.ones(config.n_embd))
        self.gain_inplace = inplace

    def scaled(self, x):
        if self.gain_inplace:
            return x.mul_(self.gain)  # lint: allow[inplace] matrix variant, on purpose
        return x * self.gain

    def forward(self, h):
        h = h + self.attn(self.scaled(self.ln1(h)))
        return h + self.ffn(self.scaled(self.ln2(h)))


class ViewResidualBlock(Block):
    """The in-place residual written through two views of h, the first at a non-zero offset (or out of place)."""

    def forward(self, h):  # h: (B, T, C)
        if self.residual is Residual.out_of_place:
            return super().forward(h)
        for norm, branch in ((self.ln1, self.attn), (self.ln2, self.ffn)):
            update = branch(norm(h))  # (B, T, C); norm saved h
            h[:, 1:].add_(update[:, 1:])  # lint: allow[inplace] matrix variant: a view at a non-zero offset
            h[:, :1].add_(update[:, :1])  # lint: allow[inplace] matrix variant: h's version has moved on
        return h


class ReluFeedForward(FeedForward):
    """The feed-forward with ReLU instead of GELU, applied in place or not."""

    def __init__(self, n_embd: int, inplace: bool):
        super().__init__(n_embd)
        self.inplace = inplace

    def forward(self, x):
        return self.down(F.relu(self.up(x), inplace=self.inplace))  # (B, T, C)


def masked_fill_softmax(scores, future, inplace: bool):
    """PyTorch's softmax after hiding the future with masked_fill_ or masked_fill."""
    if inplace:
        scores.masked_fill_(future, float("-inf"))  # lint: allow[inplace] matrix variant, on purpose
    else:
        scores = scores.masked_fill(future, float("-inf"))
    return torch.softmax(scores, dim=-1)


def exp_softmax(scores, future, inplace: bool):
    """A hand-written softmax whose exponential is exp_ or exp."""
    shifted = scores.masked_fill(future, float("-inf"))
    shifted = shifted - shifted.amax(-1, keepdim=True)  # (B, H, T, T) largest is 0: no overflow
    e = shifted.exp_() if inplace else shifted.exp()  # lint: allow[inplace] matrix variant, on purpose
    return e / e.sum(-1, keepdim=True)


def exp_div_softmax(scores, future, inplace: bool):
    """A hand-written softmax done fully in place (exp_ then /=) or out of place."""
    shifted = scores.masked_fill(future, float("-inf"))
    shifted = shifted - shifted.amax(-1, keepdim=True)
    if not inplace:
        e = shifted.exp()
        return e / e.sum(-1, keepdim=True)
    shifted.exp_()  # lint: allow[inplace] matrix variant, on purpose
    shifted /= shifted.sum(-1, keepdim=True)  # exp_ saved its output for backward: this clobbers it
    return shifted


class SoftmaxSwapAttention(CausalSelfAttention):
    """Causal self-attention whose scores -> weights step is a function given at construction."""

    def __init__(self, config: GPTConfig, softmax: Callable, inplace: bool):
        super().__init__(replace(config, attention=Attention.explicit))
        self.softmax, self.inplace = softmax, inplace

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)  # (B, T, C) each
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))  # (B, H, T, D)
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))  # (B, H, T, T)
        weights = self.softmax(scores, self.future[:T, :T], self.inplace)  # (B, H, T, T)
        return self.proj((weights @ v).transpose(1, 2).reshape(B, T, C))


# ---- patches: turn a control GPT into a variant (inplace=True) or its twin (inplace=False) ----

def swap(parent: nn.Module, name: str, new: nn.Module) -> None:
    """Replace parent.name by `new`, carrying over every weight the two share."""
    new.load_state_dict(getattr(parent, name).state_dict(), strict=False)
    setattr(parent, name, new)


def residual_add_(model: GPT, inplace: bool) -> None:
    """Every block's residual as h.add_(...) (inplace) or h = h + ... (twin)."""
    for block in model.blocks:
        block.residual = Residual.inplace if inplace else Residual.out_of_place


def residual_via_data(model: GPT, inplace: bool) -> None:
    """Every block's residual as h.data.add_(...) (inplace) or h = h + ... (twin)."""
    for block in model.blocks:
        block.residual = Residual.via_data if inplace else Residual.out_of_place


def unchecked_layer_norm(model: GPT, inplace: bool) -> None:
    """Every LayerNorm keeps ctx attributes; the residual in place (inplace) or out of place (twin)."""
    for norm in [*(b.ln1 for b in model.blocks), *(b.ln2 for b in model.blocks), model.ln_final]:
        norm.kind = LayerNormKind.unchecked
    residual_add_(model, inplace)


def residual_through_views(model: GPT, inplace: bool) -> None:
    """Every block becomes a ViewResidualBlock: the residual add_ through views of h, or out of place."""
    residual = Residual.inplace if inplace else Residual.out_of_place
    for i in range(len(model.blocks)):
        swap(model.blocks, str(i), ViewResidualBlock(replace(model.config, residual=residual)))


def gain_mul_(model: GPT, inplace: bool) -> None:
    """Every block becomes a GainBlock, multiplying its LayerNorm outputs in place or not."""
    for i in range(len(model.blocks)):
        swap(model.blocks, str(i), GainBlock(model.config, inplace))


def relu_(model: GPT, inplace: bool) -> None:
    """Every feed-forward becomes ReLU, applied in place or not."""
    for block in model.blocks:
        swap(block, "ffn", ReluFeedForward(block.ln2.weight.numel(), inplace))


def softmax_patch(softmax: Callable) -> Callable[[GPT, bool], None]:
    """A patch that gives every block's attention the given scores -> weights function."""
    def patch(model: GPT, inplace: bool) -> None:
        for block in model.blocks:
            swap(block, "attn", SoftmaxSwapAttention(model.config, softmax, inplace))
    return patch


# ---- the variants and how each is measured ----

@dataclass(frozen=True)
class Variant:
    """One row of the matrix: its name, the line that changes, and how to build and run it."""

    name: str
    where: str
    patch: Callable[[GPT, bool], None] = residual_add_
    context: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext
    kind: str = "gradients"  # gradients | optimizer step | optimizer mid-graph | inference


VARIANTS = [
    Variant("residual add_", "block.py: h.add_(self.attn(self.ln1(h)))"),
    Variant("mul_ on a LayerNorm output", "x = self.ln1(h); x.mul_(self.gain)", gain_mul_),
    Variant("relu_ in the feed-forward", "F.relu(self.up(x), inplace=True)", relu_),
    Variant("exp_ in a hand-written softmax", "e = shifted.exp_(); e / e.sum(-1, keepdim=True)",
            softmax_patch(exp_softmax)),
    Variant("exp_ then /= in a hand-written softmax", "shifted.exp_(); shifted /= shifted.sum(-1, keepdim=True)",
            softmax_patch(exp_div_softmax)),
    Variant("masked_fill_ on attention scores", "scores.masked_fill_(future, -inf)",
            softmax_patch(masked_fill_softmax)),
    Variant("residual through .data", "h.data.add_(self.attn(self.ln1(h)))", residual_via_data),
    Variant("unchecked LayerNorm", "ctx.x = x instead of ctx.save_for_backward(x); h.add_(...)", unchecked_layer_norm),
    Variant("residual add_ under save_on_cpu", "with torch.autograd.graph.save_on_cpu(): ...",
            context=torch.autograd.graph.save_on_cpu),
    Variant("residual add_ under allow_mutation", "with torch.autograd.graph.allow_mutation_on_saved_tensors(): ...",
            context=torch.autograd.graph.allow_mutation_on_saved_tensors),
    # allow_mutation clones a saved tensor only when the written tensor has its data pointer and version
    Variant("residual add_ through views under allow_mutation",
            "h[:, 1:].add_(u[:, 1:]); h[:, :1].add_(u[:, :1]) inside allow_mutation_on_saved_tensors()",
            residual_through_views, context=torch.autograd.graph.allow_mutation_on_saved_tensors),
    Variant("optimizer step", "backward(); optimizer.step(); next forward", kind="optimizer step"),
    Variant("optimizer step before backward", "forward; optimizer.step(); backward()", kind="optimizer mid-graph"),
    Variant("no_grad inference", "with torch.no_grad(): model(x) with h.add_(...)", kind="inference"),
]


@dataclass
class Row:
    """What one variant did: outcome, what was compared, the relative error, the doctor's verdict."""

    variant: str
    where: str
    outcome: str  # safe | loud | silent
    compared: str  # step-0 gradients | step-1 gradients | logits
    relative_error: Optional[float]  # None when it raised
    doctor: str  # intact | broken | unverifiable | n/a
    bound: float  # the rounding bound "safe" was judged by (minigpt.lab.compare.rounding)
    error: Optional[str] = None  # the first line of PyTorch's error, when loud


def relative_error(got: list[torch.Tensor], want: list[torch.Tensor]) -> float:
    """||got - want|| / ||want|| over all tensors taken together."""
    diff = math.sqrt(sum(((g - w) ** 2).sum().item() for g, w in zip(got, want)))
    return diff / math.sqrt(sum((w ** 2).sum().item() for w in want))


def gradients(model: GPT) -> list[torch.Tensor]:
    """Every parameter's gradient; zeros for a parameter the graph never reached."""
    return [p.grad.clone() if p.grad is not None else torch.zeros_like(p) for p in model.parameters()]


def forward_backward(model: GPT, x, y, context) -> list[torch.Tensor]:
    """One forward and backward under `context`; the gradients it left."""
    model.zero_grad(set_to_none=True)
    with context():
        _, loss = model(x, y)
        loss.backward()
    return gradients(model)


def doctor_verdict(model: GPT, x, y, context) -> str:
    """The graph doctor's verdict on the variant's graph, before any backward."""
    with context():
        return diagnose_forward(lambda: model(x, y)[1]).verdict


def classify(variant: Variant, measure: Callable[[], tuple[list, list]], compared: str, doctor: str,
             bound: float) -> Row:
    """Run `measure` (-> variant values, twin values) and turn what happened into a Row; safe within `bound`."""
    try:
        got, want = measure()
    except RuntimeError as e:
        if not is_version_error(e):
            raise  # a bug in the matrix, not an outcome to report
        return Row(variant.name, variant.where, "loud", compared, None, doctor, bound, str(e).splitlines()[0])
    error = relative_error(got, want)
    return Row(variant.name, variant.where, "safe" if error <= bound else "silent", compared, error, doctor, bound)


def measure_variant(variant: Variant, control: GPT, x, y) -> Row:
    """Build the variant and its twin from copies of `control`, run both, and classify."""
    model, twin, bound = copy.deepcopy(control), copy.deepcopy(control), rounding_bound(x.numel())
    if variant.kind == "gradients":
        variant.patch(model, True)
        variant.patch(twin, False)
        doctor = doctor_verdict(model, x, y, variant.context)
        return classify(variant, lambda: (forward_backward(model, x, y, variant.context),
                                          forward_backward(twin, x, y, variant.context)),
                        "step-0 gradients", doctor, bound)
    if variant.kind == "inference":
        variant.patch(model, True)

        def logits():
            with torch.no_grad():
                return [model(x)[0]], [twin(x)[0]]
        return classify(variant, logits, "logits", "n/a", bound)
    if variant.kind == "optimizer step":
        return classify(variant, lambda: (sgd_step_in_place(model, x, y), sgd_step_out_of_place(twin, x, y)),
                        "step-1 gradients", "n/a", bound)
    return classify(variant, lambda: (sgd_step_before_backward(model, x, y), sgd_step_out_of_place(twin, x, y)),
                    "step-1 gradients", "n/a", bound)


SGD_LR = 0.1  # any rate shows it; large enough that the step-1 gradients differ from step 0's


def sgd_step_in_place(model: GPT, x, y) -> list[torch.Tensor]:
    """Step 1's gradients after an SGD step that updates the parameters in place (p.add_)."""
    forward_backward(model, x, y, contextlib.nullcontext)
    torch.optim.SGD(model.parameters(), lr=SGD_LR).step()
    return forward_backward(model, x, y, contextlib.nullcontext)


def sgd_step_out_of_place(model: GPT, x, y) -> list[torch.Tensor]:
    """Step 1's gradients when the updated parameters are new tensors (p - lr * g)."""
    forward_backward(model, x, y, contextlib.nullcontext)
    updated = {name: (p - SGD_LR * p.grad).detach().requires_grad_() for name, p in model.named_parameters()}
    _, loss = torch.func.functional_call(model, updated, (x, y))
    loss.backward()
    return [p.grad for p in updated.values()]


def sgd_step_before_backward(model: GPT, x, y) -> list[torch.Tensor]:
    """Step the optimizer between a forward and its backward: the saved weights change under the graph."""
    forward_backward(model, x, y, contextlib.nullcontext)  # gradients for the step to use
    _, loss = model(x, y)
    torch.optim.SGD(model.parameters(), lr=SGD_LR).step()
    loss.backward()
    return gradients(model)


def break_matrix(cfg, variants: list[Variant] = VARIANTS) -> list[Row]:
    """Measure every variant on one training batch of the config's model and data."""
    torch.manual_seed(cfg.seed)
    splits = make_splits(cfg.data, cfg.seed)
    control = build_model(cfg, len(splits.vocab))
    x, y = splits.batch(torch.Generator().manual_seed(cfg.seed), cfg.train.batch_size)
    return [measure_variant(variant, control, x, y) for variant in variants]


def format_error(value: Optional[float]) -> str:
    """A relative error for the table: exact 0 as 0, else two significant digits; raised as a dash."""
    if value is None:
        return "—"
    return "0" if value == 0 else f"{value:.2g}"
