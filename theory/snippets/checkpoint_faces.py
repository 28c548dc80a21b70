import torch
from torch.utils.checkpoint import checkpoint


def segment(h):
    h = h * 1
    y = h.sin()  # en: sin saves h
    # es: sin guarda h
    h.add_(1.0)  # en: the bug: changes the saved h in place
    # es: el fallo: modifica in situ el h guardado
    return y * h


def intended(h):
    h = h * 1
    return h.sin() * (h + 1.0)  # en: what the segment means, out of place
    # es: lo que quiere decir el segmento, no in situ


torch.manual_seed(0)
x = torch.randn(5, requires_grad=True)
intended(x).sum().backward()
right, x.grad = x.grad, None
RUNS = {
    "eager": lambda: segment(x),
    "checkpoint(use_reentrant=True)": lambda: checkpoint(segment, x, use_reentrant=True),
    "checkpoint(use_reentrant=False)": lambda: checkpoint(segment, x, use_reentrant=False),
}
for label, run in RUNS.items():
    x.grad = None
    try:
        run().sum().backward()
        print(f"{label}: no error, relative error of x.grad {((x.grad - right).norm() / right.norm()).item():.2f}")
    except RuntimeError as error:
        print(f"{label}: raises:", str(error).split("which is ")[1].split(". Hint")[0])
