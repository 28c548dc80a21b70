"""MADDPG over several agents: every agent's actor loss goes through `mu`, the actions of all agents' actors
computed once before the loop; agent 0's actor step changes weights that agent 1's actor loss still needs.

Source: https://github.com/philtabor/Multi-Agent-Deep-Deterministic-Policy-Gradients/issues/2
  "Question about backward"
The reporter (torch 1.8.1; the author had pinned torch 1.4, before steps were version-checked) gets
"[torch.FloatTensor [64, 8]], which is output 0 of TBackward, is at version 3; expected version 2" inside
learn(), whose loop is `critic_loss.backward(retain_graph=True); agent.critic.optimizer.step()` then
`actor_loss.backward(retain_graph=True); agent.actor.optimizer.step()` for each agent. The reporter's traceback
points at critic_loss.backward; in this reduced reproduction (target actions detached) the first failing
backward is the second agent's actor_loss.backward, through agent 0's stepped actor.
"""

import torch
import torch.nn.functional as F
from torch import nn

RAISES = True


class Agent:
    def __init__(self, obs_dim, n_actions, n_agents):
        self.actor = nn.Sequential(nn.Linear(obs_dim, 8), nn.ReLU(), nn.Linear(8, n_actions), nn.Softmax(-1))
        self.critic = nn.Sequential(nn.Linear(n_agents * (obs_dim + n_actions), 8), nn.ReLU(), nn.Linear(8, 1))
        self.target_actor = nn.Sequential(nn.Linear(obs_dim, 8), nn.ReLU(), nn.Linear(8, n_actions), nn.Softmax(-1))
        self.target_critic = nn.Sequential(nn.Linear(n_agents * (obs_dim + n_actions), 8), nn.ReLU(), nn.Linear(8, 1))
        self.actor.optimizer = torch.optim.Adam(self.actor.parameters(), lr=0.01)
        self.critic.optimizer = torch.optim.Adam(self.critic.parameters(), lr=0.01)
        self.gamma = 0.95


def run():
    torch.manual_seed(0)
    n_agents, obs_dim, n_actions, batch = 2, 4, 3, 6
    agents = [Agent(obs_dim, n_actions, n_agents) for _ in range(n_agents)]
    actor_states = [torch.randn(batch, obs_dim) for _ in range(n_agents)]
    actor_new_states = [torch.randn(batch, obs_dim) for _ in range(n_agents)]
    states, states_ = torch.cat(actor_states, 1), torch.cat(actor_new_states, 1)
    old_actions = torch.cat([torch.softmax(torch.randn(batch, n_actions), -1) for _ in range(n_agents)], 1)
    rewards = torch.randn(batch, n_agents)

    all_agents_new_actions, all_agents_new_mu_actions = [], []
    for agent_idx, agent in enumerate(agents):
        all_agents_new_actions.append(agent.target_actor(actor_new_states[agent_idx]).detach())
        all_agents_new_mu_actions.append(agent.actor(actor_states[agent_idx]))
    new_actions = torch.cat(all_agents_new_actions, dim=1)
    mu = torch.cat(all_agents_new_mu_actions, dim=1)

    for agent_idx, agent in enumerate(agents):
        critic_value_ = agent.target_critic(torch.cat([states_, new_actions], 1)).flatten()
        critic_value = agent.critic(torch.cat([states, old_actions], 1)).flatten()
        target = rewards[:, agent_idx] + agent.gamma * critic_value_
        critic_loss = F.mse_loss(target, critic_value)
        agent.critic.optimizer.zero_grad()
        critic_loss.backward(retain_graph=True)
        agent.critic.optimizer.step()

        actor_loss = agent.critic(torch.cat([states, mu], 1)).flatten()
        actor_loss = -torch.mean(actor_loss)
        agent.actor.optimizer.zero_grad()
        actor_loss.backward(retain_graph=True)
        agent.actor.optimizer.step()  # culprit
