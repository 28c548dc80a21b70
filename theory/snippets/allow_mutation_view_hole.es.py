import torch
import torch.nn.functional as F

torch.manual_seed(0)
x = torch.randn(4, 8, requires_grad=True)
WRITES = {  # cada una devuelve el tensor en el que escribió: h o una vista de h
    "h.add_(1)": lambda h: h.add_(1),
    "h[0].mul_(2)": lambda h: h[0].mul_(2),
    "h[1].mul_(2)": lambda h: h[1].mul_(2),
    "h[:, 1].mul_(2)": lambda h: h[:, 1].mul_(2),
}


def x_gradient(write=None) -> tuple[torch.Tensor, int]:
    """Gradiente de x cuando `write` cambia h después de que layer_norm lo guardara, todo dentro de allow_mutation; y el desplazamiento de la escritura."""
    x.grad = None
    offset = 0
    with torch.autograd.graph.allow_mutation_on_saved_tensors():
        h = x * 2
        y = F.layer_norm(h, (8,))  # guarda h y recuerda su puntero a datos y su versión
        if write is not None:
            offset = write(h).data_ptr() - h.data_ptr()  # bytes desde el comienzo de h
        (y * torch.arange(8.0)).sum().backward()
    return x.grad.clone(), offset


reference, _ = x_gradient()  # nada escrito después de guardarlo
for label, write in WRITES.items():
    grad, offset = x_gradient(write)
    error = ((grad - reference).norm() / reference.norm()).item()
    print(f"{label:16s} writes at h + {offset:2d} bytes: relative error of x.grad {error:.2f}")
