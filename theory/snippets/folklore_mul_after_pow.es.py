import torch

x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x * 2
z = y ** 2  # pow guarda y para su backward (dz/dy = 2y)
y *= 3      # in situ: lleva la versión de y de 0 a 1
try:
    z.sum().backward()
    print("no error; x.grad =", x.grad)
except RuntimeError as error:
    print("RuntimeError:", error)
