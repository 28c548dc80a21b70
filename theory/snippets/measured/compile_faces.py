import torch

from minigpt.block import Block


def first_line(error: BaseException) -> str:
    """The exception's type and the line that says what went wrong (the version error, when wrapped)."""
    lines = [line for line in str(error).splitlines() if line.strip()]
    wrapped = next((line for line in lines if "modified by an inplace operation" in line), lines[0])
    return f"{type(error).__name__}: {wrapped.split('. Hint')[0]}"


print("1. The phase's in-place residual inside a compiled block:")
for backend in ("aot_eager", "inductor"):
    torch._dynamo.reset()
    torch.manual_seed(0)
    block = torch.compile(Block(n_embd=8, n_head=2, block_size=4, inplace=True), backend=backend)
    try:
        block(torch.randn(2, 4, 8, requires_grad=True).clone())  # the first compiled forward
        print(f"  {backend}: the forward ran")
    except Exception as error:  # AOTAutograd traces the backward now, ahead of time
        print(f"  {backend}: the first forward raised {first_line(error)}")


def f(x, w):
    return (x @ w).sum()  # matmul saves x for w's gradient


print("2. An input the compiled graph saved, changed after the forward:")
for backend in ("eager", "aot_eager", "inductor"):
    torch._dynamo.reset()
    torch.manual_seed(0)
    x, w = torch.randn(4, 3, requires_grad=True), torch.randn(3, 2, requires_grad=True)
    xx = x * 1  # not a leaf, so it may be changed in place
    right = xx.detach().t() @ torch.ones(4, 2)  # d loss / d w with the x of the forward
    loss = f(xx, w) if backend == "eager" else torch.compile(f, backend=backend)(xx, w)
    xx.add_(1.0)
    try:
        loss.backward()
        error = ((w.grad - right).norm() / right.norm()).item()
        print(f"  {backend}: no error; relative error of w.grad {error:.2f}")
    except RuntimeError as error:
        print(f"  {backend}: backward raised {first_line(error)}")
