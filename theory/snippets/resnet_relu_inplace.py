import torch
from torch import nn


class ResidualUnit(nn.Module):
    """conv -> BatchNorm -> ReLU, as in a ResNet basic block; the ReLU in place or not."""
    # es: conv -> BatchNorm -> ReLU, como en un bloque básico de ResNet; la ReLU in situ o no.

    def __init__(self, inplace: bool):
        super().__init__()
        self.conv, self.norm, self.relu = nn.Conv2d(4, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(inplace=inplace)

    def forward(self, x):
        return x + self.relu(self.norm(self.conv(x)))  # en: BatchNorm saved its input; nobody saves its output
        # es: BatchNorm guardó su entrada; nadie guarda su salida


torch.manual_seed(0)
x = torch.randn(2, 4, 5, 5)
gradients = []
for inplace in (False, True):
    torch.manual_seed(1)
    unit = ResidualUnit(inplace)
    unit(x).square().sum().backward()
    gradients.append([p.grad for p in unit.parameters()])
print("ReLU(inplace=True) after BatchNorm, same gradients as out of place:",
      all(torch.equal(a, b) for a, b in zip(*gradients)))
norm_node = ResidualUnit(False).norm(torch.randn(2, 4, 5, 5, requires_grad=True)).grad_fn
print(norm_node.name(), "saves:", sorted(a[7:] for a in dir(norm_node) if a.startswith("_saved_")))
