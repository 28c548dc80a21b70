import torch

h = torch.randn(2, 3, requires_grad=True).clone()
print("fresh:", h._version)
h.add_(1)
h[0].mul_(2)  # a view shares the version counter of its base
print("after add_ and a mul_ through a view:", h._version)

e = h.exp()  # ExpBackward0 saves its output e, remembering version 0
print("e saved at version", e._version)
e.mul_(3)
try:
    exp_node = e.grad_fn.next_functions[0][0]  # e.grad_fn is now mul_'s node; its input is Exp's
    exp_node._saved_result  # unpacking runs the check, backward or not
except RuntimeError as error:
    print("reading the saved result:", str(error).split(". Hint")[0])
