"""An attention map's border is zeroed with four slice writes; the map is a ReLU output the ReLU saved.

Source: https://github.com/AggMan96/RK-Net/issues/9
  "... [torch.cuda.FloatTensor [8, 1, 96, 96]], which is output 0 of ReluBackward0, is at version ..."
The answer in the thread: the block `att[:, :, :, 0] = 0`, `att[:, :, :, -1] = 0`, `att[:, :, 0, :] = 0`,
`att[:, :, -1, :] = 0` modifies att in place; add `att = att.clone()` under `if self.polish:`.
Reproduced with a conv + ReLU attention head and the polish step, [2, 1, 12, 12] maps.
"""

import torch
from torch import nn

RAISES = True


class AttentionHead(nn.Module):
    def __init__(self, channels, polish=True):
        super().__init__()
        self.polish = polish
        self.conv = nn.Conv2d(channels, 1, 3, padding=1)
        self.relu = nn.ReLU()

    def forward(self, x):
        att = self.relu(self.conv(x))
        if self.polish:
            att[:, :, :, 0] = 0  # culprit
            att[:, :, :, -1] = 0  # culprit
            att[:, :, 0, :] = 0  # culprit
            att[:, :, -1, :] = 0  # culprit
        return x * att


def run():
    torch.manual_seed(0)
    backbone = nn.Conv2d(3, 4, 3, padding=1)
    head = AttentionHead(4)
    x = torch.randn(2, 3, 12, 12)
    head(backbone(x)).mean().backward()
