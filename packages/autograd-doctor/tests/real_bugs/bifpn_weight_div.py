"""EfficientDet's BiFPN normalizes its fusion weights in place (`w1 /= torch.sum(w1, dim=0) + eps`) right after
the ReLU that produced them saved its output.

Source: https://github.com/toandaominh1997/EfficientDet.Pytorch/issues/161  "Gradient computation error"
The reporter's error: "[3, 3]], which is output 0 of ReluBackward0, is at version 1; expected version 0"; the fix
posted in the thread: lines 178 and 180 of models/bifpn.py, `w1 /= ...` and `w2 /= ...` -> `w1 = w1 / (...)`.
Reproduced with 5 levels (so w2 is [3, 3] as in the report), the top-down and bottom-up fusions, tiny maps.
"""

import torch
import torch.nn.functional as F
from torch import nn

RAISES = True


class BiFPNBlock(nn.Module):
    def __init__(self, channels=4, levels=5, eps=1e-4):
        super().__init__()
        self.eps = eps
        self.w1 = nn.Parameter(torch.ones(2, levels))
        self.w2 = nn.Parameter(torch.ones(3, levels - 2))
        self.relu = nn.ReLU()
        self.td = nn.ModuleList(nn.Conv2d(channels, channels, 3, padding=1) for _ in range(levels))
        self.out = nn.ModuleList(nn.Conv2d(channels, channels, 3, padding=1) for _ in range(levels))

    def forward(self, inputs):
        levels = len(inputs)
        w1 = self.relu(self.w1)
        w1 /= torch.sum(w1, dim=0) + self.eps  # culprit
        w2 = self.relu(self.w2)
        w2 /= torch.sum(w2, dim=0) + self.eps  # culprit
        pathtd = list(inputs)
        for i in range(levels - 1, 0, -1):
            pathtd[i - 1] = self.td[i - 1](w1[0, i - 1] * pathtd[i - 1] +
                                           w1[1, i - 1] * F.interpolate(pathtd[i], scale_factor=2))
        outs = [pathtd[0]]
        for i in range(1, levels - 1):
            down = F.max_pool2d(outs[-1], 2)
            outs.append(self.out[i](w2[0, i - 1] * pathtd[i] + w2[1, i - 1] * down + w2[2, i - 1] * inputs[i]))
        outs.append(self.out[-1](w1[0, -1] * pathtd[-1] + w1[1, -1] * F.max_pool2d(outs[-1], 2)))
        return outs


def run():
    torch.manual_seed(0)
    block = BiFPNBlock()
    inputs = [torch.randn(1, 4, 2 ** (5 - k), 2 ** (5 - k)) for k in range(5)]
    sum(o.mean() for o in block(inputs)).backward()
