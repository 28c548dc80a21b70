"""An autograd tape in NumPy, about a hundred lines: nodes save what their backward needs, and a version check."""

from minigpt.lab.tape.tape import Leaf, Node, Saved, Tensor, backward, layer_norm, record, residual_loss

__all__ = ["Leaf", "Node", "Saved", "Tensor", "backward", "layer_norm", "record", "residual_loss"]
