import torch

w = torch.randn(3, requires_grad=True)  # en: a leaf: made by you, not by an op; backward accumulates into w.grad
# es: un tensor hoja: lo creas tú, no una operación; el backward acumula en w.grad
print("w.is_leaf:", w.is_leaf, "; w.grad_fn:", w.grad_fn)
try:
    w.add_(1)
except RuntimeError as error:
    print("w.add_(1) raises at once:", error)

h = w.clone()  # en: an op's output: not a leaf, it has a grad_fn, so it may be changed in place
# es: la salida de una operación: no es hoja, tiene grad_fn, así que puede cambiarse in situ
h.add_(1)
print("h = w.clone(); h.add_(1): ok, h.grad_fn:", h.grad_fn.name())

with torch.no_grad():  # en: what optimizer.step() does: the update is not recorded, so a leaf may change
# es: lo que hace optimizer.step(): la actualización no se registra, así que una hoja puede cambiar
    w.add_(-0.1 * torch.ones(3))
print("under no_grad, w.add_(...): ok, w is still a leaf:", w.is_leaf, "; version", w._version)
