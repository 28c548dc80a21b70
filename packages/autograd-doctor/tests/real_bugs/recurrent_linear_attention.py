"""Recurrent linear attention accumulates its state in place (`Zi += K`, `Si += ...`) across steps, while the
previous step's einsums saved that state.

Source: https://github.com/idiap/fast-transformers/pull/10
  "Replace inplace operations in recurrent linear attention"
The contributor chains the recurrent transformer's output to other modules and gets this error; the PR replaces
the in-place updates to Zi and Si (the maintainer kept a fast in-place path only where nothing needs grad).
Reproduced with RecurrentLinearAttention's update (elu+1 feature map), stepped over a short sequence.
"""

import torch
import torch.nn.functional as F
from torch import nn

RAISES = True


class RecurrentLinearAttention(nn.Module):
    def __init__(self, eps=1e-6):
        super().__init__()
        self.eps = eps

    def forward(self, query, key, value, memory=None):
        Q = F.elu(query) + 1
        K = F.elu(key) + 1
        N, H, D = Q.shape
        _, _, M = value.shape
        if memory is None:
            Si = query.new_zeros((N, H, D, M))
            Zi = query.new_zeros((N, H, D))
        else:
            Si, Zi = memory
        Zi += K  # culprit
        Si += torch.einsum("nhd,nhm->nhdm", K, value)  # culprit
        Z = 1. / (torch.einsum("nhd,nhd->nh", Q, Zi) + self.eps)
        V = torch.einsum("nhd,nhdm,nh->nhm", Q, Si, Z)
        return V, [Si, Zi]


def run():
    torch.manual_seed(0)
    attention = RecurrentLinearAttention()
    proj = nn.Linear(4, 3 * 2 * 4)
    x = torch.randn(5, 2, 4)
    memory, outputs = None, []
    for t in range(x.shape[0]):
        q, k, v = proj(x[t]).view(2, 3, 2, 4).unbind(1)
        out, memory = attention(q, k, v, memory)
        outputs.append(out)
    torch.stack(outputs).pow(2).mean().backward()
