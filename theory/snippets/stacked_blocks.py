from dataclasses import replace

import torch

from minigpt.block import Block
from minigpt.config import Attention, GPTConfig, Residual

config = GPTConfig(vocab_size=16, block_size=4, n_head=2, n_embd=8, attention=Attention.explicit)

torch.manual_seed(0)
blocks = [Block(replace(config, residual=Residual.inplace)) for _ in range(2)]  # en: the run's two blocks
# es: los dos bloques de la ejecución
h = torch.randn(2, 4, 8, requires_grad=True).clone()  # en: (B, T, C), like the embedding sum
# es: (B, T, C), como la suma de embeddings
for block in blocks:
    h = block(h)  # en: the same tensor comes back: each block bumps its version twice
    # es: vuelve el mismo tensor: cada bloque incrementa su versión dos veces
print("h after two blocks: version", h._version)
try:
    h.sum().backward()
except RuntimeError as error:
    print("backward raises:", str(error).split("is at ")[1].split(". Hint")[0])
