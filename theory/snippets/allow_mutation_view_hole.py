import torch
import torch.nn.functional as F

torch.manual_seed(0)
x = torch.randn(4, 8, requires_grad=True)
WRITES = {  # each returns the tensor it wrote into: h itself or a view of h
    "h.add_(1)": lambda h: h.add_(1),
    "h[0].mul_(2)": lambda h: h[0].mul_(2),
    "h[1].mul_(2)": lambda h: h[1].mul_(2),
    "h[:, 1].mul_(2)": lambda h: h[:, 1].mul_(2),
}


def x_gradient(write=None) -> tuple[torch.Tensor, int]:
    """x's gradient when `write` changes h after layer_norm saved it, all inside allow_mutation; the write's offset."""
    x.grad = None
    offset = 0
    with torch.autograd.graph.allow_mutation_on_saved_tensors():
        h = x * 2
        y = F.layer_norm(h, (8,))  # saves h, remembering its data pointer and version
        if write is not None:
            offset = write(h).data_ptr() - h.data_ptr()  # bytes from the start of h
        (y * torch.arange(8.0)).sum().backward()
    return x.grad.clone(), offset


reference, _ = x_gradient()  # nothing written after the save
for label, write in WRITES.items():
    grad, offset = x_gradient(write)
    error = ((grad - reference).norm() / reference.norm()).item()
    print(f"{label:16s} writes at h + {offset:2d} bytes: relative error of x.grad {error:.2f}")
