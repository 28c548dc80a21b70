import torch

graph = torch.autograd.graph


def x_gradient(write: bool) -> tuple[torch.Tensor, int]:
    """x's gradient when a view h[2] is saved and, if `write`, its base h changes in place; the clones made."""
    # es: El gradiente de x cuando se guarda una vista h[2] y, si `write`, su base h cambia in situ; las copias hechas.
    x = torch.arange(12.0).reshape(4, 3).requires_grad_()
    with graph.allow_mutation_on_saved_tensors() as context:
        h = x * 2
        y = h[2].sin()  # en: sin saves the view h[2], which starts 24 bytes after h
        # es: sin guarda la vista h[2], que empieza 24 bytes después de h
        if write:
            h.add_(1)  # en: writes h at its own start address: no saved tensor starts there
            # es: escribe h en su propia dirección de inicio: ningún tensor guardado empieza ahí
        y.sum().backward()
        return x.grad, len(context.cloned)


right, _ = x_gradient(write=False)
wrong, clones = x_gradient(write=True)
print(f"saved h[2], then h.add_(1): {clones} clones, no error, relative error of x.grad "
      f"{((wrong - right).norm() / right.norm()).item():.2f}")
qkv = torch.randn(2, 4, 24, requires_grad=True) * 1  # en: (B, T, 3C), as in our attention
# es: (B, T, 3C), como en nuestra atención
q, k, v = qkv.split(8, dim=2)
print("qkv.split: q, k, v start at", [t.data_ptr() - qkv.data_ptr() for t in (q, k, v)], "bytes from qkv")
