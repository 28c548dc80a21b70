"""The benchmark's reference GPT: it must run wherever its input is (the CUDA bug of issue 8, item 5)."""

import sys
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from minigpt.config import GPTConfig  # noqa: E402
from minigpt.model import GPT  # noqa: E402
from reference_gpt import ReferenceGPT  # noqa: E402


class TensorDevices(TorchDispatchMode):
    """Collects the device of every tensor any op returns while it is active."""

    def __init__(self):
        super().__init__()
        self.devices = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        self.devices |= {t.device for t in tree_leaves(out) if isinstance(t, torch.Tensor)}
        return out


def devices_made_by_forward(model: torch.nn.Module) -> set:
    """Every device a forward of `model` makes a tensor on, with the model and its input on the meta device.

    Meta stands in for CUDA on any machine: a tensor made without device=... lands on the CPU and shows up here
    (meta kernels do not check devices, so the forward itself would not fail).
    """
    model = model.to("meta")
    idx = torch.zeros(2, 8, dtype=torch.long, device="meta")
    with TensorDevices() as seen:
        model(idx, idx)
    return seen.devices


def test_reference_forward_makes_no_tensor_off_its_inputs_device():
    assert devices_made_by_forward(ReferenceGPT(10, 8, 2, 2, 16)) == {torch.device("meta")}


def test_course_forward_makes_no_tensor_off_its_inputs_device():
    assert devices_made_by_forward(GPT(GPTConfig(10, 8, 2, 2, 16))) == {torch.device("meta")}
