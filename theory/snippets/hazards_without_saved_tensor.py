import torch
from torch import nn


# en: 1. a gradient hook that changes its argument in place
# es: 1. un hook de gradiente que modifica su argumento in situ
def gradients(hooked: str, hook) -> str:
    """a.grad and b.grad of sum(4 (a + b)) with `hook` on the gradient of `hooked`."""
    # es: a.grad y b.grad de sum(4 (a + b)) con `hook` en el gradiente de `hooked`
    a, b = torch.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
    y = a + b  # en: AddBackward0 hands the same gradient tensor to both branches
    # es: AddBackward0 pasa el mismo tensor de gradiente a las dos ramas
    (a if hooked == "a" else b).register_hook(hook)
    (4 * y).sum().backward()
    return f"a.grad {a.grad[0].item():.0f}, b.grad {b.grad[0].item():.0f}"


for hooked in ("a", "b"):
    print(f"hook on {hooked}: g.mul_(10) gives {gradients(hooked, lambda g: g.mul_(10))}; "
          f"g * 10 gives {gradients(hooked, lambda g: g * 10)}")  # en: in place, g is the other branch's too
    # es: in situ, g es también el de la otra rama

# en: 2. a weight changed in place inside one autocast region
# es: 2. un peso modificado in situ dentro de una misma región de autocast
torch.manual_seed(0)
x = torch.randn(2, 4)
for cache_enabled in (True, False):
    linear = nn.Linear(4, 4)
    with torch.autocast("cpu", dtype=torch.bfloat16, cache_enabled=cache_enabled):
        before = linear(x)  # en: casts the weight to bfloat16 and caches the cast
        # es: convierte el peso a bfloat16 y guarda la conversión en la caché
        with torch.no_grad():
            linear.weight.mul_(0)
        after = linear(x)
    print(f"bfloat16 autocast on the CPU, cache_enabled={cache_enabled}: output unchanged after weight.mul_(0): "
          f"{torch.equal(before, after)}")
with torch.autocast("cpu", dtype=torch.bfloat16):
    fresh = linear(x)  # en: a new region casts again
    # es: una región nueva vuelve a convertir
print("in a new autocast region the zeroed weight is seen:", torch.equal(fresh, linear.bias.to(torch.bfloat16).expand(2, 4)))
