import torch

h = torch.randn(2, 3, requires_grad=True).clone()
print("fresh:", h._version)
h.add_(1)
h[0].mul_(2)  # en: a view shares the version counter of its base
# es: una vista comparte el contador de versiones de su base
print("after add_ and a mul_ through a view:", h._version)

e = h.exp()  # en: ExpBackward0 saves its output e, remembering version 0
# es: ExpBackward0 guarda su salida e y recuerda la versión 0
print("e saved at version", e._version)
e.mul_(3)
try:
    exp_node = e.grad_fn.next_functions[0][0]  # en: e.grad_fn is now mul_'s node; its input is Exp's
    # es: e.grad_fn es ahora el nodo de mul_; su entrada es el de Exp
    exp_node._saved_result  # en: unpacking runs the check, backward or not
    # es: desempaquetar ejecuta la comprobación, haya backward o no
except RuntimeError as error:
    print("reading the saved result:", str(error).split(". Hint")[0])
