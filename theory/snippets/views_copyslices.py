import torch

x = torch.randn(2, 3, requires_grad=True)
h = x * 2
s = h.sin()  # en: sin saves its input h
# es: sin guarda su entrada h
print("before:", h.grad_fn.name(), "version", h._version)
h[:, 0] = 0  # en: assignment through an index: an in-place op on a view of h
# es: asignación por índice: una operación in situ sobre una vista de h
print("after h[:, 0] = 0:", h.grad_fn.name(), "version", h._version)
try:
    s.sum().backward()
except RuntimeError as error:
    print("backward raises:", str(error).split("which is ")[1].split(". Hint")[0])
