"""FactorVAE: the discriminator's loss reuses D(z) from the VAE step, after optim_VAE.step() changed the encoder
weights that graph saved.

Source: https://github.com/1Konny/FactorVAE/issues/15  "Inplace problem when calling D_tc_loss.backward()"
The reporter runs `vae_loss.backward(retain_graph=True); optim_VAE.step()`, then builds
`D_tc_loss = 0.5*(F.cross_entropy(D_z, zeros) + F.cross_entropy(D_z_pperm, ones))` with D_z from the VAE stage
and calls `D_tc_loss.backward()`: "[4096, 6]], which is output 0 of TBackward, is at version 2; expected version 1".
A commenter: the VAE optimizer performs a step before the discriminator's backward. Reproduced with the solver's
loop order (MLP encoder/decoder/discriminator, tiny sizes).
"""

import torch
import torch.nn.functional as F
from torch import nn

RAISES = True


class VAE(nn.Module):
    def __init__(self, z_dim=3):
        super().__init__()
        self.z_dim = z_dim
        self.encode = nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 2 * z_dim))
        self.decode = nn.Sequential(nn.Linear(z_dim, 16), nn.ReLU(), nn.Linear(16, 12))

    def forward(self, x, no_dec=False):
        stats = self.encode(x)
        mu, logvar = stats[:, :self.z_dim], stats[:, self.z_dim:]
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        if no_dec:
            return z.squeeze()
        return self.decode(z), mu, logvar, z.squeeze()


def permute_dims(z):
    B, d = z.size()
    return torch.stack([z[torch.randperm(B), j] for j in range(d)], 1)


def run():
    torch.manual_seed(0)
    vae, D = VAE(), nn.Sequential(nn.Linear(3, 16), nn.LeakyReLU(0.2), nn.Linear(16, 2))
    optim_VAE = torch.optim.Adam(vae.parameters(), lr=1e-4)
    optim_D = torch.optim.Adam(D.parameters(), lr=1e-4)
    ones, zeros = torch.ones(8, dtype=torch.long), torch.zeros(8, dtype=torch.long)
    gamma = 6.4
    for _ in range(2):
        x_true1, x_true2 = torch.randn(8, 12), torch.randn(8, 12)
        x_recon, mu, logvar, z = vae(x_true1)
        vae_recon_loss = F.mse_loss(x_recon, x_true1)
        vae_kld = (-0.5 * (1 + logvar - mu ** 2 - logvar.exp())).sum(1).mean()
        D_z = D(z)
        vae_tc_loss = (D_z[:, :1] - D_z[:, 1:]).mean()
        vae_loss = vae_recon_loss + vae_kld + gamma * vae_tc_loss
        optim_VAE.zero_grad()
        vae_loss.backward(retain_graph=True)
        optim_VAE.step()  # culprit
        z_prime = vae(x_true2, no_dec=True)
        z_pperm = permute_dims(z_prime).detach()
        D_z_pperm = D(z_pperm)
        D_tc_loss = 0.5 * (F.cross_entropy(D_z, zeros) + F.cross_entropy(D_z_pperm, ones))
        optim_D.zero_grad()
        D_tc_loss.backward()
        optim_D.step()
