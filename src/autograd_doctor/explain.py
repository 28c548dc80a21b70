"""explain(): PyTorch's version-check error, followed by what the doctor knows about it.

The forward runs under the in-place tracer only (no anomaly mode, no walk). Nothing else happens until a
backward raises the version error: then the graph is walked from the loss (the node that failed has not
released its saves yet), the failing slot is found by PyTorch's own message, and the error is raised again,
same type, PyTorch's text first, with the node, its module and every mutation's op and line after it.
"""

import contextlib
import inspect
import weakref
from typing import Iterator

import torch

from autograd_doctor.doctor import Break, Diagnosis, DoctorReport, diagnose_roots
from autograd_doctor.saved_tensors import is_version_error
from autograd_doctor.tracer import InplaceTracer, tensors_in

BACKWARD_CALLS = (torch.Tensor.backward, torch.autograd.backward, torch.autograd.grad)
HEADER = "autograd_doctor:"


class ExplainTracer(InplaceTracer):
    """The in-place tracer that also catches backward's version error and adds the doctor's findings to it."""

    def __init__(self):
        super().__init__()
        self.modules: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # id -> module called

    def note_module(self, module: torch.nn.Module, args) -> None:
        self.modules[id(module)] = module

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if torch.compiler.is_compiling():  # dynamo tracing through us: keep its graph whole, as without explain
            return func(*args, **(kwargs or {}))
        if func in BACKWARD_CALLS:
            return self.backward(func, args, kwargs or {})
        return super().__torch_function__(func, types, args, kwargs)

    def backward(self, func, args, kwargs):
        """Run a backward; on the version error, raise it again with the doctor's findings appended."""
        roots = [t.grad_fn for t in tensors_in(args[:1], {k: v for k, v in kwargs.items()
                                                          if k in ("tensors", "outputs")})]
        try:
            result = func(*args, **kwargs)
        except RuntimeError as error:
            if not is_version_error(error):
                raise
            raise type(error)(f"{error}\n\n{self.findings(error, roots)}").with_traceback(error.__traceback__) \
                from None
        bound = inspect.signature(func).bind(*args, **kwargs).arguments
        if not (bound.get("retain_graph") or bound.get("create_graph")):
            self.forget()  # that graph is gone: its events can no longer explain anything
        return result

    def forget(self) -> None:
        """Drop the events and aliases kept so far (and the storages they hold alive)."""
        self.events.clear()
        self.data_aliases.clear()

    def findings(self, error: RuntimeError, roots: list) -> str:
        """The doctor's paragraph for `error`: the failing slot, its module, the ops and lines that bumped it."""
        report = diagnose_roots(roots, Diagnosis(list(self.events), None, self.parameter_names(),
                                                 skip_freed=True))
        return explanation(report, str(error))

    def parameter_names(self) -> dict[int, str]:
        """id(parameter) -> its name in the outermost module called under explain ("blocks.0.ln1.weight")."""
        modules = list(self.modules.values())
        inner = {id(m) for module in modules for m in module.modules() if m is not module}
        names = {}
        for root in (m for m in modules if id(m) not in inner):
            for name, parameter in root.named_parameters():
                names.setdefault(id(parameter), name)
        return names


def explanation(report: DoctorReport, message: str) -> str:
    """What to add below PyTorch's message: the slot whose check failed and the ops that bumped it, then every
    other clobbered slot backward would meet next."""
    failing = [b for b in report.breaks if b.message == message]
    others = [b for b in report.breaks if b.message != message]
    if not failing:
        return (f"{HEADER} the saved tensor of this error is no longer in the graph (backward released it): "
                f"the op that changed it is unknown")
    lines = [f"{HEADER} the saved tensor is {describe(failing[0])}"]
    lines += [f"  {e.op} (v{e.version_before}->v{e.version_after}) at {e.site}" for e in failing[0].bumped_by]
    if failing[0].join in ("partial", "unknown", None):
        lines.append("  and an op the tracer did not see: unknown which" if failing[0].bumped_by else
                     "  the op that bumped it is unknown (the tracer saw none on its memory)")
    if others:
        lines.append(f"{HEADER} {len(others)} more clobbered saved tensor(s) backward would fail on next:")
        lines += [f"  {describe(b)}; " + ", ".join(map(str, b.bumped_by)) if b.bumped_by else f"  {describe(b)}"
                  for b in others]
    return "\n".join(lines)


def describe(found: Break) -> str:
    """"input [64, 12, 64] of NativeLayerNormBackward0 in blocks.1.ln2, saved at v3, now v4"."""
    where = f" in {found.module}" if found.module else ""
    return (f"{found.slot} {list(found.shape)} of {found.node}{where}, saved at v{found.saved_version}, "
            f"now v{found.found_version}")


def split_explanation(message: str) -> tuple[str, str | None]:
    """(PyTorch's message, the doctor's lines or None) from the text of an error `explain` raised."""
    pytorch, found, findings = message.partition(f"\n\n{HEADER}")
    return (pytorch, HEADER + findings) if found else (message, None)


@contextlib.contextmanager
def explain() -> Iterator[ExplainTracer]:
    """`with explain(): loss = model(x); loss.backward()`: backward's version error, if it comes, also says
    which saved tensor it is, in which module, and the op and file:line of each in-place change to it."""
    tracer = ExplainTracer()
    handle = torch.nn.modules.module.register_module_forward_pre_hook(tracer.note_module)
    try:
        with tracer:
            yield tracer
    finally:
        handle.remove()
