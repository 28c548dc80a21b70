"""An FPN top-down pathway adds the upsampled coarser level into the finer lateral in place; the laterals are
ReLU outputs (conv-bn-relu), which the ReLU saved.

Source: https://github.com/lyongo/NWPU-MOC/issues/4  "gradient computation problems"
The reporter's error: "[4, 128, 64, 64]], which is output 0 of ReluBackward0, is at version 1; expected version 0";
the fix given in the thread: change `laterals[i - 1] += F.interpolate(laterals[i], size=prev_shape,
mode='nearest')` in models/FPN/FPN_Head.py from += to = ... + .... Reproduced with that pathway, tiny sizes.
"""

import torch
import torch.nn.functional as F
from torch import nn

RAISES = True


class ConvModule(nn.Sequential):
    def __init__(self, cin, cout, k):
        super().__init__(nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class FPNHead(nn.Module):
    def __init__(self, in_channels=(4, 8, 16), channels=8):
        super().__init__()
        self.lateral_convs = nn.ModuleList(ConvModule(c, channels, 1) for c in in_channels)
        self.fpn_convs = nn.ModuleList(ConvModule(channels, channels, 3) for _ in in_channels)

    def forward(self, inputs):
        laterals = [lateral_conv(inputs[i]) for i, lateral_conv in enumerate(self.lateral_convs)]
        used_backbone_levels = len(laterals)
        for i in range(used_backbone_levels - 1, 0, -1):
            prev_shape = laterals[i - 1].shape[2:]
            laterals[i - 1] += F.interpolate(laterals[i], size=prev_shape, mode='nearest')  # culprit
        outs = [self.fpn_convs[i](laterals[i]) for i in range(used_backbone_levels)]
        return outs


def run():
    torch.manual_seed(0)
    head = FPNHead()
    inputs = [torch.randn(2, 4, 16, 16), torch.randn(2, 8, 8, 8), torch.randn(2, 16, 4, 4)]
    sum(o.mean() for o in head(inputs)).backward()
