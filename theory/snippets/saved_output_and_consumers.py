import torch
import torch.nn.functional as F

torch.manual_seed(0)
x = torch.randn(4, 8, requires_grad=True)
# en: a saved OUTPUT: the message names the node that saved it, not the last writer (mul_)
# es: una SALIDA guardada: el mensaje nombra el nodo que la guardó, no al último que la escribió (mul_)
for op in (torch.sigmoid, torch.tanh, torch.exp, lambda t: torch.softmax(t, -1), torch.relu):
    out = op(x * 1)
    out.mul_(2)
    try:
        out.sum().backward()
    except RuntimeError as error:
        print(f"{out.grad_fn.name():13s} after mul_:", str(error).split("which is ")[1].split(", is at")[0])

# en: the producer of h (a Linear) saved nothing of h; a consumer (the LayerNorm) saved it as its input
# es: el productor de h (una Linear) no guardó nada de h; un consumidor (la LayerNorm) lo guardó como entrada
linear = torch.nn.Linear(8, 8)
h = linear(x)
y = F.layer_norm(h, (8,))
saved_by = lambda node: sorted(a[7:] for a in dir(node) if a.startswith("_saved_") and  # noqa: E731
                               isinstance(getattr(node, a), torch.Tensor) and getattr(node, a) is not None)
print("producer", h.grad_fn.name(), "saves tensors:", saved_by(h.grad_fn))
print("consumer", y.grad_fn.name(), "saves:", saved_by(y.grad_fn), "; its input is h:",
      y.grad_fn._saved_input.data_ptr() == h.data_ptr())
h.add_(1)
try:
    y.sum().backward()
except RuntimeError as error:
    print("h.add_(1), then backward raises:", str(error).split("which is ")[1].split(". Hint")[0])
