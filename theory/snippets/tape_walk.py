from dataclasses import replace

import torch

from minigpt.block import Block
from minigpt.config import Attention, GPTConfig, residual_of

config = GPTConfig(vocab_size=16, block_size=4, n_head=2, n_embd=8, attention=Attention.explicit)


def backward_order(root):
    """The nodes reachable from `root`, each after every node that feeds it a gradient."""
    # es: Los nodos alcanzables desde `root`, cada uno después de todos los que le pasan un gradiente.
    order, seen = [], set()

    def visit(node):
        if node is None or node in seen:
            return
        seen.add(node)
        for parent, _ in node.next_functions:
            visit(parent)
        order.append(node)
    visit(root)
    return order[::-1]


def saved_tensors(node):
    """'slot shape' for every tensor the node saved; a clobbered one says so, with the versions."""
    # es: 'ranura forma' de cada tensor que guardó el nodo; uno sobrescrito lo indica, con las versiones.
    described = []
    for slot in (a for a in dir(node) if a.startswith("_saved_")):
        try:
            value = getattr(node, slot)  # en: the version check runs here
            # es: aquí se ejecuta la comprobación de versión
        except RuntimeError as error:
            versions = str(error).split("is at ")[1].split(". Hint")[0]
            described.append(f"{slot[7:]} CLOBBERED ({versions})")
            continue
        if isinstance(value, torch.Tensor):
            described.append(f"{slot[7:]} {tuple(value.shape)}")
    return ", ".join(described)


for inplace in (False, True):
    torch.manual_seed(0)
    block = Block(replace(config, residual=residual_of(inplace, via_data=False)))
    out = block(torch.randn(2, 4, 8, requires_grad=True).clone())  # h: (B, T, C) = (2, 4, 8)
    order = backward_order(out.sum().grad_fn)
    print(f"--- inplace={inplace}: {len(order)} nodes; those that save tensors, each after every node that sends it a gradient")
    for i, node in enumerate(order):  # en: i: position in the backward order, leaves included
    # es: i: posición en el orden del backward, hojas incluidas
        if saved_tensors(node):
            print(f"{i:2d} {node.name():25s} {saved_tensors(node)}")
