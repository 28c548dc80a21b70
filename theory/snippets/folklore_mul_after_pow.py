import torch

x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x * 2
z = y ** 2  # en: pow saves y for its backward (dz/dy = 2y)
# es: pow guarda y para su backward (dz/dy = 2y)
y *= 3      # en: in place: bumps y's version from 0 to 1
# es: in situ: lleva la versión de y de 0 a 1
try:
    z.sum().backward()
    print("no error; x.grad =", x.grad)
except RuntimeError as error:
    print("RuntimeError:", error)
