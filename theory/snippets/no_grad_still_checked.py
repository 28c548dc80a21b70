import torch
import torch.nn.functional as F

x = torch.randn(4, 8, requires_grad=True)
h = x * 2
y = F.layer_norm(h, (8,))  # en: saves h
# es: guarda h
with torch.no_grad():
    h.add_(1)  # en: not recorded in the graph, but it still bumps h's version
    # es: no se registra en el grafo, pero incrementa igualmente la versión de h
print("h's version after the add_ under no_grad:", h._version)
try:
    y.sum().backward()
except RuntimeError as error:
    print("backward raises:", str(error).split("which is ")[1].split(". Hint")[0])
