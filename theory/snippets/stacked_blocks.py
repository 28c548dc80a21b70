import torch

from minigpt.block import Block

torch.manual_seed(0)
blocks = [Block(n_embd=8, n_head=2, block_size=4, inplace=True) for _ in range(2)]  # the run's two blocks
h = torch.randn(2, 4, 8, requires_grad=True).clone()  # (B, T, C), like the embedding sum
for block in blocks:
    h = block(h)  # the same tensor comes back: each block bumps its version twice
print("h after two blocks: version", h._version)
try:
    h.sum().backward()
except RuntimeError as error:
    print("backward raises:", str(error).split("is at ")[1].split(". Hint")[0])
