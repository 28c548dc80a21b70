"""The in-place tracer: which op changed a tensor of the autograd graph, and which line of ours called it.

PyTorch's error names the node whose backward failed, never the line that mutated its saved tensor.
A TorchFunctionMode sees every torch call at the Python level, before autograd and the kernels, so it
can read each argument's version counter before and after the call: a version that moved means the
call mutated that tensor in place, whatever it is spelled as (`add_`, `+=`, `x[i] = v`, `inplace=True`).
"""

import contextlib
import functools
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

import torch
from torch.overrides import TorchFunctionMode

TORCH_DIRS = tuple({str(Path(torch.__file__).parent) + os.sep, str(Path(torch.__file__).resolve().parent) + os.sep})


@dataclass(eq=False)  # two events are the same only if they are the same op run
class InplaceEvent:
    """One in-place op on a tensor that requires grad (or on a `.data` alias of one)."""

    op: str  # "add_", "relu(inplace=True)", "__setitem__", "data.add_"
    shape: tuple[int, ...]
    version_before: int
    version_after: int
    site: str  # the first frame outside torch that made the call, "src/minigpt/block.py:24"
    # Whether autograd recorded the op (grad mode on, and the tensor has history): False for optimizer steps,
    # nn.init and anything under no_grad / inference_mode, which stay outside the graph (safe context).
    in_graph: bool
    via_data: bool = False  # through `.data`: its own version counter, invisible to autograd
    # Sequence number of the newest autograd node when the op ran (its own node, when autograd recorded
    # it): nodes with a number up to this one existed before the op, so anything they saved predates it.
    newest_node_nr: Optional[int] = None
    # Held so the storage cannot be freed and its address reused: a join by address stays sound.
    storage: Optional[torch.UntypedStorage] = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        return f"{self.op} at {self.site}"

    def shares_storage_with(self, tensor: torch.Tensor) -> bool:
        """Whether `tensor` lives in the storage this op mutated (a view of it counts)."""
        other = tensor.untyped_storage()
        return other.nbytes() > 0 and other.data_ptr() == self.storage.data_ptr()


class InplaceTracer(TorchFunctionMode):
    """Records an InplaceEvent for every torch call that moved a watched tensor's version counter."""

    def __init__(self):
        super().__init__()
        self.events: list[InplaceEvent] = []
        self.data_aliases: dict[int, torch.Tensor] = {}  # id -> `.data` of a tensor that requires grad
        self.newest_node_nr: Optional[int] = None

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        watched = [(t, t._version) for t in tensors_in(args, kwargs) if self.is_watched(t)]
        result = func(*args, **kwargs)
        self.note_newest_node(result)
        if is_data_getter(func) and args and isinstance(args[0], torch.Tensor) and args[0].requires_grad:
            self.data_aliases[id(result)] = result  # kept alive, so its id is not reused
        for tensor, before in watched:
            if tensor._version != before:
                via_data = id(tensor) in self.data_aliases
                self.note_newest_node(tensor)
                self.events.append(InplaceEvent(
                    op=("data." if via_data else "") + op_name(func, kwargs), shape=tuple(tensor.shape),
                    version_before=before, version_after=tensor._version, site=caller_site(),
                    in_graph=torch.is_grad_enabled() and not via_data and tensor.grad_fn is not None,
                    via_data=via_data,
                    newest_node_nr=self.newest_node_nr,
                    storage=tensor.untyped_storage()))
        return result

    def note_newest_node(self, result) -> None:
        """Remember the sequence number of the newest node among a call's outputs."""
        first = result[0] if isinstance(result, (list, tuple)) and result else result
        if isinstance(first, torch.Tensor) and first.grad_fn is not None:
            self.newest_node_nr = max(self.newest_node_nr or 0, first.grad_fn._sequence_nr())

    def is_watched(self, tensor: torch.Tensor) -> bool:
        # inference tensors have no version counter; everything else that autograd could see is watched
        return not tensor.is_inference() and (tensor.requires_grad or id(tensor) in self.data_aliases)


@contextlib.contextmanager
def trace_inplace() -> Iterator[list[InplaceEvent]]:
    """`with trace_inplace() as events:` records every in-place op on a graph tensor run inside."""
    tracer = InplaceTracer()
    with tracer:
        yield tracer.events


def tensors_in(args, kwargs) -> Iterator[torch.Tensor]:
    """Every tensor among the arguments, inside lists and tuples too (the foreach ops take lists)."""
    for value in [*args, *kwargs.values()]:
        if isinstance(value, torch.Tensor):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from (v for v in value if isinstance(v, torch.Tensor))


def is_data_getter(func) -> bool:
    """The `Tensor.data` property read, which torch routes through the function mode too."""
    return getattr(func, "__name__", "") == "__get__" and getattr(func.__self__, "__name__", "") == "data"


def op_name(func, kwargs: dict) -> str:
    """The name a reader recognises: the method, plus the keyword that made a functional call in place."""
    name = getattr(func, "__name__", str(func))
    if kwargs.get("inplace"):
        return f"{name}(inplace=True)"
    if "out" in kwargs:
        return f"{name}(out=...)"
    return name


def caller_site() -> str:
    """file:line of the innermost frame outside torch and this file, relative to the working dir."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not (filename == __file__ or filename.startswith(TORCH_DIRS) or filename.startswith("<frozen")):
            return f"{relative(filename)}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


def relative(filename: str) -> str:
    """A path relative to the working directory when it is under it, else as given."""
    return relative_to(filename, os.getcwd())


@functools.cache  # every node's traceback repeats the same few files: resolve each once, not per frame
def relative_to(filename: str, directory: str) -> str:
    try:
        return str(Path(filename).resolve().relative_to(directory))
    except ValueError:
        return filename
