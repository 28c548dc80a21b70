"""Dreamer: the actor loss is imagined through the world model's transition, and the model optimizer steps
before actor_loss.backward().

Source: https://github.com/juliusfrost/dreamer-pytorch/issues/52  "main.py does not run on pytorch==1.5.0"
The CI traceback: dreamer/algos/dreamer_algo.py, optimize_agent, `actor_loss.backward()` fails (torch 1.5 added
the version check on a step's writes). optimize_agent computes model, actor and value losses in one loss() call,
then steps the model before the actor's backward. Reproduced with that order and a tiny deterministic RSSM-like
transition (imagination starts from detached posterior states, as Dreamer's does).
"""

import torch
import torch.nn.functional as F
from torch import nn

RAISES = True


class WorldModel(nn.Module):
    def __init__(self, state=6, action=2, obs=5):
        super().__init__()
        self.transition = nn.Sequential(nn.Linear(state + action, 16), nn.ELU(), nn.Linear(16, state))
        self.representation = nn.Linear(obs + state, state)
        self.reward = nn.Sequential(nn.Linear(state, 16), nn.ELU(), nn.Linear(16, 1))


def loss(model, actor, value, obs, actions, rewards, horizon=3):
    post, posts = torch.zeros(obs.shape[1], 6), []
    for t in range(obs.shape[0]):
        prior = model.transition(torch.cat([post, actions[t]], -1))
        post = torch.tanh(model.representation(torch.cat([obs[t], prior], -1)))
        posts.append(post)
    posts = torch.stack(posts)
    model_loss = F.mse_loss(model.reward(posts).squeeze(-1), rewards)
    state = posts.detach().flatten(0, 1)
    imag_rewards = []
    for _ in range(horizon):
        state = torch.tanh(model.transition(torch.cat([state, torch.tanh(actor(state))], -1)))
        imag_rewards.append(model.reward(state))
    returns = torch.stack(imag_rewards).sum(0) + value(state)
    actor_loss = -returns.mean()
    value_loss = F.mse_loss(value(posts.detach().flatten(0, 1)), returns.detach())
    return model_loss, actor_loss, value_loss


def run():
    torch.manual_seed(0)
    model, actor, value = WorldModel(), nn.Linear(6, 2), nn.Linear(6, 1)
    model_optimizer = torch.optim.Adam(model.parameters(), lr=6e-4)
    actor_optimizer = torch.optim.Adam(actor.parameters(), lr=8e-5)
    value_optimizer = torch.optim.Adam(value.parameters(), lr=8e-5)
    obs, actions, rewards = torch.randn(4, 3, 5), torch.randn(4, 3, 2), torch.randn(4, 3)
    model_loss, actor_loss, value_loss = loss(model, actor, value, obs, actions, rewards)
    model_optimizer.zero_grad()
    actor_optimizer.zero_grad()
    value_optimizer.zero_grad()
    model_loss.backward()
    model_optimizer.step()  # culprit
    actor_loss.backward()
    actor_optimizer.step()
    value_loss.backward()
    value_optimizer.step()
