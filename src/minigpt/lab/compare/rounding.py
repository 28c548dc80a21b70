"""What float32 rounding can explain: the one bound the lab uses to tell "the same maths" from "different".

Each entry of a weight's gradient is a float32 sum over the B*T token positions
of a step; rounding errors in such a sum grow like sqrt(n) * eps for n terms (eps = 2**-23, one
float32 ulp at 1.0), and a backward pass chains a few of these sums, so we allow
ROUNDING_ULPS * eps * sqrt(B*T): 4 * 1.19e-7 * sqrt(64*12) = 1.3e-5 at the default config. The
tests check it against a run that differs only in float32 rounding (ln=manual, the same LayerNorm
maths with a hand-written backward): every gradient lands within the bound, and not all identical.
The break matrix uses the same bound for its whole-model relative error: "safe" means within it.
"""

import math

import numpy as np

FLOAT32_EPS = float(np.finfo(np.float32).eps)  # 2**-23
ROUNDING_ULPS = 4  # headroom for the several chained float32 sums of one backward pass


def rounding_bound(tokens_per_step: int) -> float:
    """The largest relative error float32 rounding explains for gradients summed over B*T tokens."""
    return ROUNDING_ULPS * FLOAT32_EPS * math.sqrt(tokens_per_step)
