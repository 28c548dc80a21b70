"""The in-place tracer: which op changed a tensor, and which line of ours called it.

PyTorch's error names the node whose backward failed, never the line that mutated its saved tensor.
A TorchFunctionMode sees every torch call at the Python level, before autograd and the kernels, so it
can read each argument's version counter before and after the call: a version that moved means the
call mutated that tensor in place, whatever it is spelled as (`add_`, `+=`, `x[i] = v`, `inplace=True`).
Every tensor is watched, not only those that require grad: `h.detach()`, a data batch or an index tensor
share or are the memory a node saved. Events are indexed by storage, so a join costs one lookup.
"""

import bisect
import contextlib
import functools
import os
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

import torch
from torch.overrides import TorchFunctionMode

from autograd_doctor._torch_internals import next_sequence_nr, version

TORCH_DIRS = tuple({str(Path(torch.__file__).parent) + os.sep, str(Path(torch.__file__).resolve().parent) + os.sep})
PACKAGE_DIR = str(Path(__file__).resolve().parent) + os.sep
NOT_OURS = (*TORCH_DIRS, PACKAGE_DIR, sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"], "<frozen")
STACK_DEPTH = 6  # project frames kept per node: the innermost few say where a node came from


@dataclass(eq=False)  # two events are the same only if they are the same op run
class InplaceEvent:
    """One in-place op on a tensor (or on a `.data` alias of one)."""

    op: str  # "add_", "relu(inplace=True)", "__setitem__", "data.add_"
    shape: tuple[int, ...]
    version_before: int
    version_after: int
    site: str  # the first frame outside torch that made the call, "src/minigpt/block.py:24"
    # Whether autograd recorded the op (grad mode on, and the tensor has history): False for optimizer steps,
    # nn.init, anything under no_grad / inference_mode, and writes to tensors with no history.
    in_graph: bool
    via_data: bool = False  # through `.data`: its own version counter, invisible to autograd
    # The newest node's sequence number before the op ran: nodes numbered up to it predate the op.
    newest_node_nr: Optional[int] = None
    # Held so the storage cannot be freed and its address reused: a join by address stays sound.
    # None for tensors with no storage (sparse COO): such events join nothing.
    storage: Optional[torch.UntypedStorage] = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        return f"{self.op} at {self.site}"


def storage_of(tensor: torch.Tensor) -> Optional[torch.UntypedStorage]:
    """The tensor's storage, or None when it has none worth joining on (sparse, meta, empty, subclasses)."""
    if tensor.layout != torch.strided:
        return None
    try:
        storage = tensor.untyped_storage()
    except (NotImplementedError, RuntimeError):
        return None
    return storage if storage.nbytes() and storage.data_ptr() else None


def storage_key(tensor: torch.Tensor) -> Optional[int]:
    """The address events are indexed by: the storage's data pointer (views share it), computed from the
    tensor's own pointer so a lookup allocates no storage object."""
    if tensor.layout != torch.strided:
        return None
    try:
        key = tensor.data_ptr() - tensor.storage_offset() * tensor.element_size()
    except (NotImplementedError, RuntimeError):
        return None
    return key or None


def index_by_storage(events: list[InplaceEvent]) -> dict[int, list[InplaceEvent]]:
    """Events grouped by the storage they mutated, each group in the order the ops ran."""
    index: dict[int, list[InplaceEvent]] = {}
    for event in events:
        if event.storage is not None:
            index.setdefault(event.storage.data_ptr(), []).append(event)
    return index


class CreationSites:
    """Which traced call created which autograd node: sequence-number intervals, each with its project frames."""

    def __init__(self):
        self.starts: list[int] = []  # first sequence number of each call that created nodes
        self.ends: list[int] = []  # one past its last
        self.stacks: list[list[str]] = []  # its project frames, outermost first

    def add(self, start: int, end: int, stack: list[str]) -> None:
        self.starts.append(start)
        self.ends.append(end)
        self.stacks.append(stack)

    def stack_of(self, node_nr: int) -> list[str]:
        """The project frames of the call that created node number `node_nr`; [] when no traced call did."""
        k = bisect.bisect_right(self.starts, node_nr) - 1
        return self.stacks[k] if k >= 0 and node_nr < self.ends[k] else []


class InplaceTracer(TorchFunctionMode):
    """Records an InplaceEvent for every torch call that moved an argument's version counter, and, with
    `sites`, the project frames of every call that created autograd nodes (what anomaly mode gives, cheaper)."""

    def __init__(self, sites: bool = False):
        super().__init__()
        self.events: list[InplaceEvent] = []
        self.data_aliases: dict[int, torch.Tensor] = {}  # id -> `.data` of a tensor that requires grad
        self.sites = CreationSites() if sites else None

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if torch.compiler.is_compiling():  # dynamo tracing a compiled function through us: stay out of its graph
            return func(*args, **kwargs)
        watched = [(t, version(t)) for t in tensors_in(args, kwargs) if not t.is_inference()]
        first_nr = next_sequence_nr()
        result = func(*args, **kwargs)
        if self.sites is not None and next_sequence_nr() != first_nr:
            self.sites.add(first_nr, next_sequence_nr(), project_stack())
        if is_data_getter(func) and args and isinstance(args[0], torch.Tensor) and args[0].requires_grad:
            self.data_aliases[id(result)] = result  # kept alive, so its id is not reused
        for tensor, before in watched:
            if version(tensor) != before:
                self.record(func, kwargs, tensor, before, first_nr - 1)
        return result

    def record(self, func, kwargs: dict, tensor: torch.Tensor, before: int, newest_node_nr: int) -> None:
        via_data = id(tensor) in self.data_aliases
        self.events.append(InplaceEvent(
            op=("data." if via_data else "") + op_name(func, kwargs), shape=tuple(tensor.shape),
            version_before=before, version_after=version(tensor), site=caller_site(),
            in_graph=torch.is_grad_enabled() and not via_data and tensor.grad_fn is not None,
            via_data=via_data, newest_node_nr=newest_node_nr, storage=storage_of(tensor)))


@contextlib.contextmanager
def trace_inplace() -> Iterator[list[InplaceEvent]]:
    """`with trace_inplace() as events:` records every in-place op on a tensor run inside."""
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
    """file:line of the innermost frame outside torch and this package, relative to the working dir."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith((*TORCH_DIRS, PACKAGE_DIR, "<frozen")):
            return f"{relative(filename)}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


def project_stack() -> list[str]:
    """The innermost STACK_DEPTH frames that are ours (not torch, stdlib, site-packages), outermost first."""
    frames, frame, cwd = [], sys._getframe(1), os.getcwd()
    while frame is not None and len(frames) < STACK_DEPTH:
        if is_ours(frame.f_code.co_filename):
            site = f"{relative_to(frame.f_code.co_filename, cwd)}:{frame.f_lineno}"
            if not frames or frames[-1] != site:  # a generator expression repeats its line's frame
                frames.append(site)
        frame = frame.f_back
    return frames[::-1]


@functools.cache
def is_ours(filename: str) -> bool:
    return not filename.startswith(NOT_OURS)


def relative(filename: str) -> str:
    """A path relative to the working directory when it is under it, else as given."""
    return relative_to(filename, os.getcwd())


@functools.cache  # every node's traceback repeats the same few files: resolve each once, not per frame
def relative_to(filename: str, directory: str) -> str:
    try:
        return str(Path(filename).resolve().relative_to(directory))
    except ValueError:
        return filename
