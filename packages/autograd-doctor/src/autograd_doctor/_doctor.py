"""The graph doctor: walk a loss's backward graph before backward() and check every saved tensor.

PyTorch checks a saved tensor's version only when backward unpacks it, and stops at the first one
that fails. Here every saved slot of every reachable node is unpacked up front with the same check
(`SavedTensor.unpack`), so all breaks are found, and joined with the in-place tracer's events to
name the op and the line that bumped each one. Saves the check cannot see are flagged, not passed.
"""

import contextlib
import functools
import gc
import re
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import torch
from torch.autograd.graph import Node

import autograd_doctor._torch_internals as internals
from autograd_doctor._events import EventLog, InplaceEvent, JoinLog
from autograd_doctor._sites import NOT_OURS, relative
from autograd_doctor._tracer import CreationSites, InplaceTracer

VERSIONS = re.compile(r"is at version (\d+); expected version (\d+) instead")
FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<function>\S+)\n\s*(?P<code>.*)')
HOOKS_REASON = "saved-tensor hooks active"
CTX_REASON = "cannot verify: tensors kept outside save_for_backward"
DATA_REASON = "cannot verify: changed through .data, which autograd does not track (no version bump, no edge)"
CHECKPOINT_REASON = ("torch.utils.checkpoint (non-reentrant) hides this save: backward recomputes it from the "
                     "checkpoint's inputs")
COMPILED_REASON = ("compiled by torch.compile: the compiled graph's saves escape the version check (inductor "
                   "skips it for a saved view of a graph input), so an in-place change after the compiled "
                   "forward can give wrong gradients with no error")
UNTRACED = "an op the tracer did not see or no longer keeps (unknown)"
COPY_SLICES_REASON = ("an in-place op on a view: CopySlices wraps that op's backward node, whose saved tensors no "
                      "Python API reaches")


@dataclass
class SavedSlot:
    """One tensor a backward node saved, and what the version check says about it."""

    name: str  # "input", "mat2", "saved_tensors[0]", "ctx.x"
    shape: tuple[int, ...] | None
    status: str  # ok | clobbered | unverifiable
    saved_version: int | None = None  # known when the check could run
    found_version: int | None = None
    bumped_by: list[InplaceEvent] = field(default_factory=list)  # clobbered: every op that moved it
    # "exact": traced ops on the same storage move it from saved to found, step by step; "partial": some steps
    # were not seen; "unknown": none was; None: the forward was not traced. Never a guess by shape.
    join: str | None = None
    changed_by: list[InplaceEvent] = field(default_factory=list)  # unverifiable: ops after it was kept (.data: any)
    message: str | None = None  # PyTorch's own error, verbatim, for a clobbered slot


@dataclass
class NodeReport:
    """One backward node: its saved slots, its other saved values, where it was created. What only a report
    reads (the creation stack, the module, the saved values) is worked out when first read: a walk over 100k
    nodes reads it for the few that broke."""

    index: int
    name: str  # "NativeLayerNormBackward0"
    slots: list[SavedSlot]
    next_indices: list[int]
    unverifiable_reason: str | None = None
    leaf_name: str | None = None  # AccumulateGrad: the parameter it accumulates into
    fn: torch.autograd.graph.Node | None = field(default=None, repr=False, compare=False)
    finder: "Callable[[NodeReport], str | None] | None" = field(default=None, repr=False, compare=False)
    sites: CreationSites | None = field(default=None, repr=False, compare=False)

    @functools.cached_property
    def stack(self) -> list[str]:
        """Project frames of the forward that created it (the tracer's sites, else anomaly mode), outermost first."""
        return creation_stack(self.fn, self.sites) if self.fn is not None else []

    @functools.cached_property
    def module(self) -> str | None:
        """The module running when it was made; diagnose_roots sets the one whose parameters feed it directly
        ("blocks.0.ln2") where there is one."""
        return self.finder(self) if self.finder is not None else None

    @functools.cached_property
    def values(self) -> dict[str, Any]:
        """Saved non-tensors: sizes, dims, alpha."""
        return internals.saved_values(self.fn) if self.fn is not None else {}

    @property
    def source(self) -> str | None:
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
    join: str | None
    source: str | None
    message: str
    module: str | None = None

    def __str__(self) -> str:
        where = where_made(self.module, self.source)
        return (f"{self.node}.{self.slot} {list(self.shape)}{where}: saved at v{self.saved_version}, "
                f"now v{self.found_version}{bumped_phrase(self.bumped_by, self.join)}")


@dataclass
class Unverifiable:
    """A node whose saved tensors escape the version check."""

    node: str
    node_index: int
    reason: str
    source: str | None
    changed_by: list[InplaceEvent] = field(default_factory=list)
    module: str | None = None

    def __str__(self) -> str:
        where = where_made(self.module, self.source)
        after = "; changed in place by: " + ", ".join(map(str, self.changed_by)) \
            if self.changed_by else ""
        return f"{self.node}{where}: {self.reason}{after}"


@dataclass
class DoctorReport:
    """Every node reachable from the loss, all breaks, all unverifiable nodes, the in-place events seen."""

    nodes: list[NodeReport]
    breaks: list[Break]
    unverifiable: list[Unverifiable]
    events: list[InplaceEvent] | None  # None when the forward was not traced
    # The graph's nodes, root last, released after everything above: freed root first, one node at a time.
    # Freed leaves first, the root's release would cascade down a deep chain on the C stack and crash
    # (a 100k-node chain, once walked from Python; pytorch/pytorch#155322, #109948).
    graph_root_last: tuple[Node, ...] = field(default=(), repr=False, compare=False)

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

    def _repr_markdown_(self) -> str:
        """The report in a notebook (IPython calls this): the verdict, then a row per break and per node the
        check cannot see into."""
        rows = [f"**autograd_doctor: {self.summary()}**", ""]
        if self.breaks or self.unverifiable:
            rows += ["| | node | saved tensor | what changed it |", "|---|---|---|---|"]
            rows += [f"| broken | {cell(b.node + (' in ' + b.module if b.module else ''))} | {cell(b.slot)} "
                     f"{list(b.shape)}, saved at v{b.saved_version}, now v{b.found_version} | "
                     f"{cell(', '.join(map(str, b.bumped_by)) or 'unknown')} |" for b in self.breaks]
            rows += [f"| unverifiable | {cell(u.node + (' in ' + u.module if u.module else ''))} | {cell(u.reason)} | "
                     f"{cell(', '.join(map(str, u.changed_by)) or '')} |" for u in self.unverifiable]
        return "\n".join(rows)


def where_made(module: str | None, source: str | None) -> str:
    """" in blocks.1.ln2 (created at model.py:42)": the module by its path and the line that made the node, each
    when known."""
    return (f" in {module}" if module else "") + (f" (created at {source})" if source else "")


def cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def check_loss(loss: object) -> None:
    """TypeError for a loss that is not a tensor, ValueError for one backward cannot run through."""
    if not isinstance(loss, torch.Tensor):
        raise TypeError(f"the loss must be a torch.Tensor, got {type(loss).__name__}: return the loss tensor "
                        f"from the forward (not loss.item() or a tuple)")
    if not loss.requires_grad:
        raise ValueError(f"the loss {type(loss).__name__} {list(loss.shape)} has no autograd graph "
                         f"(requires_grad=False, grad_fn=None): nothing that requires grad reached it, or it was "
                         f"made under no_grad / inference_mode / detach(); backward() would raise")


@dataclass
class Diagnosis:
    """What a walk joins with: the traced events by storage, node creation sites, parameter names."""

    events: list[InplaceEvent] | None = None  # None when the forward was not traced
    sites: CreationSites | None = None
    names_by_id: dict[int, str] = field(default_factory=dict)
    # checkpoint frame -> (reason, ops that changed its inputs)
    checkpoints: dict[object, tuple[str, list[InplaceEvent]]] = field(default_factory=dict)
    skip_freed: bool = False  # after a failed backward: slots already released are skipped, not errors
    module_names: dict[int, str] = field(default_factory=dict)  # id(module) -> its path, for nodes with no parameter
    logs: list[JoinLog] = field(default_factory=list)  # where events are joined by storage (built from events)

    def __post_init__(self) -> None:
        if not self.logs and self.events is not None:
            log = EventLog()
            for event in self.events:
                log.add(event)
            self.logs = [log]

    def on_storage(self, tensor: torch.Tensor) -> list[InplaceEvent]:
        """The traced in-place events on `tensor`'s storage, in the order they ran."""
        found = [e for log in self.logs for e in log.on_storage(tensor)]
        return sorted(found, key=lambda e: e.order) if len(self.logs) > 1 else found

    def op_that_made(self, node: Node) -> InplaceEvent | None:
        """The traced in-place op whose run created `node` (a CopySlices), by sequence numbers."""
        nr = internals.sequence_nr(node)
        return next((e for e in self.events or [] if e.nodes_end is not None and e.newest_node_nr is not None
                     and e.newest_node_nr < nr < e.nodes_end), None)


def diagnose(loss: torch.Tensor, inplace_events: list[InplaceEvent] | None = None,
             parameter_names: Mapping[str, torch.Tensor] | None = None,
             sites: CreationSites | None = None) -> DoctorReport:
    """Check every saved slot of the graph behind `loss`; call it BEFORE backward (which frees them)."""
    check_loss(loss)
    names_by_id = {id(p): name for name, p in (parameter_names or {}).items()}
    return diagnose_roots([loss.grad_fn], Diagnosis(inplace_events, sites, names_by_id))


def diagnose_roots(roots: list[Node | None], diagnosis: Diagnosis) -> DoctorReport:
    """The report on every node reachable from `roots` (grad_fns; None entries are skipped)."""
    order = reachable_nodes(roots)
    index = {fn: i for i, fn in enumerate(order)}
    # no closure over `nodes` here: a cycle would leave the graph to the cyclic collector, which frees a deep
    # chain in no order (see graph_root_last)
    running = functools.partial(running_module, diagnosis=diagnosis)
    nodes = [inspect_node(i, fn, index, diagnosis, running) for i, fn in enumerate(order)]
    for node in nodes:
        leaves = [leaf for i in node.next_indices if (leaf := nodes[i].leaf_name)]
        if leaves:
            node.module = leaves[0].rpartition(".")[0]
    # the engine's order among ready nodes
    newest_first = sorted(nodes, key=lambda n: -internals.sequence_nr(cast(Node, n.fn)))
    breaks = [Break(n.name, n.index, s.name, s.shape, s.saved_version, s.found_version,  # type: ignore[arg-type]
                    s.bumped_by, s.join, n.source, s.message, n.module)  # type: ignore[arg-type]  # set when clobbered
              for n in newest_first for s in n.clobbered]
    unverifiable = [Unverifiable(n.name, n.index, n.unverifiable_reason, n.source,
                                 [e for s in n.slots for e in s.changed_by], n.module)
                    for n in newest_first if n.unverifiable_reason]
    return DoctorReport(nodes, breaks, unverifiable, diagnosis.events, tuple(reversed(order)))


def running_module(node: NodeReport, diagnosis: Diagnosis) -> str | None:
    """The path of the module that was running when the node was made (explain() notes it), or None."""
    if diagnosis.sites is None or node.fn is None:
        return None
    module = diagnosis.sites.module_of(internals.sequence_nr(node.fn))
    return diagnosis.module_names.get(id(module)) if module is not None else None


def diagnose_forward(forward: Callable[[], torch.Tensor],
                     parameter_names: Mapping[str, torch.Tensor] | None = None) -> DoctorReport:
    """Run `forward` (returning the loss) under the in-place tracer, then diagnose its graph."""
    tracer = InplaceTracer(sites=True)
    with paused_gc():
        with tracer:
            loss = forward()
        check_loss(loss)
        names_by_id = {id(p): name for name, p in (parameter_names or {}).items()}
        return diagnose_roots([loss.grad_fn], Diagnosis(tracer.events, tracer.sites, names_by_id, logs=[tracer.log]))


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic collector off while the doctor makes its many small objects (it ran on every few hundred
    allocations and over the whole graph: half the doctor's time at 10k nodes); reference counting still frees."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def reachable_nodes(roots: list[Node | None]) -> list[Node]:
    """Every node reachable from `roots` through their next nodes, breadth first (the order backward meets them)."""
    order: list[Node] = []
    seen: set[Node] = set()
    queue = deque(r for r in roots if r is not None)
    while queue:
        fn = queue.popleft()
        if fn in seen:
            continue
        seen.add(fn)
        order.append(fn)
        queue.extend(internals.next_nodes(fn))
    return order


def inspect_node(i: int, fn: Node, index: dict[Node, int], diagnosis: Diagnosis,
                 module_of: Callable[[NodeReport], str | None] | None = None) -> NodeReport:
    """Read one node's saved slots through PyTorch's own check, and where it was created."""
    checked: list[SavedSlot | None] = []
    for name, raw in internals.raw_saved(fn, diagnosis.skip_freed):
        if isinstance(raw, (list, tuple)):  # a list slot: a custom Function's save_for_backward
            checked += [check_slot(f"saved_{name}[{k}]", r, functools.partial(internals.unpack_list_item, fn, name, k),
                                   diagnosis) for k, r in enumerate(raw)]
        elif raw is not None:
            checked.append(check_slot(name, raw, functools.partial(internals.unpack_slot, fn, name), diagnosis))
    slots = [s for s in checked if s is not None]
    kind = internals.node_kind(fn)
    if kind == "copy_slices":
        slots.append(copy_slices_slot(fn, diagnosis))
    elif kind == "compiled":
        slots = compiled_region_slots(fn, slots, diagnosis)
    elif kind == "custom":
        slots += ctx_attribute_slots(fn, diagnosis)
    variable = internals.accumulated_variable(fn)
    return NodeReport(i, fn.name(), slots, [index[n] for n in internals.next_nodes(fn)],
                      unverifiable_reason(slots) if slots else None,
                      diagnosis.names_by_id.get(id(variable)) if variable is not None else None, fn=fn,
                      finder=module_of, sites=diagnosis.sites)


def creation_stack(fn: Node, sites: CreationSites | None) -> list[str]:
    """Where the node was made: from the tracer's sites, else from anomaly mode's traceback when it was on."""
    stack = sites.stack_of(internals.sequence_nr(fn)) if sites is not None else []
    return stack or project_frames(internals.creation_traceback(fn))


def check_slot(name: str, raw: Any, unpack: Callable[[], object], diagnosis: Diagnosis) -> SavedSlot | None:
    """Unpack one saved tensor with PyTorch's version check; on failure, find the ops that bumped it."""
    hook = internals.unpack_hook(raw)
    if hook is not None:  # the packed value is whatever the hook made; unpack skips the check
        return hooked_slot(name, hook, diagnosis)
    try:
        tensor = internals.saved_data(raw)  # the saved tensor itself, read without the check
    except RuntimeError:  # released by a backward that already ran this node
        if diagnosis.skip_freed:
            return None
        raise
    if tensor is None:  # an optional input that was not given
        return None
    shape = tuple(tensor.shape)
    try:
        unpack()
    except RuntimeError as e:
        versions = VERSIONS.search(str(e))
        if versions is None:
            if diagnosis.skip_freed:
                return None
            raise
        found, saved = (int(v) for v in versions.groups())
        bumped, join = ops_that_bumped(tensor, saved, found, diagnosis)
        return SavedSlot(name, shape, "clobbered", saved, found, bumped, join, message=str(e))
    behind_autograd = [e for e in diagnosis.on_storage(tensor) if e.via_data]
    if behind_autograd:  # `.data` has its own version counter and no graph edge: the check sees nothing
        now = internals.version(tensor)
        return SavedSlot(name, shape, "unverifiable", now, now, message=DATA_REASON, changed_by=behind_autograd)
    return SavedSlot(name, shape, "ok", internals.version(tensor), internals.version(tensor))


def hooked_slot(name: str, hook: Callable[..., Any], diagnosis: Diagnosis) -> SavedSlot:
    """A slot packed by a saved-tensor hook: unverifiable; under non-reentrant checkpoint, say which input changed."""
    checkpoint = internals.checkpoint_inputs(hook)
    if checkpoint is None:
        hook_name = getattr(hook, "__qualname__", "a hook").replace(".<locals>", "")
        return SavedSlot(name, None, "unverifiable", message=f"{HOOKS_REASON} ({hook_name})")
    frame, inputs = checkpoint
    if frame not in diagnosis.checkpoints:
        diagnosis.checkpoints[frame] = checkpoint_inputs(inputs, diagnosis)
    message, changed = diagnosis.checkpoints[frame]
    return SavedSlot(name, None, "unverifiable", message=message, changed_by=changed)


def checkpoint_inputs(inputs: list[Any], diagnosis: Diagnosis) -> tuple[str, list[InplaceEvent]]:
    """The reason for a non-reentrant checkpoint's saves, naming each input changed since the forward (backward
    will raise when it recomputes) and the ops that changed it."""
    changed: list[str] = []
    events: list[InplaceEvent] = []
    for k, raw in enumerate(inputs):
        slot = check_slot(f"input[{k}]", raw, raw.unpack, diagnosis)
        if slot is not None and slot.status == "clobbered":
            shape = cast(tuple[int, ...], slot.shape)  # set on every clobbered slot
            changed.append(f"its input {list(shape)} was changed in place after the forward "
                           f"(v{slot.saved_version} -> v{slot.found_version}{bumped_phrase(slot.bumped_by, slot.join)}"
                           f"), so backward will raise when it recomputes")
            events += slot.bumped_by
    return "; ".join([f"{HOOKS_REASON} ({CHECKPOINT_REASON})", *changed]), events


def ops_that_bumped(tensor: torch.Tensor, saved: int, found: int,
                    diagnosis: Diagnosis) -> tuple[list[InplaceEvent], str | None]:
    """The traced ops that moved this tensor from `saved` to `found`, joined by storage, never by likeness."""
    if diagnosis.events is None:
        return [], None
    steps = [e for e in diagnosis.on_storage(tensor)
             if not e.via_data and saved <= e.version_before and e.version_after <= found]
    if not steps:
        return [], "unknown"
    chained = steps[0].version_before == saved and steps[-1].version_after == found and all(
        a.version_after == b.version_before for a, b in zip(steps, steps[1:], strict=False))
    return steps, "exact" if chained else "partial"


def ctx_attribute_slots(fn: Node, diagnosis: Diagnosis) -> list[SavedSlot]:
    """Tensors a custom Function kept as ctx attributes: no version check will ever run on them."""
    skip = internals.CHECKPOINT_RNG_STATES if internals.is_reentrant_checkpoint(fn) else ()
    return [SavedSlot(f"ctx.{name}", tuple(value.shape), "unverifiable", message=CTX_REASON,
                      changed_by=ops_after(fn, value, diagnosis))
            for name, value in internals.ctx_tensors(fn).items() if name not in skip]


def compiled_region_slots(fn: Node, slots: list[SavedSlot], diagnosis: Diagnosis) -> list[SavedSlot]:
    """A torch.compile region: saves that pass the check are unverifiable all the same, with the ops on their
    memory that ran after the compiled forward; the ones AOTAutograd kept with no check at all are added."""
    saved = [t for _, raws in internals.raw_saved(fn) for t in map(internals.saved_data, raws) if t is not None]
    pairs: list[tuple[SavedSlot, torch.Tensor | None]] = list(zip(slots, saved, strict=False)) \
        if len(saved) == len(slots) else [(slot, None) for slot in slots]
    pairs += [(SavedSlot(f"ctx.unchecked[{k}]", tuple(t.shape), "ok"), t)
              for k, t in enumerate(internals.unchecked_compiled_saves(fn))]
    for slot, tensor in pairs:
        if slot.status == "ok":
            slot.status, slot.message = "unverifiable", COMPILED_REASON
            slot.changed_by = ops_after(fn, tensor, diagnosis) if tensor is not None else []
    return [slot for slot, _ in pairs]


def copy_slices_slot(fn: Node, diagnosis: Diagnosis) -> SavedSlot:
    """A CopySlices node hides the backward node of the in-place op on a view that made it. Its saves are proven
    untouched only when the forward was traced and nothing wrote that memory after the op; else unverifiable,
    naming the op and every later write."""
    made_by = diagnosis.op_that_made(fn)
    if made_by is None:
        why = "the forward was not traced" if diagnosis.events is None else "the op that made it was not traced"
        return SavedSlot("wrapped node", None, "unverifiable", message=f"{COPY_SLICES_REASON}; {why}")
    later = [e for log in diagnosis.logs for e in log.events_on_key(made_by.key)
             if e.order > made_by.order and not e.via_data]
    if not later:
        return SavedSlot(f"wrapped node of {made_by.op}", made_by.shape, "ok")
    return SavedSlot(f"wrapped node of {made_by}", made_by.shape, "unverifiable",
                     message=f"{COPY_SLICES_REASON}; that memory was written again after {made_by.op}, so backward "
                             f"may raise there", changed_by=sorted(later, key=lambda e: e.order))


def ops_after(fn: Node, tensor: torch.Tensor, diagnosis: Diagnosis) -> list[InplaceEvent]:
    """In-place ops on `tensor`'s storage that ran after node `fn` was created (so after it saved it)."""
    created = internals.sequence_nr(fn)
    return [e for e in diagnosis.on_storage(tensor) if e.newest_node_nr is not None and e.newest_node_nr >= created]


def unverifiable_reason(slots: list[SavedSlot]) -> str | None:
    """Why a node cannot be version-checked, or None when every slot could be."""
    reasons = dict.fromkeys(s.message for s in slots if s.status == "unverifiable")
    return "; ".join(reasons) or None  # type: ignore[arg-type]  # unverifiable slots carry a message


def project_frames(traceback: str | list[str], with_code: bool = False) -> list[str]:
    """The user's frames of a forward traceback (anomaly mode's warning text, or a node's traceback entries),
    outermost first: "src/minigpt/block.py:24", followed by its source line when with_code."""
    frames: list[str] = []
    for match in FRAME.finditer(traceback if isinstance(traceback, str) else "\n".join(traceback)):
        frame = f"{relative(match['file'])}:{match['line']}"
        if match["file"].startswith(NOT_OURS) or (frames and frames[-1].split("  ")[0] == frame):
            continue  # torch, the standard library, installed packages; a generator repeats its line's frame
        frames.append(f"{frame}  {match['code'].strip()}" if with_code else frame)
    return frames


def bumped_phrase(events: list[InplaceEvent], join: str | None) -> str:
    """", bumped by add_ at src/minigpt/block.py:24"; unseen steps are said to be unknown; empty when untraced."""
    if join is None:
        return ""
    named = list(map(str, events)) if len(events) == 1 else [
        f"{e.op} (v{e.version_before}->v{e.version_after}) at {e.site}" for e in events]
    if join in ("partial", "unknown"):
        named.append(UNTRACED)
    return ", bumped by " + ", ".join(named)


@dataclass
class Region:
    """A part of the backward graph, such as one layer: the node of its output and the nodes that made its
    inputs (a walk down from the output stops at those)."""

    output_index: int
    input_indices: list[int]
