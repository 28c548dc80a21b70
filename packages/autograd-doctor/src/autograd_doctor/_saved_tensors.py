"""Saved-tensor modes and PyTorch's version-check wording: the small vocabulary the doctor and the course share."""

import contextlib

import torch

VERSION_ERROR = "modified by an inplace operation"  # what PyTorch's version-check error says
SAVED_TENSOR_MODES = ("default", "save_on_cpu", "allow_mutation")


def saved_tensors_context(mode: str = "default") -> contextlib.AbstractContextManager[object]:
    """The context a forward and backward run under: autograd's default saving, save_on_cpu() or
    allow_mutation_on_saved_tensors(); ValueError for any other mode."""
    mode = getattr(mode, "value", mode)  # an Enum member of the same name is accepted too
    if mode == "save_on_cpu":
        return torch.autograd.graph.save_on_cpu()
    if mode == "allow_mutation":
        return torch.autograd.graph.allow_mutation_on_saved_tensors()
    if mode == "default":
        return contextlib.nullcontext()
    raise ValueError(f"unknown saved-tensor mode '{mode}'; allowed: {', '.join(SAVED_TENSOR_MODES)}")


def is_version_error(error: BaseException) -> bool:
    """Whether an exception is PyTorch's version-check error (a saved tensor modified in place)."""
    return isinstance(error, RuntimeError) and VERSION_ERROR in str(error)
