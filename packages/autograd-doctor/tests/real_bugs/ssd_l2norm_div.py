"""SSD's L2Norm layer divides its input in place (`x /= norm`); the input is the in-place ReLU output of VGG's
conv4_3, and `x.pow(2)` saved it just before.

Source: https://github.com/lzx1413/PytorchSSD/issues/72
  "one of the variables needed for gradient computation has been modified by an inplace operation"
The reporter's `train_test.py` fails in loss.backward(); the fix posted in the thread, in layers/modules/l2norm.py:
`x /= norm` ----> `x = x / norm`. Reproduced with that layer after a conv + ReLU(inplace=True), tiny sizes.
"""

import torch
from torch import nn

RAISES = True


class L2Norm(nn.Module):
    def __init__(self, n_channels, scale):
        super().__init__()
        self.eps = 1e-10
        self.weight = nn.Parameter(torch.full((n_channels,), float(scale)))

    def forward(self, x):
        norm = x.pow(2).sum(dim=1, keepdim=True).sqrt() + self.eps
        x /= norm  # culprit
        out = self.weight.unsqueeze(0).unsqueeze(2).unsqueeze(3).expand_as(x) * x
        return out


def run():
    torch.manual_seed(0)
    conv4_3 = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(inplace=True))
    l2norm = L2Norm(8, 20)
    head = nn.Conv2d(8, 4, 3, padding=1)
    x = torch.randn(2, 3, 8, 8)
    s = l2norm(conv4_3(x))
    head(s).pow(2).mean().backward()
