from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from minigpt.block import Block
from minigpt.config import Attention, GPTConfig, residual_of

config = GPTConfig(vocab_size=16, block_size=4, n_head=2, n_embd=8, attention=Attention.explicit)


class InplaceCalls(TorchFunctionMode):
    """Records every torch call of a forward, and whether it moved the version of a tensor it was given."""
    # es: Registra cada llamada de torch de un forward y si movió la versión de algún tensor que recibió.

    def __init__(self):
        super().__init__()
        self.calls = []  # en: (name, moved a version)
        # es: (nombre, si movió una versión)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        tensors = [a for a in [*args, *kwargs.values()] if isinstance(a, torch.Tensor)]
        before = [t._version for t in tensors]
        result = func(*args, **kwargs)
        name = getattr(func, "__name__", str(func)) + ("(inplace=True)" if kwargs.get("inplace") else "")
        self.calls.append((name, any(t._version != v for t, v in zip(tensors, before))))
        return result


def spelled_in_place(name: str) -> bool:
    """The naive test: the name ends in one underscore, or is an augmented assignment."""
    # es: La prueba ingenua: el nombre acaba en un guion bajo o es una asignación aumentada.
    return (name.endswith("_") and not name.endswith("__")) or name in ("__iadd__", "__isub__", "__imul__", "__itruediv__")


def forms(x):
    """Each way of writing an in-place op, and one call that only looks like one."""
    # es: Cada forma de escribir una operación in situ, y una llamada que solo lo parece.
    h = x * 1
    h.add_(1)
    h += 1
    h = F.relu(h, inplace=True)
    h = nn.ReLU(inplace=True)(h)
    h[:, 0] = 0
    return h.detach().requires_grad_()  # en: ends in an underscore, changes no values
    # es: acaba en guion bajo, pero no cambia ningún valor


with InplaceCalls() as tracer:
    forms(torch.randn(2, 4, requires_grad=True))
print("name matching finds:   ", [name for name, _ in tracer.calls if spelled_in_place(name)])
print("version comparing finds:", [name for name, moved in tracer.calls if moved])
torch.manual_seed(0)
for inplace in (False, True):
    block, h = Block(replace(config, residual=residual_of(inplace, via_data=False))), torch.randn(2, 4, 8, requires_grad=True).clone()
    with InplaceCalls() as tracer:
        block(h)
    print(f"Block(inplace={inplace}) forward:", [name for name, moved in tracer.calls if moved])
