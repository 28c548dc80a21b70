"""The graph doctor: walk a loss's backward graph before backward() and check every saved tensor.

PyTorch checks a saved tensor's version only when backward unpacks it, and stops at the first one
that fails. Here every saved slot of every reachable node is unpacked up front with the same check
(`SavedTensor.unpack`), so all breaks are found, and joined with the in-place tracer's events to
name the op and the line that bumped each one. Saves the check cannot see are flagged, not passed.
"""

import re
import sysconfig
import warnings
from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional

import torch
from torch.autograd.function import BackwardCFunction

from autograd_doctor.tracer import TORCH_DIRS, InplaceEvent, relative, trace_inplace

VERSIONS = re.compile(r"is at version (\d+); expected version (\d+) instead")
FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<function>\S+)\n\s*(?P<code>.*)')
NOT_OURS = (*TORCH_DIRS, sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"], "<frozen")
DOCTOR_FILES = (__file__.removesuffix("doctor.py") + "tracer.py", __file__)
HOOKS_REASON = "saved-tensor hooks active"
CTX_REASON = "cannot verify: tensors kept outside save_for_backward"
DATA_REASON = "cannot verify: changed through .data, which autograd does not track (no version bump, no edge)"


@dataclass
class SavedSlot:
    """One tensor a backward node saved, and what the version check says about it."""

    name: str  # "input", "mat2", "saved_tensors[0]", "ctx.x"
    shape: Optional[tuple[int, ...]]
    status: str  # ok | clobbered | unverifiable
    saved_version: Optional[int] = None  # known when the check could run
    found_version: Optional[int] = None
    bumped_by: list[InplaceEvent] = field(default_factory=list)  # clobbered: every op that moved it
    join: Optional[str] = None  # "exact" (same storage) | "probable" (shape and versions only)
    changed_by: list[InplaceEvent] = field(default_factory=list)  # unverifiable: ops after it was kept (.data: any)
    message: Optional[str] = None  # PyTorch's own error, verbatim, for a clobbered slot


@dataclass
class NodeReport:
    """One backward node: its saved slots, its other saved values, where it was created."""

    index: int
    name: str  # "NativeLayerNormBackward0"
    slots: list[SavedSlot]
    values: dict  # saved non-tensors: sizes, dims, alpha
    next_indices: list[int]
    stack: list[str]  # project frames of the forward that created it (anomaly mode), outermost first
    unverifiable_reason: Optional[str] = None
    leaf_name: Optional[str] = None  # AccumulateGrad: the parameter it accumulates into
    module: Optional[str] = None  # the module whose parameters feed it directly: "blocks.0.ln2"
    fn: Optional[torch.autograd.graph.Node] = field(default=None, repr=False, compare=False)

    @property
    def source(self) -> Optional[str]:
        """The innermost project frame that created this node, "src/minigpt/layer_norm.py:61"."""
        return self.stack[-1] if self.stack else None

    @property
    def clobbered(self) -> list[SavedSlot]:
        """The slots that failed the version check."""
        return [slot for slot in self.slots if slot.status == "clobbered"]


@dataclass
class Break:
    """A clobbered saved slot: backward would raise when it reaches this node."""

    node: str
    node_index: int
    slot: str
    shape: tuple[int, ...]
    saved_version: int
    found_version: int
    bumped_by: list[InplaceEvent]
    join: Optional[str]
    source: Optional[str]
    message: str
    module: Optional[str] = None

    def __str__(self) -> str:
        where = f" in {self.module}" if self.module else f" (created at {self.source})" if self.source else ""
        return (f"{self.node}.{self.slot} {list(self.shape)}{where}: saved at v{self.saved_version}, "
                f"now v{self.found_version}{bumped_phrase(self.bumped_by, self.join)}")


@dataclass
class Unverifiable:
    """A node whose saved tensors escape the version check."""

    node: str
    node_index: int
    reason: str
    source: Optional[str]
    changed_by: list[InplaceEvent] = field(default_factory=list)
    module: Optional[str] = None

    def __str__(self) -> str:
        where = f" in {self.module}" if self.module else f" (created at {self.source})" if self.source else ""
        after = "; changed in place by: " + ", ".join(map(str, self.changed_by)) \
            if self.changed_by else ""
        return f"{self.node}{where}: {self.reason}{after}"


@dataclass
class DoctorReport:
    """Every node reachable from the loss, all breaks, all unverifiable nodes, the in-place events seen."""

    nodes: list[NodeReport]
    breaks: list[Break]
    unverifiable: list[Unverifiable]
    events: Optional[list[InplaceEvent]]  # None when the forward was not traced

    @property
    def verdict(self) -> str:
        """broken wins over unverifiable; intact only when every saved tensor passed the check."""
        return "broken" if self.breaks else "unverifiable" if self.unverifiable else "intact"

    @property
    def harmless_events(self) -> list[InplaceEvent]:
        """In-place ops on graph tensors that bumped no saved slot (relu_ on a Linear output). None can be
        cleared when saved-tensor hooks hid some saved tensors from the walk."""
        if any(s.message and s.message.startswith(HOOKS_REASON) for n in self.nodes for s in n.slots):
            return []
        culprits = {id(e) for b in self.breaks for e in b.bumped_by}
        culprits |= {id(e) for u in self.unverifiable for e in u.changed_by}
        return [e for e in self.events or [] if e.in_graph and id(e) not in culprits]

    def summary(self) -> str:
        """One line: the verdict and its counts."""
        return (f"{self.verdict}: {len(self.breaks)} breaks, {len(self.unverifiable)} unverifiable, "
                f"{len(self.nodes)} backward nodes, {len(self.events) if self.events is not None else 'untraced'}"
                f" in-place events")


def diagnose(loss: torch.Tensor, inplace_events: Optional[list[InplaceEvent]] = None,
             parameter_names: Optional[Mapping[str, torch.Tensor]] = None) -> DoctorReport:
    """Check every saved slot of the graph behind `loss`; call it BEFORE backward (which frees them)."""
    names_by_id = {id(p): name for name, p in (parameter_names or {}).items()}
    order = reachable_nodes(loss.grad_fn)
    index = {fn: i for i, fn in enumerate(order)}
    nodes = [inspect_node(i, fn, index, inplace_events or [], names_by_id) for i, fn in enumerate(order)]
    for node in nodes:
        leaves = [nodes[i].leaf_name for i in node.next_indices if nodes[i].leaf_name]
        node.module = leaves[0].rpartition(".")[0] if leaves else None
    newest_first = sorted(nodes, key=lambda n: -n.fn._sequence_nr())  # the engine's preference among ready nodes
    breaks = [Break(n.name, n.index, s.name, s.shape, s.saved_version, s.found_version, s.bumped_by, s.join,
                    n.source, s.message, n.module) for n in newest_first for s in n.clobbered]
    unverifiable = [Unverifiable(n.name, n.index, n.unverifiable_reason, n.source,
                                 [e for s in n.slots for e in s.changed_by], n.module)
                    for n in newest_first if n.unverifiable_reason]
    return DoctorReport(nodes, breaks, unverifiable, inplace_events)


def diagnose_forward(forward: Callable[[], torch.Tensor],
                     parameter_names: Optional[Mapping[str, torch.Tensor]] = None) -> DoctorReport:
    """Run `forward` (returning the loss) under the in-place tracer and anomaly mode, then diagnose."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Anomaly Detection has been enabled")
        with torch.autograd.set_detect_anomaly(True, check_nan=False), trace_inplace() as events:
            loss = forward()
    return diagnose(loss, events, parameter_names)


def reachable_nodes(root: Optional[torch.autograd.graph.Node]) -> list[torch.autograd.graph.Node]:
    """Every node reachable from `root` through next_functions, breadth first (the order backward meets them)."""
    order, seen, queue = [], set(), [root] if root is not None else []
    while queue:
        fn = queue.pop(0)
        if fn in seen:
            continue
        seen.add(fn)
        order.append(fn)
        queue.extend(next_fn for next_fn, _ in fn.next_functions if next_fn is not None)
    return order


def inspect_node(i: int, fn, index: dict, events: list[InplaceEvent], names_by_id: dict) -> NodeReport:
    """Read one node's saved slots through PyTorch's own check, and its creation stack."""
    slots, values = [], {}
    for attr in dir(fn):
        if attr.startswith("_raw_saved_"):
            name, raw = attr.removeprefix("_raw_saved_"), getattr(fn, attr)
            if isinstance(raw, (list, tuple)):  # a list slot: a custom Function's save_for_backward
                slots += [check_slot(f"saved_{name}[{k}]", r, lambda k=k: unpack_list_item(fn, attr, k),
                                    fn, events)
                          for k, r in enumerate(raw)]
            elif raw is not None:
                slots.append(check_slot(name, raw, lambda name=name: getattr(fn, "_saved_" + name), fn,
                                          events))
        elif attr.startswith("_saved_") and not hasattr(fn, "_raw" + attr):
            values[attr.removeprefix("_saved_")] = getattr(fn, attr)
    slots = [s for s in slots if s is not None]
    if isinstance(fn, BackwardCFunction):
        slots += ctx_attribute_slots(fn, events)
    variable = getattr(fn, "variable", None)
    return NodeReport(i, fn.name(), slots, values, [index[n] for n, _ in fn.next_functions if n is not None],
                      project_frames(fn.metadata.get("traceback_", [])), unverifiable_reason(slots),
                      names_by_id.get(id(variable)) if variable is not None else None, fn=fn)


def unpack_list_item(fn, raw_attr: str, k: int) -> torch.Tensor:
    """Unpack item k of a saved list; a Function's own outputs unpack only with the whole list."""
    try:
        return getattr(fn, raw_attr)[k].unpack()
    except RuntimeError as e:
        if VERSIONS.search(str(e)):
            raise
    return fn.saved_tensors[k]  # the node-aware unpack of every item: the first clobbered one raises


def check_slot(name: str, raw, unpack: Callable[[], object], fn,
               events: list[InplaceEvent]) -> Optional[SavedSlot]:
    """Unpack one saved tensor with PyTorch's version check; on failure, find the ops that bumped it."""
    if raw.unpack_hook is not None:  # the packed value is whatever the hook made; unpack skips the check
        hook = getattr(raw.unpack_hook, "__qualname__", "a hook").replace(".<locals>", "")
        return SavedSlot(name, None, "unverifiable", message=f"{HOOKS_REASON} ({hook})")
    tensor = raw.data  # the saved tensor itself, read without the check
    if tensor is None:  # an optional input that was not given
        return None
    shape = tuple(tensor.shape)
    try:
        unpack()
    except RuntimeError as e:
        found, saved = (int(v) for v in VERSIONS.search(str(e)).groups())
        bumped, join = ops_that_bumped(tensor, saved, found, events)
        return SavedSlot(name, shape, "clobbered", saved, found, bumped, join, message=str(e))
    behind_autograd = [e for e in events if e.via_data and e.shares_storage_with(tensor)]
    if behind_autograd:  # `.data` has its own version counter and no graph edge: the check sees nothing
        return SavedSlot(name, shape, "unverifiable", tensor._version, tensor._version, message=DATA_REASON,
                         changed_by=behind_autograd)
    return SavedSlot(name, shape, "ok", tensor._version, tensor._version)


def ops_that_bumped(tensor: torch.Tensor, saved: int, found: int,
                    events: list[InplaceEvent]) -> tuple[list[InplaceEvent], Optional[str]]:
    """The events that moved this tensor from `saved` to `found`: by storage when possible, else by shape."""
    in_range = [e for e in events if not e.via_data and saved <= e.version_before and e.version_after <= found]
    exact = [e for e in in_range if e.shares_storage_with(tensor)]
    if exact:
        return exact, "exact"
    probable = [e for e in in_range if e.shape == tuple(tensor.shape)]
    return probable, "probable" if probable else None


def ctx_attribute_slots(fn: BackwardCFunction, events: list[InplaceEvent]) -> list[SavedSlot]:
    """Tensors a custom Function kept as ctx attributes: no version check will ever run on them."""
    slots = []
    for name, value in vars(fn).items():
        if isinstance(value, torch.Tensor):
            slots.append(SavedSlot(f"ctx.{name}", tuple(value.shape), "unverifiable", message=CTX_REASON,
                                   changed_by=ops_after(fn, value, events)))
    return slots


def ops_after(fn, tensor: torch.Tensor, events: list[InplaceEvent]) -> list[InplaceEvent]:
    """In-place ops on `tensor`'s storage that ran after node `fn` was created (so after it saved it)."""
    return [e for e in events if e.newest_node_nr is not None and e.newest_node_nr >= fn._sequence_nr()
            and e.shares_storage_with(tensor)]


def unverifiable_reason(slots: list[SavedSlot]) -> Optional[str]:
    """Why a node cannot be version-checked, or None when every slot could be."""
    reasons = dict.fromkeys(s.message for s in slots if s.status == "unverifiable")
    return "; ".join(reasons) or None


def project_frames(traceback: list[str]) -> list[str]:
    """The frames of an anomaly-mode forward traceback that are ours: "src/minigpt/block.py:24"."""
    frames = []
    for entry in traceback:
        match = FRAME.search(entry)
        frame = f"{relative(match['file'])}:{match['line']}" if match else None
        ours = match and not match["file"].startswith(NOT_OURS) and match["file"] not in DOCTOR_FILES
        if ours and (not frames or frames[-1] != frame):  # a generator expression repeats its line's frame
            frames.append(frame)
    return frames


def bumped_phrase(events: list[InplaceEvent], join: Optional[str]) -> str:
    """", bumped by add_ at src/minigpt/block.py:24" (or "probably bumped by"), empty when unknown."""
    if not events:
        return ""
    named = map(str, events) if len(events) == 1 else (
        f"{e.op} (v{e.version_before}->v{e.version_after}) at {e.site}" for e in events)
    return f", {'probably ' if join == 'probable' else ''}bumped by " + ", ".join(named)


@dataclass
class Region:
    """A part of the backward graph, such as one layer: the node of its output and the nodes that made its
    inputs (a walk down from the output stops at those)."""

    output_index: int
    input_indices: list[int]
