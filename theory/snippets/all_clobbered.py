from dataclasses import replace

import torch

from minigpt.block import Block
from minigpt.config import Attention, GPTConfig, Residual

config = GPTConfig(vocab_size=16, block_size=4, n_head=2, n_embd=8, attention=Attention.explicit)

torch.manual_seed(0)
block = Block(replace(config, residual=Residual.inplace))
out = block(torch.randn(2, 4, 8, requires_grad=True).clone())


def walk(node, seen):
    """Every backward node reachable from `node`, each once."""
    # es: Cada nodo del backward alcanzable desde `node`, una sola vez.
    if node is None or node in seen:
        return
    seen.append(node)
    for parent, _ in node.next_functions:
        walk(parent, seen)


nodes = []
walk(out.sum().grad_fn, nodes)
for node in nodes:
    for slot in (a for a in dir(node) if a.startswith("_saved_")):
        try:
            getattr(node, slot)  # en: reading a saved tensor runs the same version check as backward
            # es: leer un tensor guardado ejecuta la misma comprobación de versión que el backward
        except RuntimeError as error:
            versions = str(error).split("is at ")[1].split(". Hint")[0]
            print(f"{node.name()}.{slot}: {versions}")
