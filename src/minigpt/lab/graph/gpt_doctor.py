"""The graph doctor on the course's GPT: one forward under `autograd_doctor`, and where a block sits in it."""

from typing import Optional

import torch

from autograd_doctor import DoctorReport, Region, diagnose_forward, saved_tensors_context


def diagnose_model(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, saved_tensors: str = "default",
                   block: int = 0) -> tuple[DoctorReport, Optional[Region]]:
    """One forward of our GPT on (x, y) under the doctor, and where block `block` sits in its graph."""
    grad_fns = {}

    def note_input(module, args) -> None:  # a pre-hook that returned a value would replace the input
        grad_fns["input"] = args[0].grad_fn

    def note_output(module, args, output) -> None:
        grad_fns["output"] = output.grad_fn

    handles = [model.blocks[block].register_forward_pre_hook(note_input),
               model.blocks[block].register_forward_hook(note_output)]
    try:
        with saved_tensors_context(saved_tensors):
            report = diagnose_forward(lambda: model(x, y)[1], dict(model.named_parameters()))
    finally:
        for handle in handles:
            handle.remove()
    index = {n.fn: n.index for n in report.nodes}
    output = grad_fns.get("output")
    if output not in index or output is grad_fns.get("input"):  # through .data: the block left no node
        return report, None
    return report, Region(index[grad_fns["output"]],
                               [index[grad_fns["input"]]] if grad_fns.get("input") in index else [])
