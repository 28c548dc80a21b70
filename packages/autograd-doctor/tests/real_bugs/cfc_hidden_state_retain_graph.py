"""A recurrent model's hidden state is carried from batch to batch without detach; retain_graph=True silences the
"backward a second time" error, and the next backward reaches the previous batch's graph, whose weights
optimizer.step() has changed in place.

Source: https://github.com/mlech26l/ncps/issues/62
  "Python gives anRuntime error when I try to send hidden state (hx) to the CfC model."
The reporter first gets "Trying to backward through the graph a second time", adds
`loss.backward(retain_graph=True)`, then gets "[torch.FloatTensor [17, 10]], which is output 0 of
AsStridedBackward0, is at version 3; expected version 2". Reproduced with a closed-form-continuous-time-like cell
(backbone, two heads, time gate: the CfC shape) and the reporter's loop: `output, hx = model(x, hx)`.
"""

import torch
from torch import nn

RAISES = True


class CfCCell(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.backbone = nn.Linear(input_size + hidden_size, 16)
        self.ff1, self.ff2 = nn.Linear(16, hidden_size), nn.Linear(16, hidden_size)
        self.time_a, self.time_b = nn.Linear(16, hidden_size), nn.Linear(16, hidden_size)

    def forward(self, x, h, ts=1.0):
        z = torch.tanh(self.backbone(torch.cat([x, h], 1)))
        gate = torch.sigmoid(-self.time_a(z) * ts + self.time_b(z))
        return torch.tanh(self.ff1(z)) * (1 - gate) + gate * torch.tanh(self.ff2(z))


class CfC(nn.Module):
    def __init__(self, input_size, hidden_size, out_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.cell, self.fc = CfCCell(input_size, hidden_size), nn.Linear(hidden_size, out_size)

    def forward(self, x, hx=None):
        h = torch.zeros(x.shape[0], self.hidden_size) if hx is None else hx
        outs = []
        for t in range(x.shape[1]):
            h = self.cell(x[:, t], h)
            outs.append(self.fc(h))
        return torch.stack(outs, 1), h


def run():
    torch.manual_seed(0)
    model = CfC(3, 10, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.MSELoss()
    hx = None
    for _ in range(2):
        x, y = torch.randn(4, 5, 3), torch.randn(4, 5, 1)
        output, hx = model(x, hx)
        loss = criterion(output, y)
        optimizer.zero_grad()
        loss.backward(retain_graph=True)
        optimizer.step()  # culprit
