"""A ResNet block with the residual add moved after the in-place ReLU: `out += identity` writes into the ReLU's
saved output.

Source: https://github.com/pytorch/vision/issues/807
  "Why in-place operation for ReLU is used in models/examples?"
A maintainer (fmassa) answers which in-place ReLUs are unsafe: inverting the sum and the relu of torchvision's
BasicBlock (pre-activation style), `out = self.relu(out); out += identity`, raises this error in backward.
Reproduced with torchvision's BasicBlock layout (conv-bn-relu-conv-bn, ReLU(inplace=True)), tiny sizes.
"""

import torch
from torch import nn

RAISES = True


class BasicBlock(nn.Module):
    def __init__(self, planes):
        super().__init__()
        self.conv1 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)

    def forward(self, x):
        identity = x
        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)
        out = self.conv2(out)
        out = self.bn2(out)
        out = self.relu(out)
        out += identity  # culprit
        return out


def run():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), BasicBlock(4), BasicBlock(4))
    x = torch.randn(2, 3, 8, 8)
    model(x).mean().backward()
