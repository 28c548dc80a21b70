"""MADDPG with the critic updated before the actor: the actor loss was computed through the critic, whose
weights critic_optim.step() then changed in place.

Source: https://github.com/starry-sky6688/MADDPG/issues/27
  (title, in Chinese: updating the critic first and then the actor, as the paper does, raises the in-place error)
The reporter swaps the repository's order to `critic_loss.backward(); critic_optim.step()` then
`actor_loss.backward(); actor_optim.step()`; the maintainer explains that actor_loss's graph used the
critic_network that the step has just updated. Reproduced with the agent's train() order, two agents, MLPs.
"""

import torch
from torch import nn

RAISES = True


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
    actor_optim = torch.optim.Adam(actor_network.parameters(), lr=1e-4)
    critic_optim = torch.optim.Adam(critic_network.parameters(), lr=1e-3)
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

