import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
linear = nn.Linear(8, 8)
x = torch.randn(4, 8)

# 1. relu_ on a Linear output: Linear saved its input x, and nobody saved its output
linear(x).relu_().sum().backward()
inplace_grad, linear.weight.grad = linear.weight.grad, None
F.relu(linear(x)).sum().backward()
print("relu_ on a Linear output, same gradient as relu:", torch.equal(inplace_grad, linear.weight.grad))

# 2. an optimizer step: it runs under no_grad, after backward, and the next forward saves the new values
before = linear.weight._version
torch.optim.SGD(linear.parameters(), lr=0.1).step()
print("optimizer.step() bumped the weight's version:", before, "->", linear.weight._version)
linear(x).sum().backward()  # a fresh graph: no error
print("next forward and backward: ok")

# 3. inference: under no_grad or inference_mode nothing is saved, so nothing can be clobbered
with torch.no_grad():
    h = linear(x)
    h.add_(1.0)
print("no_grad: h.requires_grad =", h.requires_grad, "; h.grad_fn =", h.grad_fn)
with torch.inference_mode():
    h = linear(x)
    h.mul_(2.0)
print("inference_mode: h.is_inference() =", h.is_inference())

# 4. a fresh tensor with no history
buffer = torch.zeros(4, 8)
buffer.add_(x)
print("fresh tensor: requires_grad =", buffer.requires_grad)
