import torch
from torch import nn


class Doubling(nn.Module):
    """A module that scales its own weight through .data inside forward (the bug in the folklore)."""
    # es: Un módulo que escala su propio peso a través de .data dentro del forward (el fallo del mito).

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(3))

    def forward(self, x):
        self.weight.data *= 2  # en: not tracked: no version bump, no graph node
        # es: no se rastrea: ni incrementa la versión ni crea un nodo
        return ((self.weight * x) ** 2).sum()


module, x = Doubling(), torch.tensor([1.0, 2.0, 3.0])
for call in range(3):
    module.weight.grad = None
    module(x).backward()
    right = torch.equal(module.weight.grad, 2 * module.weight * x ** 2)  # en: d/dw sum((w x)^2) at the doubled w
    # es: d/dw sum((w x)^2) en la w ya duplicada
    print(f"forward {call}: weight = {module.weight.tolist()}, gradient right for that weight: {right}")
