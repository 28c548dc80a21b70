from dataclasses import replace

import torch

from minigpt.block import Block
from minigpt.config import Attention, GPTConfig, Residual

config = GPTConfig(vocab_size=16, block_size=4, n_head=2, n_embd=8, attention=Attention.explicit)

torch.manual_seed(0)
control = Block(config)                                      # h = h + self.attn(self.ln1(h))
inplace = Block(replace(config, residual=Residual.inplace))  # h.add_(self.attn(self.ln1(h)))
inplace.load_state_dict(control.state_dict())                    # en: the same weights
# es: los mismos pesos
x = torch.randn(2, 4, 8, requires_grad=True)                     # (B, T, C)

out_a = control(x.clone())  # en: clone: like the embedding sum, h is not a leaf
# es: clone: como la suma de embeddings, h no es un tensor hoja
out_b = inplace(x.clone())
print("forward outputs identical:", torch.equal(out_a, out_b))
out_a.sum().backward()
print("control backward: ok")
try:
    out_b.sum().backward()
except RuntimeError as error:
    print("in-place backward raised RuntimeError:")
    print(error)
