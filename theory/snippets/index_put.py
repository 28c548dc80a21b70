import torch

WRITES = {  # en: basic indexing (ints, slices) writes through a view; a mask or index tensor does not
    # es: la indexación básica (enteros, rebanadas) escribe a través de una vista; una máscara o un tensor de índices no
    "h[:, 0] = 0": lambda h: h.__setitem__((slice(None), 0), 0),
    "h[h > 0] = 0": lambda h: h.__setitem__(h > 0, 0),
    "h[torch.tensor([0])] = 0": lambda h: h.__setitem__(torch.tensor([0]), 0),
}
for label, write in WRITES.items():
    x = torch.randn(2, 3, requires_grad=True)
    h = x * 2
    s = h.sin()  # en: sin saves h
    # es: sin guarda h
    write(h)
    try:
        s.sum().backward()
    except RuntimeError as error:
        print(f"{label:25s} h.grad_fn {h.grad_fn.name():30s} backward:", str(error).split("which is ")[1].split(",")[0])
