import torch
from torch.overrides import TorchFunctionMode

from minigpt.block import Block


class InplaceCalls(TorchFunctionMode):
    """Records every in-place tensor call (name ends in one underscore, or +=, *=, ...) of a forward."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if (name.endswith("_") and not name.endswith("__")) or name in ("__iadd__", "__isub__", "__imul__", "__itruediv__"):
            self.calls.append(name)
        return func(*args, **(kwargs or {}))


torch.manual_seed(0)
for inplace in (False, True):
    block = Block(n_embd=8, n_head=2, block_size=4, inplace=inplace)
    with InplaceCalls() as tracer:
        block(torch.randn(2, 4, 8, requires_grad=True).clone())
    print(f"inplace={inplace}: in-place calls in the forward: {tracer.calls}")
