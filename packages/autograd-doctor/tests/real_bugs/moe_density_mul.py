"""Top-2 gating of a mixture of experts masks its density proxy in place; the proxy is the very softmax output
the softmax saved.

Source: https://github.com/lucidrains/mixture-of-experts/issues/6
  "implicit inplace operation '*=' cause an error when deriving the back gradient in pytorch"
The reporter points at `density_1_proxy *= equals_one_mask[..., None]` (density_1_proxy is raw_gates, the
softmax output) and proposes `density_1_proxy = density_1_proxy * equals_one_mask[..., None]`, which the
maintainer committed. Reproduced with the Top2Gating shape of that code (importance given), tiny sizes.
"""

import torch
import torch.nn.functional as F
from torch import nn

RAISES = True


def top1(t):
    values, index = t.topk(k=1, dim=-1)
    values, index = map(lambda x: x.squeeze(dim=-1), (values, index))
    return values, index


class Top2Gating(nn.Module):
    def __init__(self, dim, num_gates):
        super().__init__()
        self.num_gates = num_gates
        self.w_gating = nn.Parameter(torch.randn(dim, num_gates))

    def forward(self, x, importance=None):
        num_gates = self.num_gates
        raw_gates = torch.einsum('...bnd,...de->...bne', x, self.w_gating)
        raw_gates = raw_gates.softmax(dim=-1)
        gate_1, index_1 = top1(raw_gates)
        mask_1 = F.one_hot(index_1, num_gates).float()
        density_1_proxy = raw_gates
        if importance is not None:
            equals_one_mask = (importance == 1.).float()
            mask_1 *= equals_one_mask[..., None]
            gate_1 *= equals_one_mask
            density_1_proxy *= equals_one_mask[..., None]  # culprit
            del equals_one_mask
        gates_without_top_1 = raw_gates * (1. - mask_1)
        gate_2, index_2 = top1(gates_without_top_1)
        density_1 = mask_1.mean(dim=-2)
        density_1_proxy = density_1_proxy.mean(dim=-2)
        loss = (density_1_proxy * density_1).mean() * float(num_gates ** 2)
        return gate_1 + gate_2, loss


def run():
    torch.manual_seed(0)
    gating = Top2Gating(8, 4)
    x = torch.randn(2, 6, 8)
    importance = torch.tensor([[1., 1., 0.5, 1., 1., 0.5], [1., 0.5, 1., 1., 1., 1.]])
    gates, loss = gating(x, importance)
    (gates.sum() + loss).backward()
