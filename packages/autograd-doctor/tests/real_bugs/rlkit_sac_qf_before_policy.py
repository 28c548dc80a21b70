"""SAC with the Q-functions stepped before the policy: policy_loss was computed through qf1 and qf2, whose
weights the two Q steps then changed in place.

Source: https://github.com/rail-berkeley/rlkit/pull/109  "Optimize actor before the critic"
The contributor: "the weights of the critic would have been changed when back propagating the gradients for the
actor. The latter will create an error in pytorch 1.5.0"; a second user hit the same error. Reproduced with
SACTrainer.train_from_torch's computation (tanh-Gaussian policy, twin Q, auto-entropy alpha) in the old order:
alpha, qf1, qf2 stepped, then the policy.
"""

import torch
from torch import nn

RAISES = True


class TanhGaussianPolicy(nn.Module):
    def __init__(self, obs_dim, action_dim):
        super().__init__()
        self.fc, self.mean, self.log_std = nn.Linear(obs_dim, 16), nn.Linear(16, action_dim), nn.Linear(16, action_dim)

    def forward(self, obs):
        h = torch.relu(self.fc(obs))
        mean, std = self.mean(h), self.log_std(h).clamp(-20, 2).exp()
        pre_tanh = mean + std * torch.randn_like(mean)
        action = torch.tanh(pre_tanh)
        log_pi = (-0.5 * ((pre_tanh - mean) / std) ** 2 - std.log() - torch.log1p(-action ** 2 + 1e-6)).sum(-1, True)
        return action, log_pi


def mlp(i):
    return nn.Sequential(nn.Linear(i, 16), nn.ReLU(), nn.Linear(16, 1))


def run():
    torch.manual_seed(0)
    obs_dim, action_dim, batch = 5, 2, 8
    policy = TanhGaussianPolicy(obs_dim, action_dim)
    qf1, qf2 = mlp(obs_dim + action_dim), mlp(obs_dim + action_dim)
    target_qf1, target_qf2 = mlp(obs_dim + action_dim), mlp(obs_dim + action_dim)
    log_alpha = torch.zeros(1, requires_grad=True)
    policy_optimizer = torch.optim.Adam(policy.parameters(), lr=3e-4)
    qf1_optimizer = torch.optim.Adam(qf1.parameters(), lr=3e-4)
    qf2_optimizer = torch.optim.Adam(qf2.parameters(), lr=3e-4)
    alpha_optimizer = torch.optim.Adam([log_alpha], lr=3e-4)
    obs, actions = torch.randn(batch, obs_dim), torch.rand(batch, action_dim) * 2 - 1
    rewards, terminals, next_obs = torch.randn(batch, 1), torch.zeros(batch, 1), torch.randn(batch, obs_dim)

    new_obs_actions, log_pi = policy(obs)
    alpha_loss = -(log_alpha * (log_pi + -action_dim).detach()).mean()
    alpha = log_alpha.exp()
    q_new_actions = torch.min(qf1(torch.cat([obs, new_obs_actions], 1)), qf2(torch.cat([obs, new_obs_actions], 1)))
    policy_loss = (alpha * log_pi - q_new_actions).mean()

    q1_pred = qf1(torch.cat([obs, actions], 1))
    q2_pred = qf2(torch.cat([obs, actions], 1))
    new_next_actions, new_log_pi = policy(next_obs)
    target_q_values = torch.min(target_qf1(torch.cat([next_obs, new_next_actions], 1)),
                                target_qf2(torch.cat([next_obs, new_next_actions], 1))) - alpha * new_log_pi
    q_target = rewards + (1. - terminals) * 0.99 * target_q_values
    qf1_loss = ((q1_pred - q_target.detach()) ** 2).mean()
    qf2_loss = ((q2_pred - q_target.detach()) ** 2).mean()

    alpha_optimizer.zero_grad()
    alpha_loss.backward()
    alpha_optimizer.step()
    qf1_optimizer.zero_grad()
    qf1_loss.backward()
    qf1_optimizer.step()  # culprit
    qf2_optimizer.zero_grad()
    qf2_loss.backward()
    qf2_optimizer.step()  # culprit
    policy_optimizer.zero_grad()
    policy_loss.backward()
    policy_optimizer.step()
