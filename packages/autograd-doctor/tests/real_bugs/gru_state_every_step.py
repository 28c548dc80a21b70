"""A GRU-based routing agent feeds its network state back in at every time step and learns at every step with
retain_graph=True: the next step's backward goes back into the previous steps' graph, which saved the GRU and
head weights that optimizer.step() has changed since.

Source: https://github.com/FazelYU/Adaptive-Navigation/issues/41
  "RuntimeError: one of the variables needed for gradient computation has been modified by an inplace operation"
The reporter: "[torch.FloatTensor [1, 2, 4]] is at version 2; expected version 1"; tried computing all agents'
losses before stepping (did not work); "The end to end design requires feeding the network state in every time
step". Reproduced with an nn.GRU state carried across steps and a Q-learning step at each.
"""

import torch
import torch.nn.functional as F
from torch import nn

RAISES = True


class RecurrentQNet(nn.Module):
    def __init__(self, obs_dim=4, hidden=4, n_actions=3):
        super().__init__()
        self.gru = nn.GRU(obs_dim, hidden, batch_first=True)
        self.head = nn.Linear(hidden, n_actions)

    def forward(self, obs, state):
        out, state = self.gru(obs, state)
        return self.head(out[:, -1]), state


def run():
    torch.manual_seed(0)
    net = RecurrentQNet()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    state = torch.zeros(1, 2, 4)
    for step in range(3):  # noqa: B007 - as the source wrote it
        obs = torch.randn(2, 1, 4)
        q, state = net(obs, state)
        action = q.argmax(-1)
        target = torch.randn(2)
        loss = F.smooth_l1_loss(q.gather(1, action[:, None]).squeeze(1), target)
        optimizer.zero_grad()
        loss.backward(retain_graph=True)
        optimizer.step()  # culprit
