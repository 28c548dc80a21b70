"""Every PyTorch internal the doctor reads, in one place: a PyTorch upgrade touches this file only.

Each function says why no public API serves. Checked against torch 2.13.0.
"""

import functools
import operator
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
from torch.autograd.function import BackwardCFunction
from torch.autograd.graph import Node

# The version counter. No public reader exists; `_version` is what PyTorch's own tests and
# `allow_mutation_on_saved_tensors` read. A view shares its base's counter and detach() shares its
# source's (the note in c10/core/TensorImpl.h, "Version counters may be shared"); `.data` gets a new one.
version = operator.attrgetter("_version")

# The next sequence number autograd will give a node (thread-local, monotonic): which call created which
# node, without anomaly mode's traceback per node. No public API exposes the counter.
next_sequence_nr = torch._C._autograd._get_sequence_nr


def sequence_nr(node: Node) -> int:
    """The node's creation number; the engine runs newer ready nodes first. Not in the public Node API."""
    return node._sequence_nr()


def next_nodes(node: Node) -> list[Node]:
    """The nodes this one sends gradients to. `next_functions` is undocumented on torch.autograd.graph.Node
    (only `name`, `metadata` and the hooks are), so it lives here too."""
    return [n for n, _ in node.next_functions if n is not None]


@functools.cache  # attribute names are per node class: dir() once per class, not once per node
def _saved_attributes(node_class: type) -> tuple[tuple[str, ...], tuple[str, ...]]:
    names = dir(node_class)
    raw = tuple(a for a in names if a.startswith("_raw_saved_"))
    values = tuple(a for a in names if a.startswith("_saved_") and "_raw" + a not in names)
    return raw, values


def raw_saved(node: Node, skip_freed: bool = False) -> Iterator[tuple[str, Any]]:
    """(name, SavedTensor or list of them) for every tensor slot. Generated nodes expose their SavedVariables
    only as `_raw_saved_<name>`; no public API lists a node's saved tensors. A list slot that backward already
    released raises on reading; with `skip_freed` it is left out."""
    for attr in _saved_attributes(type(node))[0]:
        try:
            value = getattr(node, attr)
        except RuntimeError:
            if skip_freed:
                continue
            raise
        yield attr.removeprefix("_raw_saved_"), value


def saved_values(node: Node) -> dict[str, Any]:
    """The node's saved non-tensors (sizes, dims, alpha), as `_saved_<name>`: no public API lists them."""
    return {attr.removeprefix("_saved_"): getattr(node, attr) for attr in _saved_attributes(type(node))[1]}


def unpack_slot(node: Node, name: str) -> object:
    """The saved tensor through PyTorch's own version check (`_saved_<name>` runs SavedVariable::unpack)."""
    return getattr(node, "_saved_" + name)


def unpack_list_item(node: Node, name: str, k: int) -> object:
    """Item k of a saved list with the check. A Function's own outputs unpack only with the whole list
    (`saved_tensors`, which checks every item, so the first clobbered one raises)."""
    try:
        return getattr(node, "_raw_saved_" + name)[k].unpack()
    except RuntimeError as e:
        if "inplace operation" in str(e):
            raise
    return node.saved_tensors[k]  # type: ignore[attr-defined]


def saved_data(raw: Any) -> torch.Tensor | None:
    """The saved tensor without the check (`SavedTensor.data`), None for an optional input not given:
    what to join with in-place events when the check fails."""
    data: torch.Tensor | None = raw.data
    return data


def unpack_hook(raw: Any) -> Callable[..., Any] | None:
    """The saved-tensor hook that will unpack this slot, or None. While one is set, unpack skips the version
    check; `SavedTensor.unpack_hook` is the only way to see that a slot was packed by a hook."""
    hook: Callable[..., Any] | None = raw.unpack_hook
    return hook


def creation_traceback(node: Node) -> list[str]:
    """The forward stack anomaly mode stored for the node: `metadata["traceback_"]` is documented as a dict
    but its key is an implementation detail."""
    metadata: dict[str, Any] = node.metadata  # type: ignore[assignment]  # a property at runtime
    traceback: list[str] = metadata.get("traceback_", []) if metadata else []
    return traceback


def accumulated_variable(node: Node) -> torch.Tensor | None:
    """The leaf an AccumulateGrad node accumulates into (`.variable`, absent from the public Node API)."""
    variable: torch.Tensor | None = getattr(node, "variable", None)
    return variable


def is_custom_function(node: Node) -> bool:
    """A node made by a Python autograd.Function: its ctx is the node (BackwardCFunction, undocumented)."""
    return isinstance(node, BackwardCFunction)


def ctx_tensors(node: Node) -> dict[str, torch.Tensor]:
    """Tensors a custom Function kept as ctx attributes (outside save_for_backward): the ctx's __dict__."""
    return {k: v for k, v in vars(node).items() if isinstance(v, torch.Tensor)}


def forward_class(node: Node) -> type | None:
    """The autograd.Function class behind a custom node (`_forward_cls`, set by Function's metaclass)."""
    cls: type | None = getattr(type(node), "_forward_cls", None)
    return cls


# torch.utils.checkpoint's reentrant Function keeps the RNG state to replay dropout in the recompute: a
# ByteTensor of generator state, not a differentiable save (torch/utils/checkpoint.py, CheckpointFunction).
CHECKPOINT_RNG_STATES = frozenset({"fwd_cpu_state"})


def is_reentrant_checkpoint(node: Node) -> bool:
    """Whether the node is torch.utils.checkpoint's reentrant CheckpointFunction."""
    cls = forward_class(node)
    return cls is not None and cls.__module__ == "torch.utils.checkpoint" and cls.__name__ == "CheckpointFunction"


def node_kind(node: Node) -> str:
    """What the doctor must do beyond the saved slots: "copy_slices", "compiled", "custom" or "plain"."""
    return _kind_of_class(type(node))


@functools.cache  # one answer per node class: the walk asks once per node, up to 100k times
def _kind_of_class(node_class: type) -> str:
    if node_class.__name__ == "CopySlices":
        # An in-place op on a view: CopySlices keeps the op's own backward node as a C++ member (`fn`, in
        # torch/csrc/autograd/functions/tensor.h) with no Python binding, so that node's saves cannot be read.
        return "copy_slices"
    if node_class.__name__ == "CompiledFunctionBackward":
        # A torch.compile (AOTAutograd) region: one node stands for its whole backward graph, and its saves
        # are the compiled graph's, some kept outside the check.
        return "compiled"
    return "custom" if issubclass(node_class, BackwardCFunction) else "plain"


def unchecked_compiled_saves(node: Node) -> list[torch.Tensor]:
    """What AOTAutograd saved with no version check (`ctx._tensors_no_vc_check`, torch/_functorch/_aot_autograd):
    where an in-place change after the compiled forward goes unnoticed."""
    return [t for t in getattr(node, "_tensors_no_vc_check", None) or [] if isinstance(t, torch.Tensor)]


def checkpoint_inputs(hook: Callable[..., Any]) -> tuple[object, list[Any]] | None:
    """For a slot packed by non-reentrant checkpoint: its frame and the SavedTensors of the checkpoint's inputs,
    which backward unpacks, with the version check, to recompute. They sit in the hook's closure
    (`frame.saved_args`, torch/utils/checkpoint.py), not in the graph, and no API reaches them."""
    code = getattr(hook, "__code__", None)
    if code is None or getattr(hook, "__module__", "") != "torch.utils.checkpoint" or "frame" not in code.co_freevars:
        return None
    frame = hook.__closure__[code.co_freevars.index("frame")].cell_contents  # type: ignore[index]
    saved = [arg for arg in getattr(frame, "saved_args", []) if hasattr(arg, "unpack") and hasattr(arg, "data")]
    return frame, saved


def run_backward(tensors: torch.Tensor | Sequence[torch.Tensor],
                 grad_tensors: torch.Tensor | Sequence[torch.Tensor | None] | None = None,
                 retain_graph: bool | None = None, create_graph: bool = False,
                 inputs: torch.Tensor | Sequence[torch.Tensor] | None = None) -> None:
    """`torch.autograd.backward` past its torch-function dispatch, so the engine runs with the caller's function
    modes on the stack: a mode that handles `backward` is popped while it does, and the public function would
    dispatch to it again rather than run. Mirrors torch/autograd/__init__.py's body after that check."""
    from torch.autograd import _make_grads, _tensor_or_tensors_to_tuple
    from torch.autograd.graph import _engine_run_backward

    tensors = (tensors,) if isinstance(tensors, torch.Tensor) else tuple(tensors)
    inputs = (inputs,) if isinstance(inputs, torch.Tensor) else tuple(inputs) if inputs is not None else ()
    grads = _make_grads(tensors, _tensor_or_tensors_to_tuple(grad_tensors, len(tensors)), is_grads_batched=False)
    _engine_run_backward(tensors, grads, create_graph if retain_graph is None else retain_graph, create_graph, inputs,
                         allow_unreachable=True, accumulate_grad=True)


def innermost_function_mode() -> object | None:
    """The TorchFunctionMode on top of this thread's stack, or None. `torch.overrides` reads the stack only through
    private helpers (`_get_current_function_mode_stack`), which call these."""
    depth = torch._C._len_torch_function_stack()
    return torch._C._get_function_stack_at(depth - 1) if depth else None


def pop_function_mode() -> object:
    """Take the innermost TorchFunctionMode off the stack, to step outside it for a region that has no `with` of its
    own (an optimizer step, between its pre- and post-hooks). The public ways out are `with` blocks only."""
    return torch._C._pop_torch_function_stack()


def push_function_mode(mode: object) -> None:
    """Put a mode popped by pop_function_mode back on top of the stack."""
    torch._C._push_on_torch_function_stack(mode)
