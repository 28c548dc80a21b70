import torch

from minigpt.block import Block
from minigpt.config import Attention, GPTConfig

config = GPTConfig(vocab_size=16, block_size=4, n_head=2, n_embd=8, attention=Attention.explicit)

torch.manual_seed(0)
block = Block(config)
h = torch.randn(2, 4, 8, requires_grad=True).clone()  # (B, T, C)
print("h before ln1:", h.grad_fn.name(), "version", h._version)
normed_1 = block.ln1(h)  # en: ln1 saves h at version 0: the output of clone
# es: ln1 guarda h en la versión 0: la salida de clone
a = block.attn(normed_1)
h.mul_(1.0001)
print("h before ln2:", h.grad_fn.name(), "version", h._version)
normed_2 = block.ln2(h)  # en: ln2 saves h at version 1: the output of mul_
# es: ln2 guarda h en la versión 1: la salida de mul_
f = block.ffn(normed_2)
h.add_(0.5)
print("h at backward:", h.grad_fn.name(), "version", h._version)

try:
    (a + f).sum().backward()
except RuntimeError as error:
    print("backward raises:", str(error).split("which is ")[1].split(". Hint")[0])
try:
    normed_1.grad_fn._saved_input  # en: the same check, on ln1's save
    # es: la misma comprobación, sobre lo que guardó ln1
except RuntimeError as error:
    print("ln1's save:     ", str(error).split("which is ")[1].split(". Hint")[0])
