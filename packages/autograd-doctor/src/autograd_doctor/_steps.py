"""Optimizer steps, recorded wherever they run: inside explain() or outside it, in the user's loop or a library's.

PyTorch's global optimizer hooks (`torch.optim.optimizer.register_optimizer_step_pre_hook` and
`..._post_hook`) run around every `step()` of every optimizer, with no change to the user's code and no
wrapper to forget. The pre-hook reads each parameter's version counter; the post-hook records one event per
parameter the step changed, with the optimizer's class, its variable name and the user's own call line, so a
saved weight that a step changed is named in the user's terms.

Fused steps (`fused=True` Adam, AdamW, SGD) write the parameters without bumping their version counters
(measured on torch 2.13.0 CPU), so a graph that saved a weight before the step backpropagates through the new
value with no error. While the watch is on, the post-hook bumps those versions itself
(`torch.autograd.graph.increment_version`), as the for-loop and foreach steps do: PyTorch then raises its own
error where it would compute silently wrong gradients.

Inside explain(), a step with no closure (and not differentiable=True) runs outside the doctor's function mode
(popped in the pre-hook, pushed back in the post-hook): its many small kernels each cost a Python call (half a
training step's torch calls in a for-loop Adam) and, under no_grad, can break no saved tensor the step does not
record itself. A step that raises never runs its post-hook; the mode comes back at the next step, the next call
of a root module, or the end of explain(), whichever is first.
"""

import sys
import weakref
from collections import deque
from functools import partial
from types import FrameType
from typing import Any

import torch
from torch.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook
from torch.utils.hooks import RemovableHandle

import autograd_doctor._torch_internals as internals
from autograd_doctor._events import InplaceEvent, OptimizerStep, next_order, storage_key
from autograd_doctor._modules import WATCH
from autograd_doctor._sites import call_sites, user_frame
from autograd_doctor._tracer import STATE

STEPS_PER_PARAMETER = 8  # steps kept per parameter: a graph alive across more steps than that is rare


class StepLog:
    """What each step changed, per parameter storage, the newest STEPS_PER_PARAMETER of each: kept as plain tuples
    on every step (a few hundred parameters a step), made into events only when an error is explained."""

    def __init__(self) -> None:
        self.by_key: dict[int, deque[tuple[int, OptimizerStep, int, int, weakref.ref[torch.Tensor]]]] = {}

    def add(self, step: OptimizerStep, parameter: torch.Tensor, before: int, after: int) -> None:
        key = storage_key(parameter)
        if key is None:
            return
        entries = self.by_key.get(key)
        if entries is None or (entries and entries[-1][4]() is None):  # a new parameter at a freed one's address
            entries = self.by_key[key] = deque(maxlen=STEPS_PER_PARAMETER)
        entries.append((next_order(), step, before, after, weakref.ref(parameter)))

    def events_on_key(self, key: int | None) -> list[InplaceEvent]:
        """The kept steps on the storage at `key`, as events, oldest first."""
        events = []
        for order, step, before, after, ref in self.by_key.get(key, ()) if key is not None else ():
            parameter = ref()
            if parameter is not None:
                events.append(InplaceEvent(
                    op=f"{step.optimizer}.step()", shape=tuple(parameter.shape), version_before=before,
                    version_after=after, site=step.site, in_graph=False, called_from=step.called_from, step=step,
                    key=key, alive=partial(is_alive, ref), target=ref, order=order))
        return events

    def on_storage(self, tensor: torch.Tensor) -> list[InplaceEvent]:
        """The kept steps that changed `tensor`'s storage, as events, oldest first."""
        return self.events_on_key(storage_key(tensor))

    def sweep(self) -> None:
        """Drop the steps of parameters that no longer exist."""
        self.by_key = {k: v for k, v in self.by_key.items() if v and v[-1][4]() is not None}

    def clear(self) -> None:
        self.by_key.clear()

    def __len__(self) -> int:
        return sum(map(len, self.by_key.values()))


class StepWatch:
    """The global optimizer hooks and the steps they record into `log`."""

    def __init__(self) -> None:
        self.log = StepLog()
        self.names: weakref.WeakKeyDictionary[torch.optim.Optimizer, str | None] = weakref.WeakKeyDictionary()
        self.handles: list[RemovableHandle] = []
        self.before: dict[int, list[tuple[torch.Tensor, int]]] = {}
        self.suspended: list[tuple[int, object]] = []  # (id of the optimizer stepping, the mode it stepped out of)

    @property
    def on(self) -> bool:
        return bool(self.handles)

    def start(self) -> None:
        """Install the hooks, once per process; they stay until stop()."""
        if not self.handles:
            self.handles = [register_optimizer_step_pre_hook(self.before_step),
                            register_optimizer_step_post_hook(self.after_step)]

    def resume(self) -> None:
        """Put back every mode a step stepped out of and did not come back to (it raised), innermost last."""
        WATCH.on_root_call = None
        while self.suspended:
            internals.push_function_mode(self.suspended.pop(0)[1])

    def stop(self) -> None:
        """Remove the hooks and forget the steps: fused steps leave versions as PyTorch does, until the next
        explain() or watch_optimizer_steps()."""
        for handle in self.handles:
            handle.remove()
        self.handles = []
        self.log.clear()

    def before_step(self, optimizer: torch.optim.Optimizer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.resume()  # a step that raised left its mode off
        STATE.in_step = 1  # not a count: a step that raised never ran its post-hook
        # traced as before: a closure (LBFGS runs a forward and a backward inside), a differentiable step (its
        # kernels run with grad on and build a graph)
        traced = len(args) > 1 or kwargs.get("closure") is not None or \
            any(group.get("differentiable") for group in optimizer.param_groups)
        mode = internals.innermost_function_mode()
        if not traced and getattr(mode, "steps_record_themselves", False):  # off first: `p.grad` reaches it
            self.suspended.append((id(optimizer), internals.pop_function_mode()))
            WATCH.on_root_call = self.resume
        self.before[id(optimizer)] = [(p, p._version) for group in optimizer.param_groups for p in group["params"]
                                      if p.grad is not None]

    def after_step(self, optimizer: torch.optim.Optimizer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        STATE.in_step = 0
        try:
            self.record_step(optimizer, sys._getframe(1))
        finally:  # the mode back last: the tensor reads above would each have reached it
            if self.suspended and self.suspended[-1][0] == id(optimizer):
                internals.push_function_mode(self.suspended.pop()[1])
                WATCH.on_root_call = None

    def record_step(self, optimizer: torch.optim.Optimizer, frame: FrameType) -> None:
        """What the step changed, one entry per parameter; a fused step's changes bumped as the others bump them."""
        before = self.before.pop(id(optimizer), [])
        fused = any(group.get("fused") for group in optimizer.param_groups)
        if fused:  # fused kernels leave the version counters as they were: bump them as the others do
            torch.autograd.graph.increment_version([p for p, _ in before])
        site, called_from = call_sites(frame)
        if optimizer not in self.names:  # the user's name for it, looked up once
            self.names[optimizer] = variable_name(optimizer, frame)
        step = OptimizerStep(type(optimizer).__name__, self.names[optimizer], site, called_from, fused)
        for parameter, version in before:
            if parameter._version != version:
                self.log.add(step, parameter, version, parameter._version)


def is_alive(ref: weakref.ref[torch.Tensor]) -> bool:
    return ref() is not None


def variable_name(optimizer: torch.optim.Optimizer, frame: FrameType | None) -> str | None:
    """The name the user's frame holds the optimizer under (`opt_d`, `self.opt_d`), or None."""
    frame = user_frame(frame)
    if frame is None:
        return None
    for name, value in frame.f_locals.items():
        if value is optimizer:
            return str(name)
    owner = frame.f_locals.get("self")
    for name, value in (vars(owner).items() if hasattr(owner, "__dict__") else ()):
        if value is optimizer:
            return f"self.{name}"
    return None


STEPS = StepWatch()


def watch_optimizer_steps() -> StepWatch:
    """Record every optimizer step from now on, inside explain() or not, and bump the versions fused steps leave
    unchanged, so PyTorch's own check sees them; explain() and `autograd-doctor run` call it. Idempotent; the
    watch returned has `stop()`."""
    STEPS.start()
    return STEPS
