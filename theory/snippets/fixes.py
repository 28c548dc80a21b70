import torch
import torch.nn.functional as F

x = torch.randn(4, 8, requires_grad=True)
delta = torch.randn(4, 8)


def gradient(fix: str) -> torch.Tensor:
    """x's gradient when h, which layer_norm saved, then gets `delta` added one way or another."""
    x.grad = None
    h = x * 2
    y = F.layer_norm(h, (8,))  # saves h for its backward
    if fix == "out of place":
        h = h + delta  # a new tensor: the saved h is untouched
    elif fix == "clone, then mutate":
        h = h.clone()  # mutate a copy; the saved h is untouched
        h.add_(delta)
    (y * torch.arange(8.0) + h).sum().backward()
    return x.grad.clone()


reference = gradient("out of place")
print("clone, then mutate equals out of place:", torch.equal(gradient("clone, then mutate"), reference))
with torch.autograd.graph.allow_mutation_on_saved_tensors():  # forward AND backward inside
    x.grad = None
    h = x * 2
    y = F.layer_norm(h, (8,))
    h.add_(delta)  # PyTorch clones the saved h just before this changes it
    (y * torch.arange(8.0) + h).sum().backward()
print("allow_mutation_on_saved_tensors equals out of place:", torch.equal(x.grad, reference))
