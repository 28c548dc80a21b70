"""nn.Embedding(max_norm=...) renormalizes its weight in place, after another op saved that weight.

Source: https://github.com/pytorch/pytorch/issues/26596
  "nn.Embedding with max_norm shows unstable behavior and causes sometimes runtime error."
The reporter multiplies `embedding.weight` by W (Line a), then looks rows up through the same embedding
(Line b): the lookup with max_norm runs `embedding_renorm_` on the weight that Line a's matmul saved.
Swapping the two lines (or dropping max_norm) makes the error go away. Reproduced as written.
"""

import torch
from torch import nn

RAISES = True


def run():
    torch.manual_seed(0)
    n, d, m = 3, 5, 7
    embedding = nn.Embedding(n, d, max_norm=True)
    W = torch.randn((m, d), requires_grad=True)
    optimizer = torch.optim.Adam(list(embedding.parameters()) + [W], lr=1e-3)
    optimizer.zero_grad()
    idx = torch.tensor([1, 2])
    a = embedding.weight @ W.t()  # Line a
    b = embedding(idx) @ W.t()  # Line b  # culprit
    out = (a.unsqueeze(0) + b.unsqueeze(1))
    loss = out.sigmoid().prod()
    loss.backward()
    optimizer.step()
