import torch

from minigpt.layer_norm import LayerNorm


def weight_gradient(norm_kind: str = "torch", via_data: bool = False, hooks=None) -> torch.Tensor:
    """LayerNorm weight gradient when its input h gets a delta added after the forward saved it."""
    torch.manual_seed(0)
    norm = LayerNorm(8, norm_kind)
    h, delta = torch.randn(4, 8, requires_grad=True).clone(), torch.randn(4, 8)
    with hooks or torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        y = norm(h)
        if via_data:
            h.data.add_(delta)  # .data: no version bump, no graph edge
        elif hooks is not None or norm_kind == "unchecked":
            h.add_(delta)  # bumps the version, but nobody checks it here
        (y * torch.arange(8.0)).sum().backward()
    return norm.weight.grad


def relative_error(got, want):
    return ((got - want).norm() / want.norm()).item()


reference = weight_gradient()  # nothing changed after the save
print(f"unchecked LayerNorm (ctx attributes):     {relative_error(weight_gradient('unchecked'), reference):.2f}")
print(f"mutation through .data:                   {relative_error(weight_gradient(via_data=True), reference):.2f}")
print(f"save_on_cpu() on CPU:                     {relative_error(weight_gradient(hooks=torch.autograd.graph.save_on_cpu()), reference):.2f}")
print(f"save_on_cpu(pin_memory=True) on CPU:      {relative_error(weight_gradient(hooks=torch.autograd.graph.save_on_cpu(pin_memory=True)), reference):.2f}")
t = torch.randn(3)
print("t.cpu() is t for a CPU tensor:", t.cpu() is t)
