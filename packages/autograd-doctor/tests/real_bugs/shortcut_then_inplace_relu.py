"""The residual branch starts with an in-place ReLU on the block input that the shortcut conv already saved.

Source: https://github.com/pytorch/pytorch/issues/15428
  "Maybe this is something about computing graph?"
The reporter's block computes `sc = self.shortcut(x)` and then `resd = self.residual(x)`, whose first layer is
ReLU(inplace=True): it modifies `x` in place after the shortcut conv saved it. The answer: "remove
inplace=True". (With the residual computed first, the shortcut sees the rectified x: silent, wrong.)
"""

import torch
from torch import nn

RAISES = True


class Block(nn.Module):
    def __init__(self, in_chan, out_chan, stride=1):
        super().__init__()
        self.in_chan, self.out_chan, self.stride = in_chan, out_chan, stride
        self.residual = nn.Sequential(
            nn.ReLU(inplace=True),  # culprit
            nn.Conv2d(in_chan, out_chan, 3, stride, 1),
            nn.BatchNorm2d(out_chan),
            nn.ReLU(),
            nn.Conv2d(out_chan, out_chan, 3, 1, 1),
        )
        self.shortcut = nn.Conv2d(in_chan, out_chan, 1, stride)

    def forward(self, x):
        if not self.stride == 1 or not self.in_chan == self.out_chan:
            sc = self.shortcut(x)
        else:
            sc = x
        resd = self.residual(x)
        out = resd + sc
        return out


def run():
    torch.manual_seed(0)
    stem = nn.Conv2d(3, 4, 3, padding=1)
    model = nn.Sequential(stem, nn.BatchNorm2d(4), Block(4, 8, stride=2))
    x = torch.randn(2, 3, 8, 8)
    model(x).mean().backward()
