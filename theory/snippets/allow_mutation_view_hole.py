import torch
import torch.nn.functional as F

torch.manual_seed(0)
x = torch.randn(4, 8, requires_grad=True)
WRITES = {  # en: each returns the tensor it wrote into: h itself or a view of h
# es: cada una devuelve el tensor en el que escribió: h o una vista de h
    "h.add_(1)": lambda h: h.add_(1),
    "h[0].mul_(2)": lambda h: h[0].mul_(2),
    "h[1].mul_(2)": lambda h: h[1].mul_(2),
    "h[:, 1].mul_(2)": lambda h: h[:, 1].mul_(2),
}


def x_gradient(write=None) -> tuple[torch.Tensor, int]:
    """x's gradient when `write` changes h after layer_norm saved it, all inside allow_mutation; the write's offset."""
    # es: Gradiente de x cuando `write` cambia h después de que layer_norm lo guardara, todo dentro de allow_mutation; y el desplazamiento de la escritura.
    x.grad = None
    offset = 0
    with torch.autograd.graph.allow_mutation_on_saved_tensors():
        h = x * 2
        y = F.layer_norm(h, (8,))  # en: saves h, remembering its data pointer and version
        # es: guarda h y recuerda su puntero a datos y su versión
        if write is not None:
            offset = write(h).data_ptr() - h.data_ptr()  # en: bytes from the start of h
            # es: bytes desde el comienzo de h
        (y * torch.arange(8.0)).sum().backward()
    return x.grad.clone(), offset


reference, _ = x_gradient()  # en: nothing written after the save
# es: nada escrito después de guardarlo
for label, write in WRITES.items():
    grad, offset = x_gradient(write)
    error = ((grad - reference).norm() / reference.norm()).item()
    print(f"{label:16s} writes at h + {offset:2d} bytes: relative error of x.grad {error:.2f}")
