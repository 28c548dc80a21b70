"""The SinGAN generator loop of singan_generator_steps.py with fused=True Adam: silent in plain PyTorch.

Source: https://github.com/tamarott/SinGAN/issues/148 (see singan_generator_steps.py). The report used the
default Adam; here both optimizers are `fused=True`. The fused step writes netG's weights without bumping their
version counters (torch 2.13 CPU), so the second `errG.backward()` differentiates through the new weights with no
error. Under explain() the doctor bumps those versions, and PyTorch's own check raises.
"""

import torch
from torch import nn

RAISES = False


def conv_net(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, 8, 3, padding=1), nn.LeakyReLU(0.2), nn.Conv2d(8, cout, 3, padding=1))


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = conv_net(3, 3)

    def forward(self, noise, prev):
        return torch.tanh(self.body(noise + prev)) + prev


def run():
    torch.manual_seed(0)
    netG, netD = Generator(), conv_net(3, 1)
    optimizerD = torch.optim.Adam(netD.parameters(), lr=5e-4, betas=(0.5, 0.999), fused=True)
    optimizerG = torch.optim.Adam(netG.parameters(), lr=5e-4, betas=(0.5, 0.999), fused=True)
    real = torch.randn(1, 3, 8, 8)
    prev, z_opt = torch.zeros_like(real), torch.randn_like(real)
    alpha, Dsteps, Gsteps = 10, 2, 3
    for j in range(Dsteps):  # noqa: B007 - as the source wrote it
        netD.zero_grad()
        errD_real = -netD(real).mean()
        errD_real.backward(retain_graph=True)
        noise = torch.randn_like(real)
        fake = netG(noise.detach(), prev)
        errD_fake = netD(fake.detach()).mean()
        errD_fake.backward(retain_graph=True)
        optimizerD.step()
    for j in range(Gsteps):  # noqa: B007 - as the source wrote it
        netG.zero_grad()
        output = netD(fake)
        errG = -output.mean()
        errG.backward(retain_graph=True)
        rec_loss = alpha * nn.functional.mse_loss(netG(z_opt.detach(), prev), real)
        rec_loss.backward(retain_graph=True)
        optimizerG.step()  # culprit
