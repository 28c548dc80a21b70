"""The MADDPG loop of maddpg_critic_first.py with fused=True Adam: the same bug, silent in plain PyTorch.

Source: https://github.com/starry-sky6688/MADDPG/issues/27 (see maddpg_critic_first.py). The report used the
default Adam; here both optimizers are `fused=True`. A fused step writes the critic's weights without bumping
their version counters (torch 2.13 CPU), so `actor_loss.backward()` differentiates through the new weights with
no error: wrong actor gradients, silently. Under explain() the doctor bumps the versions a fused step leaves
alone, so the same loop raises PyTorch's own error there.
"""

import torch
from torch import nn

RAISES = False


class Actor(nn.Module):
    def __init__(self, obs, act):
        super().__init__()
        self.fc1, self.action_out = nn.Linear(obs, 16), nn.Linear(16, act)

    def forward(self, x):
        return torch.tanh(self.action_out(torch.relu(self.fc1(x))))


class Critic(nn.Module):
    def __init__(self, obs, act):
        super().__init__()
        self.fc1, self.q_out = nn.Linear(obs + act, 16), nn.Linear(16, 1)

    def forward(self, state, action):
        state, action = torch.cat(state, dim=1), torch.cat(action, dim=1)
        return self.q_out(torch.relu(self.fc1(torch.cat([state, action], dim=1))))


def run():
    torch.manual_seed(0)
    n_agents, obs_dim, act_dim, batch, agent_id = 2, 4, 2, 8, 0
    actor_network = Actor(obs_dim, act_dim)
    critic_network = Critic(n_agents * obs_dim, n_agents * act_dim)
    critic_target_network = Critic(n_agents * obs_dim, n_agents * act_dim)
    actor_optim = torch.optim.Adam(actor_network.parameters(), lr=1e-4, fused=True)
    critic_optim = torch.optim.Adam(critic_network.parameters(), lr=1e-3, fused=True)
    o = [torch.randn(batch, obs_dim) for _ in range(n_agents)]
    u = [torch.randn(batch, act_dim) for _ in range(n_agents)]
    o_next = [torch.randn(batch, obs_dim) for _ in range(n_agents)]
    r = torch.randn(batch, 1)
    with torch.no_grad():
        q_next = critic_target_network(o_next, u).detach()
        target_q = (r + 0.95 * q_next).detach()
    q_value = critic_network(o, u)
    critic_loss = (target_q - q_value).pow(2).mean()
    u[agent_id] = actor_network(o[agent_id])
    actor_loss = - critic_network(o, u).mean()
    critic_optim.zero_grad()
    critic_loss.backward()
    critic_optim.step()  # culprit
    actor_optim.zero_grad()
    actor_loss.backward()
    actor_optim.step()

