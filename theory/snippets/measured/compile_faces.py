from dataclasses import replace

import torch

from minigpt.block import Block
from minigpt.config import Attention, GPTConfig, Residual

config = GPTConfig(vocab_size=16, block_size=4, n_head=2, n_embd=8, attention=Attention.explicit)


def first_line(error: BaseException) -> str:
    """The exception's type and the line that says what went wrong (the version error, when wrapped)."""
    # es: El tipo de la excepción y la línea que dice qué falló (el error de versión, si viene envuelto).
    lines = [line for line in str(error).splitlines() if line.strip()]
    wrapped = next((line for line in lines if "modified by an inplace operation" in line), lines[0])
    return f"{type(error).__name__}: {wrapped.split('. Hint')[0]}"


print("1. The phase's in-place residual inside a compiled block:")
for backend in ("aot_eager", "inductor"):
    torch._dynamo.reset()
    torch.manual_seed(0)
    block = torch.compile(Block(replace(config, residual=Residual.inplace)), backend=backend)
    try:
        block(torch.randn(2, 4, 8, requires_grad=True).clone())  # en: the first compiled forward
        # es: el primer forward compilado
        print(f"  {backend}: the forward ran")
    except Exception as error:  # en: AOTAutograd traces the backward now, ahead of time
    # es: AOTAutograd traza ahora el backward, por adelantado
        print(f"  {backend}: the first forward raised {first_line(error)}")


def matmul(x, w):
    return (x @ w).sum()  # en: matmul saves x.t(), a view of the input x, for w's gradient
    # es: matmul guarda x.t(), una vista de la entrada x, para el gradiente de w


def product(x, w):
    return (x * w).sum()  # en: mul saves x itself for w's gradient
    # es: mul guarda la propia x para el gradiente de w


SHAPES = {matmul: (3, 2), product: (4, 3)}  # en: w's shape for each
# es: la forma de w en cada caso
print("2. An input the compiled graph saved (as a view, or itself), changed after the forward:")
for f, w_shape in SHAPES.items():
    for backend in ("eager", "aot_eager", "inductor"):
        torch._dynamo.reset()
        torch.manual_seed(0)
        x, w = torch.randn(4, 3, requires_grad=True), torch.randn(*w_shape, requires_grad=True)
        xx = x * 1  # en: not a leaf, so it may be changed in place
        # es: no es un tensor hoja, así que puede cambiarse in situ
        loss = f(xx, w) if backend == "eager" else torch.compile(f, backend=backend)(xx, w)
        right = torch.autograd.grad(f(xx.detach(), w), w)[0]  # en: d loss / d w with the x of the forward
        # es: d loss / d w con la x del forward
        xx.add_(1.0)
        try:
            loss.backward()
            error = ((w.grad - right).norm() / right.norm()).item()
            print(f"  {f.__name__}, {backend}: no error; relative error of w.grad {error:.2f}")
        except RuntimeError as error:
            print(f"  {f.__name__}, {backend}: backward raised {first_line(error)}")
