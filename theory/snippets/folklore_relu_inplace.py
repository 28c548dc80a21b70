import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
linear, x = nn.Linear(8, 8), torch.randn(4, 8)

F.relu(linear(x), inplace=True).sum().backward()  # en: Linear saved x, not its output
# es: Linear guardó x, no su salida
inplace_grad, linear.weight.grad = linear.weight.grad, None
F.relu(linear(x)).sum().backward()
print("relu_ on a Linear output: same gradient as relu:", torch.equal(inplace_grad, linear.weight.grad))

s = torch.sigmoid(linear(x))  # en: sigmoid saves its OUTPUT s (ds = s (1 - s))
# es: sigmoid guarda su SALIDA s (ds = s (1 - s))
s.relu_()
try:
    s.sum().backward()
except RuntimeError as error:
    print("relu_ on a sigmoid output raises:", str(error).split(". Hint")[0])
