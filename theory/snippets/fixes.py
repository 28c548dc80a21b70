import torch
import torch.nn.functional as F

x = torch.randn(4, 8, requires_grad=True)
delta = torch.randn(4, 8)


def gradient(fix: str) -> torch.Tensor:
    """x's gradient when h, which layer_norm saved, then gets `delta` added one way or another."""
    # es: Gradiente de x cuando a h, que guardó layer_norm, se le suma después `delta` de una forma u otra.
    x.grad = None
    h = x * 2
    y = F.layer_norm(h, (8,))  # en: saves h for its backward
    # es: guarda h para su backward
    if fix == "out of place":
        h = h + delta  # en: a new tensor: the saved h is untouched
        # es: un tensor nuevo: la h guardada queda intacta
    elif fix == "clone, then mutate":
        h = h.clone()  # en: mutate a copy; the saved h is untouched
        # es: se modifica una copia; la h guardada queda intacta
        h.add_(delta)
    (y * torch.arange(8.0) + h).sum().backward()
    return x.grad.clone()


reference = gradient("out of place")
print("clone, then mutate equals out of place:", torch.equal(gradient("clone, then mutate"), reference))
with torch.autograd.graph.allow_mutation_on_saved_tensors():  # en: forward AND backward inside
# es: el forward Y el backward, dentro
    x.grad = None
    h = x * 2
    y = F.layer_norm(h, (8,))
    h.add_(delta)  # en: PyTorch clones the saved h just before this changes it
    # es: PyTorch clona la h guardada justo antes de que esto la cambie
    (y * torch.arange(8.0) + h).sum().backward()
print("allow_mutation_on_saved_tensors equals out of place:", torch.equal(x.grad, reference))
