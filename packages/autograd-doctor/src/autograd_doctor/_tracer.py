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
import os
import sys
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import FrameType
from typing import Any

import torch
from torch import Tensor
from torch.overrides import TorchFunctionMode

from autograd_doctor._events import EventLog, InplaceEvent, liveness, storage_key
from autograd_doctor._modules import WATCH
from autograd_doctor._sites import call_sites, is_ours, site_text
from autograd_doctor._torch_internals import next_sequence_nr, version

DATA_GETTER = torch.Tensor.data.__get__  # type: ignore[attr-defined]  # reading `.data` reaches the mode as this
# Calls that only read a tensor's metadata: they change no version counter and make no node, and a model makes
# many (shape checks, sizes for a view), so the tracer passes them straight through.
READS_METADATA: frozenset[Callable[..., Any]] = frozenset({
    *(getattr(torch.Tensor, name).__get__ for name in (
        "shape", "dtype", "device", "requires_grad", "grad_fn", "is_leaf", "ndim", "layout", "grad", "is_cuda",
        "is_sparse", "is_quantized", "is_meta", "is_nested", "output_nr", "_version")),
    *(getattr(torch.Tensor, name) for name in (
        "size", "dim", "stride", "numel", "nelement", "element_size", "is_floating_point", "is_complex",
        "is_contiguous", "storage_offset", "data_ptr", "get_device", "is_inference", "__len__", "item", "tolist",
        "untyped_storage", "is_set_to")),
})
is_compiling = torch.compiler.is_compiling
STACK_DEPTH = 6  # project frames kept per node: the innermost few say where a node came from


class TracerState:
    """What every tracer shares: optimizer steps record their own events (the step's kernels, which run under
    no_grad, are not traced one by one; an LBFGS closure, with grad on, is), and ops run inside a backward are said
    to be. A step that raised leaves `in_step` set until the next step or explain() starts; inside explain() a step
    with no closure runs outside the mode altogether (see _steps)."""

    in_step = 0
    backward_site: str | None = None


STATE = TracerState()


class CreationSites:
    """Which traced call created which autograd node: sequence-number intervals, each with its project frames and
    the module that was running. With `keep`, only the newest `keep` calls (a long run under explain())."""

    def __init__(self, keep: int | None = None):
        self.starts: list[int] = []  # first sequence number of each call that created nodes
        # per call: one past its last node, the (file, line) of its project frames, the module running then
        self.calls: list[tuple[int, list[tuple[str, int]] | tuple[str, int], weakref.ref[torch.nn.Module] | None]] = []
        self.keep = keep

    def add(self, start: int, end: int, stack: list[tuple[str, int]] | tuple[str, int],
            module: weakref.ref[torch.nn.Module] | None = None) -> None:
        """Note a call that created nodes start..end-1."""
        self.starts.append(start)
        self.calls.append((end, stack, module))
        if self.keep is not None and len(self.starts) > 2 * self.keep:
            self.trim()

    def trim(self) -> None:
        """Keep the newest `keep` calls."""
        del self.starts[:-self.keep], self.calls[:-self.keep]  # type: ignore[operator]  # only called with keep set

    def index_of(self, node_nr: int) -> int | None:
        k = bisect.bisect_right(self.starts, node_nr) - 1
        return k if k >= 0 and node_nr < self.calls[k][0] else None

    def stack_of(self, node_nr: int) -> list[str]:
        """The project frames of the call that created node number `node_nr`; [] when no traced call did."""
        k = self.index_of(node_nr)
        if k is None:
            return []
        stack, cwd = self.calls[k][1], os.getcwd()
        return [site_text(*stack, cwd)] if isinstance(stack, tuple) else [site_text(*site, cwd) for site in stack]

    def module_of(self, node_nr: int) -> torch.nn.Module | None:
        """The module that was running when node number `node_nr` was created, if still alive."""
        k = self.index_of(node_nr)
        ref = self.calls[k][2] if k is not None else None
        return ref() if ref is not None else None


class InplaceTracer(TorchFunctionMode):
    """Records an InplaceEvent for every torch call that moved an argument's version counter, and, with
    `sites`, the project frames of every call that created autograd nodes (what anomaly mode gives, cheaper)."""

    steps_record_themselves = False  # explain(): an optimizer step is one event per parameter, not its kernels

    def __init__(self, sites: bool = False, log: EventLog | None = None):
        super().__init__()
        # What a node's creation site keeps: the innermost user frames (explain(): the one frame, unformatted).
        self.stack_of_call: Callable[[], list[tuple[str, int]] | tuple[str, int]] = project_stack
        self.log = EventLog() if log is None else log  # for joins: by storage
        self.events: list[InplaceEvent] = []  # with a log of its own: every event, in the order they ran
        self.keep_list = log is None
        self.data_aliases: weakref.WeakValueDictionary[int, torch.Tensor] = weakref.WeakValueDictionary()
        self.sites = CreationSites() if sites else None

    def __torch_function__(self, func: Callable[..., Any], types: tuple[type, ...], args: Sequence[Any] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        # The hot path: every torch call of the traced code runs through here, so it does as little as it can.
        if is_compiling():  # dynamo traces this mode: stay out of its graph (first, so it reads nothing else here)
            return func(*args, **(kwargs or {}))
        if kwargs is None:
            if func in READS_METADATA:
                return func(*args)
            kwargs = {}
        if func in self.intercepted:
            return self.intercept(func, args, kwargs)
        if self.steps_record_themselves and STATE.in_step and not torch.is_grad_enabled():
            return func(*args, **kwargs)  # a step's own writes: the step records itself
        watched = versions_of(args, kwargs)
        first_nr = next_sequence_nr()
        result = func(*args, **kwargs)
        sites = self.sites
        if sites is not None:
            end_nr = next_sequence_nr()
            if end_nr != first_nr:
                sites.add(first_nr, end_nr, self.stack_of_call(), WATCH.current_ref())
        if func == DATA_GETTER and args and args[0].requires_grad:
            self.data_aliases[id(result)] = result
        for tensor, before in watched:
            if tensor._version != before:
                self.record(func, kwargs, tensor, before, first_nr - 1)
        return result

    intercepted: frozenset[Callable[..., Any]] = frozenset()  # calls a subclass handles itself (backward)

    def alive_check(self, tensor: torch.Tensor) -> Callable[[], bool]:
        """Whether the event's storage still exists. A tracer with a log of its own lives for one diagnosis: it holds
        the storage, so its address cannot be reused meanwhile (cheaper than a weak reference per event); a shared
        log holds it weakly (see _events)."""
        if not self.keep_list:
            return liveness(tensor)
        storage = tensor.untyped_storage()
        return lambda: storage is not None

    def intercept(self, func: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
        """Run one of the `intercepted` calls; a subclass that intercepts some says how."""
        return func(*args, **kwargs)

    def record(self, func: Callable[..., Any], kwargs: dict[str, Any], tensor: torch.Tensor, before: int,
               newest_node_nr: int) -> None:
        via_data = self.data_aliases.get(id(tensor)) is tensor
        site, called_from = call_sites(sys._getframe(2))
        module = WATCH.current()
        key = storage_key(tensor)
        event = InplaceEvent(
            op=("data." if via_data else "") + op_name(func, kwargs), shape=tuple(tensor.shape),
            version_before=before, version_after=version(tensor), site=site,
            in_graph=torch.is_grad_enabled() and not via_data and tensor.grad_fn is not None,
            via_data=via_data, newest_node_nr=newest_node_nr, nodes_end=next_sequence_nr(), called_from=called_from,
            module_ref=weakref.ref(module) if module is not None else None,
            during_backward=STATE.backward_site, key=key, alive=self.alive_check(tensor) if key else never)
        self.log.add(event)
        if self.keep_list:
            self.events.append(event)


@contextlib.contextmanager
def trace_inplace() -> Iterator[list[InplaceEvent]]:
    """`with trace_inplace() as events:` records every in-place op on a tensor run inside; the list fills when
    the block ends."""
    tracer = InplaceTracer()
    with tracer:
        yield tracer.events


def never() -> bool:
    return False


def versions_of(args: Sequence[Any], kwargs: Mapping[str, Any]) -> list[tuple[torch.Tensor, int]]:
    """(tensor, its version) for every tensor argument, in lists and tuples too (the foreach ops take lists);
    inference tensors, which have no version counter, left out."""
    try:
        return versions_in(args) + versions_in(kwargs.values()) if kwargs else versions_in(args)
    except RuntimeError:  # an inference tensor: "Inference tensors do not track version counter"
        return [(t, t._version) for t in tensors_in(args, kwargs) if not t.is_inference()]


def versions_in(values: Iterable[Any]) -> list[tuple[torch.Tensor, int]]:
    found = []
    for value in values:
        if isinstance(value, Tensor):
            found.append((value, value._version))
        elif isinstance(value, (list, tuple)):
            found += [(v, v._version) for v in value if isinstance(v, Tensor)]
    return found


def tensors_in(args: Sequence[Any], kwargs: Mapping[str, Any]) -> Iterator[torch.Tensor]:
    """Every tensor among the arguments, inside lists and tuples too (the foreach ops take lists)."""
    for value in [*args, *kwargs.values()]:
        if isinstance(value, torch.Tensor):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from (v for v in value if isinstance(v, torch.Tensor))


def is_data_getter(func: Callable[..., Any]) -> bool:
    """The `Tensor.data` property read, which torch routes through the function mode too."""
    return getattr(func, "__name__", "") == "__get__" and getattr(func.__self__, "__name__", "") == "data"  # type: ignore[attr-defined]


def op_name(func: Callable[..., Any], kwargs: Mapping[str, Any]) -> str:
    """The name a reader recognises: the method, plus the keyword that made a functional call in place."""
    name = getattr(func, "__name__", str(func))
    if kwargs.get("inplace"):
        return f"{name}(inplace=True)"
    if "out" in kwargs:
        return f"{name}(out=...)"
    return name


def project_stack() -> list[tuple[str, int]]:
    """The innermost STACK_DEPTH frames that are ours (not torch, stdlib, site-packages), outermost first, as
    (file, line): formatted only when a report asks (CreationSites.stack_of)."""
    frames: list[tuple[str, int]] = []
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and len(frames) < STACK_DEPTH:
        code = frame.f_code
        if is_ours(code.co_filename):
            site = (code.co_filename, frame.f_lineno)
            if not frames or frames[-1] != site:  # a generator expression repeats its line's frame
                frames.append(site)
        frame = frame.f_back
    return frames[::-1]


