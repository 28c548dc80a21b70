import torch

x = torch.randn(3, requires_grad=True)
right = 2 * torch.cos(2 * x.detach())  # d/dx sum(sin(2x))
for alias in ("detach()", "data"):
    x.grad = None
    h = x * 2
    s = h.sin()  # en: sin saves its input h
    # es: sin guarda su entrada h
    h_alias = h.detach() if alias == "detach()" else h.data
    h_alias.mul_(3)  # en: the same memory as h, changed in place
    # es: la misma memoria que h, modificada in situ
    print(f"h.{alias}: same memory as h {h_alias.data_ptr() == h.data_ptr()}, h's version now {h._version};", end=" ")
    try:
        s.sum().backward()
        print(f"backward: no error, relative error of x.grad {((x.grad - right).norm() / right.norm()).item():.2f}")
    except RuntimeError as error:
        print("backward raises:", str(error).split("which is ")[1].split(". Hint")[0])
