import torch

x = torch.randn(3, requires_grad=True)
w = torch.randn(3, requires_grad=True)
y = torch.sin(x * w)

sin = y.grad_fn
mul = sin.next_functions[0][0]
print("y.grad_fn:", sin.name(), "-> next:", [fn.name() for fn, _ in sin.next_functions])
print("Mul's next:", [fn.name() for fn, _ in mul.next_functions])
print("Sin saves:", [a for a in dir(sin) if a.startswith("_saved_")])
print("Mul saves:", [a for a in dir(mul) if a.startswith("_saved_")])
print("Mul's saved self shares x's memory (a reference, not a copy):", mul._saved_self.data_ptr() == x.data_ptr())
