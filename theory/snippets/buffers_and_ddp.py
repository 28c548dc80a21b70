import inspect

import torch
from torch import nn

# en: BatchNorm updates its running statistics in place; two forwards, then one backward
# es: BatchNorm actualiza in situ sus estadísticas acumuladas; dos forward y después un backward
torch.manual_seed(0)
norm, x = nn.BatchNorm1d(3), torch.randn(4, 3, requires_grad=True)
before = norm.running_mean.clone(), norm.running_mean._version
y1 = norm(x)
y2 = norm(x * 2)
print("running_mean changed:", not torch.equal(before[0], norm.running_mean),
      f"; its version v{before[1]}->v{norm.running_mean._version}")
(y1 + y2).sum().backward()
print("two forwards, one backward: no error")


class Scaled(nn.Module):
    """A module whose forward saves a buffer for backward (x * scale saves scale for x's gradient)."""
    # es: Un módulo cuyo forward guarda un búfer para el backward (x * scale guarda scale para el gradiente de x).

    def __init__(self):
        super().__init__()
        self.register_buffer("scale", torch.ones(3))

    def forward(self, x):
        return x * self.scale


# en: what a buffer broadcast does between two forwards: copy_ into the buffer, under no_grad
# es: lo que hace una difusión de búferes entre dos forward: copy_ en el búfer, bajo no_grad
for preserve in (False, True):
    module, x = Scaled(), torch.ones(3, requires_grad=True)
    saved = module.scale.clone()
    y = module(x)  # en: saves scale = 1
    # es: guarda scale = 1
    with torch.no_grad(), (torch.autograd._unsafe_preserve_version_counter(module.scale) if preserve
                           else torch.enable_grad()):
        module.scale.copy_(torch.full((3,), 2.0))
    try:
        y.sum().backward()
        print(f"copy_ under _unsafe_preserve_version_counter: no error, x.grad = {x.grad.tolist()} "
              f"(the forward multiplied by {saved.tolist()})")
    except RuntimeError as error:
        print("plain copy_: backward raises:", str(error).split("operation: ")[1].split(". Hint")[0])
source = inspect.getsource(nn.parallel.DistributedDataParallel._sync_buffers)
print("DDP._sync_buffers syncs under _unsafe_preserve_version_counter:", "_unsafe_preserve_version_counter" in source)
