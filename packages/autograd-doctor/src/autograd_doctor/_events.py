"""In-place events, and the log that keeps them for as long as a live graph can still need them.

An event is indexed by the storage it changed. It holds that storage weakly: a graph that saved a tensor keeps
its storage alive, so an event whose storage is gone can explain nothing and is dropped; and a new storage at a
freed one's address is never joined with the old one's events. A log can keep only the newest events of each
storage (the explain log keeps 1024 per storage for ops, 8 per parameter for optimizer steps), so a parameter
stepped every iteration costs a bounded amount: older changes are reported as not kept, never guessed.
"""

import itertools
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import torch
from torch.multiprocessing.reductions import StorageWeakRef

next_order = itertools.count().__next__  # events of several logs merge back into the order they ran


@dataclass(eq=False)
class OptimizerStep:
    """One `optimizer.step()` call: which optimizer, called where, and whether the doctor bumped its versions."""

    optimizer: str  # the class: "Adam"
    name: str | None  # the variable the user called it through: "opt_d"
    site: str  # the step call's frame: the first outside torch and this package
    called_from: str | None  # the user's own line, when `site` is a library's (Lightning's precision plugin)
    fused: bool  # a fused step: the doctor bumped the versions PyTorch left as they were

    def __str__(self) -> str:
        name = f"{self.name}.step() ({self.optimizer}{', fused' if self.fused else ''})" if self.name else \
            f"{self.optimizer}{'(fused=True)' if self.fused else ''}.step()"
        where = f" at {self.site}" + (f" (called from {self.called_from})" if self.called_from else "")
        return name + where


@dataclass(eq=False, repr=False)  # two events are the same only if they are the same op run
class InplaceEvent:
    """One in-place change to a tensor's memory: an op (or a write through `.data`), or an optimizer step."""

    op: str  # "add_", "relu(inplace=True)", "__setitem__", "data.add_", "Adam.step()"
    shape: tuple[int, ...]
    version_before: int
    version_after: int
    site: str  # the op's frame: the first outside torch and this package, "src/minigpt/block.py:24"
    # Whether autograd recorded the op (grad mode on, and the tensor has history): False for optimizer steps,
    # nn.init, anything under no_grad / inference_mode, and writes to tensors with no history.
    in_graph: bool
    via_data: bool = False  # through `.data`: its own version counter, invisible to autograd
    # The newest node's sequence number before the op ran (nodes numbered up to it predate the op), and one past
    # the last node the op made (a CopySlices among them, for an op on a view).
    newest_node_nr: int | None = None
    nodes_end: int | None = None
    called_from: str | None = None  # the user's own line, when the op's frame is a library's
    module_ref: weakref.ref[torch.nn.Module] | None = field(default=None, compare=False)  # the module that was running
    module: str | None = None  # its path once resolved: "critic.net.2"
    module_kind: str | None = None  # for a torch.nn built-in: "ReLU(inplace=True)"
    built_at: str | None = None  # where that built-in was constructed, when the doctor saw it
    during_backward: str | None = None  # "the backward called at train.py:50", for an op run inside one
    step: OptimizerStep | None = None  # the optimizer step that made this change
    target: weakref.ref[torch.Tensor] | None = field(default=None, compare=False)  # a step's parameter, to name it
    key: int | None = field(default=None, compare=False)  # the storage's address
    alive: Callable[[], bool] = field(default=lambda: False, compare=False)  # whether that storage still exists
    order: int = field(default_factory=next_order, compare=False)

    def __str__(self) -> str:
        if self.step is not None:
            return f"{self.step} changed it (v{self.version_before}->v{self.version_after})"
        text = f"{self.op} {self.where()}"
        if self.during_backward:
            text += f", during {self.during_backward}"
        return text

    def where(self) -> str:
        """"at model.py:34 in net.body" for the user's own code; for a built-in module the doctor saw built, the
        line that built it comes first, since that is the line to change: "at model.py:20 (where net.body.0,
        ReLU(inplace=True), was built; run from model.py:34)"."""
        if self.built_at:
            return (f"at {self.built_at} (where {self.module}, {self.module_kind}, was built; run from "
                    f"{self.called_from or self.site})")
        text = f"at {self.site}" + (f" (called from {self.called_from})" if self.called_from else "")
        if self.module:
            text += f" in {self.module}" + (f" ({self.module_kind})" if self.module_kind else "")
        return text

    def __repr__(self) -> str:
        return f"InplaceEvent({self})"


def storage_key(tensor: torch.Tensor) -> int | None:
    """The address events are indexed by: the storage's data pointer (views share it), computed from the tensor's
    own pointer so a lookup allocates no storage object. None for sparse, meta and empty tensors."""
    if tensor.layout != torch.strided:
        return None
    try:
        key = tensor.data_ptr() - tensor.storage_offset() * tensor.element_size()
    except (NotImplementedError, RuntimeError):
        return None
    return int(key) or None


def liveness(tensor: torch.Tensor) -> Callable[[], bool]:
    """A check that the tensor's storage still exists, holding it weakly (a parameter: the parameter itself)."""
    if isinstance(tensor, torch.nn.Parameter):
        ref = weakref.ref(tensor)
        return lambda: ref() is not None
    storage = StorageWeakRef(tensor.untyped_storage())  # type: ignore[no-untyped-call]
    return lambda: not storage.expired()  # type: ignore[no-untyped-call]


class JoinLog(Protocol):
    """What a walk joins saved tensors with: events by storage."""

    def on_storage(self, tensor: torch.Tensor) -> list[InplaceEvent]: ...

    def events_on_key(self, key: int | None) -> list[InplaceEvent]: ...


class EventLog:
    """Events by storage, the newest `per_storage` of each (None: all), dropped when their storage is freed."""

    def __init__(self, per_storage: int | None = None) -> None:
        self.by_key: dict[int, deque[InplaceEvent]] = {}
        self.per_storage = per_storage
        self.sweep_at = 1024  # sweep freed storages when the index has grown to this many keys

    def add(self, event: InplaceEvent) -> None:
        """Keep `event` under its storage (events with no storage join nothing and are not kept)."""
        if event.key is None:
            return
        events = self.by_key.get(event.key)
        if events is None or (events and not events[-1].alive()):  # a new storage at a freed one's address
            events = self.by_key[event.key] = deque(maxlen=self.per_storage)
            if len(self.by_key) >= self.sweep_at:
                self.sweep()
        events.append(event)

    def on_storage(self, tensor: torch.Tensor) -> list[InplaceEvent]:
        """The events on `tensor`'s storage, in the order they ran."""
        key = storage_key(tensor)
        events = self.by_key.get(key) if key is not None else None
        return [e for e in events if e.alive()] if events else []

    def events_on_key(self, key: int | None) -> list[InplaceEvent]:
        """The events on the storage at `key`, in the order they ran."""
        events = self.by_key.get(key) if key is not None else None
        return [e for e in events if e.alive()] if events else []

    def sweep(self) -> None:
        """Drop the events of storages that no longer exist: nothing can need them."""
        self.by_key = {k: v for k, v in self.by_key.items() if v and v[-1].alive()}
        self.sweep_at = max(1024, 2 * len(self.by_key))

    def clear(self) -> None:
        """Forget every event."""
        self.by_key.clear()

    def __iter__(self) -> Iterator[InplaceEvent]:
        """Every kept event, in the order they ran."""
        return iter(sorted((e for events in self.by_key.values() for e in events), key=lambda e: e.order))

    def __len__(self) -> int:
        return sum(map(len, self.by_key.values()))
