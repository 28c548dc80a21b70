import torch
from torch import nn

import autograd_doctor


class TinyNet(nn.Module):  # cualquier modelo: aquí no hay nada del curso
    def __init__(self):
        super().__init__()
        self.embed, self.norm, self.head = nn.Linear(32, 32), nn.LayerNorm(32), nn.Linear(32, 1)

    def forward(self, x):
        h = torch.tanh(self.embed(x))  # tanh guarda su salida h para el backward
        out = self.head(self.norm(h))  # LayerNorm guarda su entrada: otra vez h
        h.mul_(0.5)  # el fallo: modifica in situ ese h guardado
        return out.pow(2).mean()


model = TinyNet()
try:
    with autograd_doctor.explain():  # tu paso de entrenamiento, tal cual, dentro
        loss = model(torch.randn(8, 32))
        loss.backward()
except RuntimeError as error:
    print(error)  # primero el mensaje de PyTorch, tal cual; debajo, las líneas del doctor
