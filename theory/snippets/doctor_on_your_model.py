import torch
from torch import nn

import autograd_doctor


class TinyNet(nn.Module):  # any model: nothing here comes from the course
    def __init__(self):
        super().__init__()
        self.embed, self.norm, self.head = nn.Linear(32, 32), nn.LayerNorm(32), nn.Linear(32, 1)

    def forward(self, x):
        h = torch.tanh(self.embed(x))  # tanh saves its output h for backward
        out = self.head(self.norm(h))  # LayerNorm saves its input: h again
        h.mul_(0.5)  # the bug: changes that saved h in place
        return out.pow(2).mean()


model = TinyNet()
try:
    with autograd_doctor.explain():  # your training step, unchanged, inside
        loss = model(torch.randn(8, 32))
        loss.backward()
except RuntimeError as error:
    print(error)  # PyTorch's message first, verbatim; the doctor's lines below it
