import torch
import torch.nn.functional as F

torch.manual_seed(0)
x = torch.randn(4, 8, requires_grad=True)
delta = torch.randn(4, 8)


def x_gradient(hooks=None):
    """x's gradient when layer_norm's saved input h gets delta added after the forward."""
    # es: Gradiente de x cuando a la entrada guardada h de layer_norm se le suma delta después del forward.
    x.grad = None
    with hooks or torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        h = x * 2
        y = F.layer_norm(h, (8,))
        if hooks is not None:
            h.add_(delta)
        (y * torch.arange(8.0)).sum().backward()
    return x.grad.clone()


reference = x_gradient()
identity = torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t)  # en: pack, unpack: do nothing
# es: empaquetar y desempaquetar: no hacen nada
error = (x_gradient(identity) - reference).norm() / reference.norm()
print(f"identity hooks: no error raised, relative error of x.grad = {error:.2f}")
