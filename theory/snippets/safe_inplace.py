import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
linear = nn.Linear(8, 8)
x = torch.randn(4, 8)

# en: 1. relu_ on a Linear output: Linear saved its input x, and nobody saved its output
# es: 1. relu_ sobre la salida de una Linear: Linear guardó su entrada x, y nadie guardó su salida
linear(x).relu_().sum().backward()
inplace_grad, linear.weight.grad = linear.weight.grad, None
F.relu(linear(x)).sum().backward()
print("relu_ on a Linear output, same gradient as relu:", torch.equal(inplace_grad, linear.weight.grad))

# en: 2. an optimizer step: it runs under no_grad, after backward, and the next forward saves the new values
# es: 2. un paso del optimizador: se ejecuta bajo no_grad, después del backward, y el siguiente forward guarda los valores nuevos
before = linear.weight._version
torch.optim.SGD(linear.parameters(), lr=0.1).step()
print("optimizer.step() bumped the weight's version:", before, "->", linear.weight._version)
linear(x).sum().backward()  # en: a fresh graph: no error
# es: un grafo nuevo: sin error
print("next forward and backward: ok")

# en: 3. inference: under no_grad or inference_mode nothing is saved, so nothing can be clobbered
# es: 3. inferencia: bajo no_grad o inference_mode no se guarda nada, así que nada puede sobrescribirse
with torch.no_grad():
    h = linear(x)
    h.add_(1.0)
print("no_grad: h.requires_grad =", h.requires_grad, "; h.grad_fn =", h.grad_fn)
with torch.inference_mode():
    h = linear(x)
    h.mul_(2.0)
print("inference_mode: h.is_inference() =", h.is_inference())

# en: 4. a fresh tensor with no history
# es: 4. un tensor recién creado, sin historial
buffer = torch.zeros(4, 8)
buffer.add_(x)
print("fresh tensor: requires_grad =", buffer.requires_grad)
