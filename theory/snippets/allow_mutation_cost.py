from dataclasses import replace

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from minigpt.block import Block
from minigpt.config import Attention, GPTConfig, residual_of

config = GPTConfig(vocab_size=16, block_size=4, n_head=2, n_embd=8, attention=Attention.explicit)


class CountOps(TorchDispatchMode):
    """Counts the ATen ops a dispatch mode sees: allow_mutation's own mode inspects each of them."""
    # es: Cuenta las operaciones de ATen que ve un modo de dispatch: el modo de allow_mutation inspecciona cada una.

    def __init__(self):
        super().__init__()
        self.ops = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ops += 1
        return func(*args, **(kwargs or {}))


def count_saves():
    """Saved-tensor hooks that only count the saves: the pack hook runs once per saved tensor."""
    # es: Hooks de tensores guardados que solo cuentan: el hook de empaquetado se ejecuta una vez por tensor guardado.
    saves = []
    return saves, torch.autograd.graph.saved_tensors_hooks(lambda t: saves.append(1) or t, lambda t: t)


torch.manual_seed(0)
for inplace in (False, True):
    block, h = Block(replace(config, residual=residual_of(inplace, via_data=False))), torch.randn(2, 4, 8, requires_grad=True)
    saves, hooks = count_saves()
    with hooks:
        block(h.clone())  # en: the forward alone: each save runs the pack hook once
        # es: solo el forward: cada tensor guardado pasa una vez por el hook de empaquetado
    with torch.autograd.graph.allow_mutation_on_saved_tensors() as context, CountOps() as counter:
        out = block(h.clone())
        clones = len(context.cloned)  # en: saved tensors cloned just before a write
        # es: tensores guardados clonados justo antes de una escritura
        out.sum().backward()
    print(f"Block(inplace={inplace}): {len(saves)} saves through the hooks, {clones} clones, "
          f"{counter.ops} ops inspected in forward and backward")
