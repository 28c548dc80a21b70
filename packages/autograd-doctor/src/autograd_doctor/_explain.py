"""explain(): PyTorch's version-check error, as it is, with what the doctor knows about it as exception notes.

The forward runs under the in-place tracer only (no anomaly mode, no walk). Nothing else happens until a
backward raises the version error: then the graph is walked from the loss (the node that failed has not
released its saves yet), the failing slot is found by PyTorch's own message, and the doctor's lines are added to
the same exception object as a note (PEP 678): `str(error)` stays PyTorch's message, every traceback printer
shows the note. The events of every explain() go to one log, kept while their memory lives (see _events), so a
forward under one explain() and a backward under another are still joined; optimizer steps are recorded
wherever they run (see _steps).
"""

import inspect
import sys
from collections.abc import Callable, Sequence
from types import FrameType, TracebackType
from typing import Any, Literal

import torch
from torch.autograd.graph import Node

import autograd_doctor._torch_internals as internals
from autograd_doctor._doctor import Break, Diagnosis, DoctorReport, Unverifiable, diagnose_roots, where_made
from autograd_doctor._events import EventLog, InplaceEvent
from autograd_doctor._modules import WATCH
from autograd_doctor._saved_tensors import is_version_error
from autograd_doctor._sites import PACKAGE_DIR, call_sites, is_ours
from autograd_doctor._steps import STEPS, watch_optimizer_steps
from autograd_doctor._tracer import STATE, CreationSites, InplaceTracer, tensors_in

BACKWARD_CALLS = (torch.Tensor.backward, torch.autograd.backward)
GRAD_CALLS = (torch.autograd.grad,)
HEADER = "autograd_doctor:"
NODES_KEPT = 100_000  # node-creating calls whose line and module are kept: a few hundred steps of a small model
SHOWN = 8  # entries printed per list; the rest are counted
OPS_PER_STORAGE = 1024  # in-place ops kept per storage: an in-place residual in a 512-layer model is still whole
LOG = EventLog(per_storage=OPS_PER_STORAGE)
STEP_ADVICE = "step after every backward that uses this graph, or recompute the forward"


class ExplainTracer(InplaceTracer):
    """The in-place tracer that also catches backward's version error and adds the doctor's findings to it."""

    steps_record_themselves = True

    def __init__(self) -> None:
        super().__init__(sites=True, log=LOG)
        self.sites = CreationSites(keep=NODES_KEPT)
        self.stack_of_call = first_project_frame  # one frame per node: what explain() can afford on every call

    intercepted = frozenset((*BACKWARD_CALLS, *GRAD_CALLS))

    def intercept(self, func: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
        return self.backward(func, args, kwargs)  # never while compiling: __torch_function__ checks that first

    def backward(self, func: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
        """Run a backward (with this tracer on, so ops a custom Function's backward or a hook runs are seen);
        on the version error, add the doctor's findings to it as a note and let it go on."""
        bound = inspect.signature(func).bind(*args, **kwargs).arguments
        tensors: Any = bound.get("self", bound.get("tensors", bound.get("outputs")))
        roots = [t.grad_fn for t in tensors_in((tensors,), {})]
        site, called_from = call_sites(sys._getframe(2))
        outer, STATE.backward_site = STATE.backward_site, f"the backward called at {called_from or site}"
        try:
            if func in BACKWARD_CALLS:
                with self:
                    internals.run_backward(tensors, bound.get("gradient", bound.get("grad_tensors")),
                                           bound.get("retain_graph"), bound.get("create_graph", False),
                                           bound.get("inputs"))
                result = None
            else:
                result = func(*args, **kwargs)
        except RuntimeError as error:
            if is_version_error(error) and not doctor_notes(error):
                error.add_note(self.safe_findings(error, roots))
            raise
        finally:
            STATE.backward_site = outer
        if not (bound.get("retain_graph") or bound.get("create_graph")):
            LOG.sweep()  # that graph is gone: events whose memory went with it can explain nothing
            STEPS.log.sweep()
        return result

    def safe_findings(self, error: RuntimeError, roots: list[Node | None]) -> str:
        """The findings, or, if reading the graph fails, a line that says so: PyTorch's error always goes on."""
        try:
            return self.findings(error, roots)
        except Exception as failure:  # noqa: BLE001 - the user's error matters more than the doctor's
            return f"{HEADER} the doctor could not read this graph ({type(failure).__name__}: {failure}); unknown"

    def findings(self, error: RuntimeError, roots: list[Node | None]) -> str:
        """The doctor's lines for `error`: the failing slot, its module, the ops and lines that bumped it."""
        events = list(LOG)
        parameter_names = WATCH.parameter_names()
        module_names = WATCH.module_names()
        for event in events:
            module = event.module_ref() if event.module_ref is not None else None
            if module is not None:
                event.module, event.module_kind, event.built_at = WATCH.describe(module, module_names)
        diagnosis = Diagnosis(sorted(events, key=lambda e: e.order), self.sites, parameter_names, skip_freed=True,
                              logs=[LOG, STEPS.log], module_names=module_names)
        return explanation(diagnose_roots(roots, diagnosis), str(error), parameter_names)


def first_project_frame() -> tuple[str, int] | list[tuple[str, int]]:
    """The user's innermost frame, as (file, line) formatted only if asked: what explain() keeps of where each node
    was made, on every call that makes one."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        code = frame.f_code
        if is_ours(code.co_filename):
            return code.co_filename, frame.f_lineno
        frame = frame.f_back
    return []


def explanation(report: DoctorReport, message: str, parameter_names: dict[int, str]) -> str:
    """What to add below PyTorch's message: every slot whose check fails with this message and the changes that
    bumped it, then every other clobbered slot backward would meet next."""
    failing = [b for b in report.breaks if b.message == message]
    others = [b for b in report.breaks if b.message != message]
    if not failing:
        return unmatched(report, message)
    lines = [f"{HEADER} the saved tensor is {describe(failing[0])}" if len(failing) == 1 else
             f"{HEADER} {len(failing)} saved tensors fail with this very message (backward met one of them first):"]
    for found in failing[:SHOWN]:
        if len(failing) > 1:
            lines.append(f"  {describe(found)}")
        lines += [f"    {change(e, parameter_names)}" for e in found.bumped_by]
        if found.join in ("partial", "unknown"):
            lines.append("    and a change the tracer did not see or no longer keeps: unknown which" if found.bumped_by
                         else "    the change that bumped it is unknown: the tracer saw none on its memory")
    if len(failing) > SHOWN:
        lines.append(f"  and {len(failing) - SHOWN} more with this message")
    if others:
        lines.append(f"{HEADER} {len(others)} more clobbered saved tensor(s) backward would fail on next:")
        for found in others[:SHOWN]:
            lines.append(f"  {describe(found)}")
            lines += [f"    {change(e, parameter_names)}" for e in found.bumped_by]
        if len(others) > SHOWN:
            lines.append(f"  and {len(others) - SHOWN} more")
    return "\n".join(lines)


def unmatched(report: DoctorReport, message: str) -> str:
    """When no readable slot fails with this message: a save hidden inside a CopySlices node, or unknown."""
    hidden = [u for u in report.unverifiable if "CopySlices" in u.reason and u.changed_by]
    if hidden:
        lines = [f"{HEADER} the saved tensor of this error is out of Python's reach, inside {describe_hidden(u)}"
                 for u in hidden]
        lines += [f"    changed after that by {e}" for u in hidden for e in u.changed_by]
        return "\n".join(lines)
    return (f"{HEADER} no saved tensor the doctor can read fails with this message: it belongs to a node that "
            f"backward already ran and released, or to one no Python API reaches; the change that bumped it is "
            f"unknown")


def describe_hidden(found: Unverifiable) -> str:
    where = where_made(found.module, found.source)
    return f"a CopySlices node{where}: {found.reason.split('; ', 1)[0]}"


def change(event: InplaceEvent, parameter_names: dict[int, str]) -> str:
    """One change to a save, in the user's terms; an optimizer step says which parameter and what to do."""
    if event.step is None:
        return f"{event.op} (v{event.version_before}->v{event.version_after}) {event.where()}" + \
            (f", during {event.during_backward}" if event.during_backward else "")
    parameter = event.target() if event.target is not None else None
    name = parameter_names.get(id(parameter), f"a parameter {list(event.shape)}")
    return (f"{event.step} changed {name} in place (v{event.version_before}->v{event.version_after}) after this "
            f"graph saved it: {STEP_ADVICE}")


def describe(found: Break) -> str:
    """"input [64, 12, 64] of NativeLayerNormBackward0 in model.blocks.1.ln2 (created at src/minigpt/block.py:41),
    saved at v3, now v4"."""
    where = where_made(found.module, found.source)
    return (f"{found.slot} {list(found.shape)} of {found.node}{where}, saved at v{found.saved_version}, "
            f"now v{found.found_version}")


def doctor_notes(error: BaseException) -> str | None:
    """The doctor's lines that explain() added to `error` as a note, or None."""
    notes = [n for n in getattr(error, "__notes__", []) if isinstance(n, str) and n.startswith(HEADER)]
    return "\n".join(notes) or None


class explain:  # noqa: N801 - used as a function: `with autograd_doctor.explain():`
    """`with explain(): loss = model(x); loss.backward()`: backward's version error, if it comes, also says which
    saved tensor it is, in which module, and the op and line of each in-place change to it (an optimizer step's
    too, wherever it ran), as a note on PyTorch's own exception. Errors leave it with no frame of the doctor's."""

    def __enter__(self) -> ExplainTracer:
        self.tracer = ExplainTracer()
        watch_optimizer_steps()
        STEPS.resume()  # a step that raised in an earlier block: its mode goes back below this one
        STATE.in_step = 0
        WATCH.start()
        try:
            self.tracer.__enter__()  # type: ignore[no-untyped-call]
        except BaseException:
            WATCH.stop()
            raise
        return self.tracer

    def __exit__(self, kind: type | None, error: BaseException | None,
                 traceback: TracebackType | None) -> Literal[False]:
        try:
            STEPS.resume()  # a step that raised inside the block left the tracer off the mode stack
            self.tracer.__exit__(kind, error, traceback)  # type: ignore[no-untyped-call]
        finally:
            WATCH.stop()
        if error is not None and error.__traceback__ is not None:
            error.__traceback__ = without_doctor_frames(error.__traceback__)
        return False


def without_doctor_frames(traceback: TracebackType) -> TracebackType | None:
    """The traceback less the frames the doctor's function mode put in it: its own, and the torch frame that
    handed a call to it (`handle_torch_function`) with the frame that made that hand-over."""
    entries = []
    tb: TracebackType | None = traceback
    while tb is not None:
        entries.append(tb)
        tb = tb.tb_next
    drop = set()
    for k, entry in enumerate(entries):
        if entry.tb_frame.f_code.co_filename.startswith(PACKAGE_DIR):
            drop.add(k)
        elif entry.tb_frame.f_code.co_name == "handle_torch_function" and k + 1 < len(entries) and \
                entries[k + 1].tb_frame.f_code.co_filename.startswith(PACKAGE_DIR):
            drop.update({k, k - 1} if k > 0 and not is_ours(entries[k - 1].tb_frame.f_code.co_filename) else {k})
    kept = [entry for k, entry in enumerate(entries) if k not in drop]
    for entry, after in zip(kept, kept[1:] + [None], strict=False):
        entry.tb_next = after
    return kept[0] if kept else None
