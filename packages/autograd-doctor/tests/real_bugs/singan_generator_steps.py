"""SinGAN's generator loop reuses `fake`, made once by netG before the loop, for every G step: the second
errG.backward() goes through netG weights that optimizerG.step() changed in place.

Source: https://github.com/tamarott/SinGAN/issues/148
  "Possible one-line solution for Runtime error (variables modified in-place)"
The reporter describes train_single_scale(): the D loop ends with `fake = netG(noise.detach(), prev)`; the G loop
runs `output = netD(fake); errG = -output.mean(); errG.backward(retain_graph=True)`, the reconstruction loss,
and `optimizerG.step()`, Gsteps times; the second pass fails. Reproduced with that loop (Gsteps=3), tiny convs.
"""

import torch
from torch import nn

RAISES = True


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
    optimizerD = torch.optim.Adam(netD.parameters(), lr=5e-4, betas=(0.5, 0.999))
    optimizerG = torch.optim.Adam(netG.parameters(), lr=5e-4, betas=(0.5, 0.999))
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
