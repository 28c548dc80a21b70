"""A tiny NumPy autograd: a tape of nodes that save forward values, and the same in-place break.

Each op records a Node holding references to the arrays its backward needs (not copies, as in
PyTorch). `add_` changes a tensor's array in place and rebases its history onto a new node, so a
node that saved the old array now reads the new one. With `check_versions=False` the backward
runs on the mutated value and returns a wrong gradient without a word; with the version counter
checked (the default), unpacking a saved value raises the way PyTorch does.

    h = x @ w_in                       # x, w_in, w: Tensor(..., requires_grad=True)
    h.add_(layer_norm(h) @ w)          # layer_norm saved h; add_ bumps h.version to 1
    backward(h.sum())                  # RuntimeError: ... is at version 1; expected version 0 instead
"""

import numpy as np


class Tensor:
    """An array, a version counter bumped by every in-place op, and the node that produced it."""

    def __init__(self, data, requires_grad: bool = False):
        self.data = np.array(data, dtype=np.float64)
        self.version = 0
        self.grad = None
        self.grad_fn = Leaf(self) if requires_grad else None  # leaves accumulate into .grad

    def __add__(self, other):
        return record("Add", lambda a, b: a + b, [self, other], saves=[],
                      backward=lambda g: [g, g])

    def __matmul__(self, other):
        return record("MatMul", lambda a, b: a @ b, [self, other], saves=[self, other],
                      backward=lambda g, a, b: [g @ b.T, a.T @ g])

    def sum(self):
        """The sum of every element, as a 0-d tensor."""
        return record("Sum", np.sum, [self], saves=[self], backward=lambda g, a: [np.full_like(a, g)])

    def add_(self, other):
        """self += other in place: bump the version and rebase self's history onto an AddInplace node."""
        node = Node("AddInplace", [self, other], saved=[], backward=lambda g: [g, g])
        self.data += other.data  # lint: allow[inplace] our tape's own array: every saved reference sees the change
        self.version += 1
        self.grad_fn = node
        return self


def layer_norm(x: Tensor, eps: float = 1e-5) -> Tensor:
    """(x - mean) / std over the last axis; saves its input x, like PyTorch's LayerNorm."""
    def forward(a):
        return (a - a.mean(-1, keepdims=True)) / np.sqrt(a.var(-1, keepdims=True) + eps)

    def backward(g, a):
        x_hat, rstd = forward(a), 1 / np.sqrt(a.var(-1, keepdims=True) + eps)  # recomputed from saved x
        return [rstd * (g - g.mean(-1, keepdims=True) - x_hat * (g * x_hat).mean(-1, keepdims=True))]
    return record("LayerNorm", forward, [x], saves=[x], backward=backward)


class Saved:
    """A reference to a tensor saved for backward, with the version it had when saved."""

    def __init__(self, tensor: Tensor):
        self.tensor, self.version = tensor, tensor.version

    def writer(self) -> str:
        """The op the error names: the tensor's grad_fn when backward reads it (the last op that wrote it),
        not the op that made the saved version, as PyTorch's message does for a saved input."""
        return self.tensor.grad_fn.name if self.tensor.grad_fn else "a leaf"

    def unpack(self, node_name: str, check_versions: bool) -> np.ndarray:
        """The saved array; with check_versions, raise if an in-place op changed it since saving."""
        if check_versions and self.tensor.version != self.version:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [ndarray {list(self.tensor.data.shape)}], which is output 0 of "
                f"{self.writer()}, is at version {self.tensor.version}; expected version "
                f"{self.version} instead (needed by {node_name})")
        return self.tensor.data


class Node:
    """One recorded op: where its inputs came from, what it saved, and how to push a gradient back."""

    def __init__(self, name, inputs, saved, backward):
        self.name, self.saved, self.backward = name, [Saved(t) for t in saved], backward
        self.next_nodes = [t.grad_fn for t in inputs]  # None for inputs that need no gradient


class Leaf(Node):
    """The end of a path: a tensor created by the user, whose gradient is accumulated into .grad."""

    def __init__(self, tensor: Tensor):
        super().__init__("Leaf", [], [], None)
        self.tensor = tensor


def record(name, forward, inputs, saves, backward) -> Tensor:
    """Run forward on the input arrays and return a tensor whose grad_fn remembers the op."""
    out = Tensor(forward(*(t.data for t in inputs)))
    if any(t.grad_fn for t in inputs):
        out.grad_fn = Node(name, inputs, saves, backward)
    return out


def backward(loss: Tensor, check_versions: bool = True) -> None:
    """Push d(loss)/d(loss) = 1 through the graph in reverse topological order into the leaves' .grad."""
    order, seen = [], set()

    def visit(node):
        if node is not None and id(node) not in seen:
            seen.add(id(node))
            for parent in node.next_nodes:
                visit(parent)
            order.append(node)
    visit(loss.grad_fn)
    grads = {id(loss.grad_fn): np.ones_like(loss.data)}
    for node in reversed(order):
        g = grads.pop(id(node))
        if isinstance(node, Leaf):
            node.tensor.grad = g if node.tensor.grad is None else node.tensor.grad + g
            continue
        saved = [s.unpack(node.name, check_versions) for s in node.saved]
        for parent, parent_grad in zip(node.next_nodes, node.backward(g, *saved)):
            if parent is not None:
                grads[id(parent)] = grads.get(id(parent), 0) + parent_grad


def residual_loss(x: Tensor, w_in: Tensor, w: Tensor, w_out: Tensor, inplace: bool) -> Tensor:
    """The mini-GPT residual in miniature: h = x @ w_in; h + layer_norm(h) @ w; a head on top."""
    h = x @ w_in
    if inplace:
        h.add_(layer_norm(h) @ w)  # lint: allow[inplace] the break the tape shows
    else:
        h = h + layer_norm(h) @ w
    return (layer_norm(h) @ w_out).sum()
