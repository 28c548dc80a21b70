"""A slice of a sigmoid's output is overwritten; sigmoid saved its output for backward.

Source: https://github.com/pytorch/pytorch/issues/9391
  "backward pass different behaviors with inplace operation"
The reporter writes `b[1] = 2` into `b = a.sigmoid()` and gets the error, while the same values computed by hand
as 1/(exp(-a)+1) do not raise (that division saves nothing the write touches). Reproduced as written.
"""

import torch

RAISES = True


def run():
    torch.manual_seed(0)
    a = torch.tensor([1, 2, 3.], requires_grad=True)
    b = a.sigmoid()
    b[1] = 2  # culprit
    b.sum().backward()
