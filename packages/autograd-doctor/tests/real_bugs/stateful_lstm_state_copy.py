"""A stateful LSTM writes its final state back into its state buffers in place; the first step's cell saved those
buffers (its h and c inputs) for backward.

Source: https://github.com/keras-team/keras/pull/20916
  "Fix PyTorch stateful RNN/LSTM gradient computation error resolves #20875"
With the torch backend and `stateful=True`, Keras's LSTM assigns the new states into the state variables in place
(an in-place copy on torch), and backward raises this error; the PR first cloned the states in the base RNN, and
the maintainer asked where the in-place modification occurs. Reproduced in plain torch: LSTMCell over a sequence,
then the state assigned back into the buffers it started from.
"""

import torch
from torch import nn

RAISES = True


class StatefulLSTM(nn.Module):
    def __init__(self, input_size, units, batch):
        super().__init__()
        self.cell = nn.LSTMCell(input_size, units)
        self.register_buffer("h", torch.zeros(batch, units))
        self.register_buffer("c", torch.zeros(batch, units))

    def forward(self, x):
        h, c = self.h, self.c
        outputs = []
        for t in range(x.shape[1]):
            h, c = self.cell(x[:, t], (h, c))
            outputs.append(h)
        self.h.copy_(h.detach())  # culprit
        self.c.copy_(c.detach())  # culprit
        return torch.stack(outputs, 1)


def run():
    torch.manual_seed(0)
    model = StatefulLSTM(3, 4, 2)
    head = nn.Linear(4, 1)
    x = torch.randn(2, 5, 3)
    head(model(x)).pow(2).mean().backward()
