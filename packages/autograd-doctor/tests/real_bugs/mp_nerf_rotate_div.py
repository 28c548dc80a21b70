"""NeRF-style chain building normalizes a stacked rotation matrix in place by its own norm, which saved it.

Source: https://github.com/EleutherAI/mp_nerf/pull/6  "Replace inplace division"
The PR says: "Inplace division causes an error during gradient computation." The PR text does not quote the
line; the in-place division in mp_nerf's `mp_nerf_torch` is the rotation normalization
`rotate /= torch.norm(rotate, dim=-2, keepdim=True)`, reproduced here with that function (as we recall it from the
library, not from the thread) placing atoms from three previous ones, with coordinates that require grad.
"""

import torch

RAISES = True


def mp_nerf_torch(a, b, c, l, theta, chi):  # noqa: E741 - mp_nerf's names
    ba = b - a
    cb = c - b
    n_plane = torch.cross(ba, cb, dim=-1)
    n_plane_ = torch.cross(n_plane, cb, dim=-1)
    rotate = torch.stack([cb, n_plane_, n_plane], dim=-1)
    rotate /= torch.norm(rotate, dim=-2, keepdim=True)  # culprit
    d = torch.stack([-torch.cos(theta),
                     torch.sin(theta) * torch.cos(chi),
                     torch.sin(theta) * torch.sin(chi)], dim=-1).unsqueeze(-1)
    return c + l.unsqueeze(-1) * torch.matmul(rotate, d).squeeze()


def run():
    torch.manual_seed(0)
    coords = torch.randn(3, 6, 3, requires_grad=True)
    a, b, c = coords.unbind(0)
    l = torch.full((6,), 1.5)  # noqa: E741
    theta = torch.full((6,), 1.9, requires_grad=True)
    chi = torch.randn(6, requires_grad=True)
    mp_nerf_torch(a, b, c, l, theta, chi).pow(2).sum().backward()
