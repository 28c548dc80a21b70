import contextlib

import torch

from minigpt.layer_norm import LayerNorm

graph = torch.autograd.graph


def add_through_numpy(h, delta):
    array = h.detach().numpy()  # en: the same memory as h, out of autograd's sight
    # es: la misma memoria que h, fuera de la vista de autograd
    array += delta.numpy()  # en: NumPy writes it: no version bump
    # es: la escribe NumPy: la versión no cambia


ROUTES = {  # en: label -> (LayerNorm kind, the write after the save, the context forward and backward run in)
# es: etiqueta -> (tipo de LayerNorm, la escritura tras guardar, el contexto del forward y el backward)
    "unchecked LayerNorm (ctx attributes)": ("unchecked", lambda h, d: h.add_(d), contextlib.nullcontext),
    "mutation through .data": ("torch", lambda h, d: h.data.add_(d), contextlib.nullcontext),  # en: no version bump
    # es: la versión no cambia
    "write through h.detach().numpy()": ("torch", add_through_numpy, contextlib.nullcontext),
    "save_on_cpu() on CPU": ("torch", lambda h, d: h.add_(d), graph.save_on_cpu),
    "save_on_cpu(pin_memory=True) on CPU": ("torch", lambda h, d: h.add_(d), lambda: graph.save_on_cpu(pin_memory=True)),
    "allow_mutation, h[1:].add_(...)": ("torch", lambda h, d: h[1:].add_(d[1:]), graph.allow_mutation_on_saved_tensors),
}


def weight_gradient(norm_kind: str = "torch", write=None, context=contextlib.nullcontext) -> torch.Tensor:
    """LayerNorm weight gradient when `write` adds a delta to its input h after the forward saved it."""
    # es: Gradiente del peso de LayerNorm cuando `write` suma un delta a su entrada h después de que el forward la guardara.
    torch.manual_seed(0)
    norm = LayerNorm(8, norm_kind)
    h, delta = torch.randn(4, 8, requires_grad=True).clone(), torch.randn(4, 8)
    with context():
        y = norm(h)
        if write is not None:
            write(h, delta)
        (y * torch.arange(8.0)).sum().backward()
    return norm.weight.grad


reference = weight_gradient()  # en: nothing changed after the save
# es: nada cambia después de guardar
for label, (norm_kind, write, context) in ROUTES.items():
    error = ((weight_gradient(norm_kind, write, context) - reference).norm() / reference.norm()).item()
    print(f"{label:38s} no error, relative error {error:.2f}")
t = torch.randn(3)
print("t.cpu() is t for a CPU tensor:", t.cpu() is t)
