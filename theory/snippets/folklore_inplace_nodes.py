import torch

x = torch.randn(3, requires_grad=True)
h = x * 2
old_node = h.grad_fn
print("before add_:", h.grad_fn.name(), "version", h._version)
h.add_(1)
print("after add_: ", h.grad_fn.name(), "version", h._version)
print("the new node's input is the old node:", h.grad_fn.next_functions[0][0] is old_node)
