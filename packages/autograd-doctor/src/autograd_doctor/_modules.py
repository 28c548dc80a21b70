"""Modules in the user's terms: each root model by the name the user calls it by, every module by its path in that
root ("critic1.net.2"), the module running when an op ran, and where a built-in module was constructed.

PyTorch's global module hooks (`torch.nn.modules.module.register_module_forward_pre_hook`, its forward hook with
`always_call=True`, and `register_module_module_registration_hook`) see every module of every model without
touching the user's code. A module called while no other is running is a root; its name is the variable that
holds it in the calling frame (`critic1(obs)`, `self.critic1(obs)`), else its class with a number.
"""

import sys
import weakref
from collections.abc import Callable
from typing import Any

from torch import nn
from torch.utils.hooks import RemovableHandle

from autograd_doctor._sites import argument_site, call_sites, user_frame


class ModuleWatch:
    """The global module hooks and what they learnt: roots with names, the running stack, construction sites."""

    def __init__(self) -> None:
        self.running: list[nn.Module] = []
        self.running_refs: list[weakref.ref[nn.Module]] = []  # the same, held weakly: what a node's site keeps
        self.roots: dict[int, tuple[weakref.ref[nn.Module], str]] = {}  # id -> (module, its name), in first-call order
        self.last_call: dict[int, int] = {}  # id -> when it was last called as a root
        self.calls = 0
        self.built_at: weakref.WeakKeyDictionary[nn.Module, str] = weakref.WeakKeyDictionary()
        self.handles: list[RemovableHandle] = []
        self.users = 0
        self.on_root_call: Callable[[], None] | None = None  # set while an optimizer step that raised left work undone

    def start(self) -> None:
        """Install the hooks (nested starts share them)."""
        self.users += 1
        if self.users == 1:
            hooks = nn.modules.module
            self.handles = [hooks.register_module_forward_pre_hook(self.before_forward),
                            hooks.register_module_forward_hook(self.after_forward, always_call=True),
                            hooks.register_module_module_registration_hook(self.registered)]

    def stop(self) -> None:
        """Remove the hooks once the last user stops; what was learnt is kept."""
        self.users -= 1
        if self.users == 0:
            for handle in self.handles:
                handle.remove()
            self.handles, self.running, self.running_refs = [], [], []

    def before_forward(self, module: nn.Module, args: tuple[Any, ...]) -> None:
        if not self.running:
            if self.on_root_call is not None:
                self.on_root_call()
            if id(module) not in self.roots or self.roots[id(module)][0]() is not module:
                self.roots[id(module)] = (weakref.ref(module), self.root_name(module))
            self.calls += 1
            self.last_call[id(module)] = self.calls
        self.running.append(module)
        self.running_refs.append(weakref.ref(module))

    def after_forward(self, module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
        if self.running and self.running[-1] is module:
            self.running.pop()
            self.running_refs.pop()

    def registered(self, parent: nn.Module, name: str, child: nn.Module | None) -> None:
        if child is not None and child not in self.built_at:
            op_site, user_site = call_sites(sys._getframe(1))
            frame = user_frame(sys._getframe(1)) if name.isdigit() else None  # nn.Sequential(a, b): b's own line
            self.built_at[child] = (argument_site(frame, int(name)) if frame is not None else None) or \
                user_site or op_site

    def root_name(self, module: nn.Module) -> str:
        """The variable that holds `module` where the user called it, or its class and a number."""
        frame = user_frame(sys._getframe(2))
        if frame is not None:
            for name, value in frame.f_locals.items():
                if value is module:
                    return name
            owner = frame.f_locals.get("self")
            for name, value in (vars(owner).items() if hasattr(owner, "__dict__") else ()):
                if value is module:
                    return name
        same = sum(1 for ref, _ in self.roots.values() if type(ref()) is type(module))
        return f"{type(module).__name__}#{same + 1}"

    def live_roots(self) -> list[tuple[nn.Module, str]]:
        """The roots still alive, each with its name, the latest called first: of two under one name (a notebook
        cell run again), the latest keeps it and the older ones get "name (earlier #1)"."""
        roots = [(ref(), name, self.last_call.get(key, 0)) for key, (ref, name) in self.roots.items()]
        alive = sorted(((m, name, t) for m, name, t in roots if m is not None), key=lambda r: -r[2])
        inner = {id(sub) for m, _, _ in alive for sub in m.modules() if sub is not m}
        alive = [(m, name, t) for m, name, t in alive if id(m) not in inner]  # a root later called inside another
        named: list[tuple[nn.Module, str]] = []
        seen: dict[str, int] = {}
        for m, name, _ in alive:
            seen[name] = seen.get(name, 0) + 1
            named.append((m, name if seen[name] == 1 else f"{name} (earlier #{seen[name] - 1})"))
        return named

    def current_ref(self) -> weakref.ref[nn.Module] | None:
        """The innermost module running now, held weakly."""
        return self.running_refs[-1] if self.running_refs else None

    def current(self) -> nn.Module | None:
        """The innermost module running now."""
        return self.running[-1] if self.running else None

    def module_names(self) -> dict[int, str]:
        """id(module) -> "critic1.net.2" for every module of every live root."""
        names: dict[int, str] = {}
        for root, root_name in self.live_roots():
            for name, sub in root.named_modules():
                names.setdefault(id(sub), f"{root_name}.{name}" if name else root_name)
        return names

    def parameter_names(self) -> dict[int, str]:
        """id(parameter) -> "critic1.net.2.weight" for every parameter of every live root."""
        names: dict[int, str] = {}
        for root, root_name in self.live_roots():
            for name, parameter in root.named_parameters():
                names.setdefault(id(parameter), f"{root_name}.{name}")
        return names

    def describe(self, module: nn.Module, names: dict[int, str]) -> tuple[str, str | None, str | None]:
        """(its path "critic1.net.2", and for a torch.nn built-in its kind "ReLU(inplace=True)" and where it was
        built when the doctor saw it; a user's own module by its path alone)."""
        path = names.get(id(module), type(module).__name__)
        if type(module).__module__.startswith("torch.nn"):  # a built-in: the user changes where it is built
            return path, f"{type(module).__name__}({module.extra_repr()})", self.built_at.get(module)
        return path, None, None


WATCH = ModuleWatch()
