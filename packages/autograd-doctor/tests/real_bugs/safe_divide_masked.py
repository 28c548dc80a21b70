"""A `safe_divide` helper clamps its arguments away from zero with boolean-mask writes into them; the numerator is
a sigmoid output its producer saved, so the writes clobber a saved tensor (twice: "at version 2; expected 0").

Source: https://github.com/zju3dv/RelightableAvatar/issues/3  "BUG in safe_divide"
The reporter's error: "[684918, 3]], which is output 0 of IndexPutBackward0, is at version 2; expected version 0";
the writes `a[(a < eps) & (a >= 0)] = eps` and `a[(a > -eps) & (a <= 0)] = -eps` (and the same for b), fixed
with torch.where. The caller here is ours (the thread does not show it): a sigmoid output divided by a shifted
ReLU output, so only the writes into `a` clobber a save; the writes into `b` are harmless.
"""

import torch

RAISES = True


def safe_divide(a, b, eps=1e-8):
    a[(a < eps) & (a >= 0)] = eps  # culprit
    a[(a > -eps) & (a <= 0)] = -eps  # culprit
    b[(b < eps) & (b >= 0)] = eps
    b[(b > -eps) & (b <= 0)] = -eps
    return a / b


def run():
    torch.manual_seed(0)
    raw = torch.randn(16, 3, requires_grad=True)
    raw2 = torch.randn(16, 3, requires_grad=True)
    numerator = torch.sigmoid(raw)
    denominator = torch.relu(raw2) + 0.1
    safe_divide(numerator, denominator).sum().backward()
