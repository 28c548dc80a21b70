import torch
from torch import nn

import autograd_doctor


class TinyNet(nn.Module):  # en: any model: nothing here comes from the course
# es: cualquier modelo: aquí no hay nada del curso
    def __init__(self):
        super().__init__()
        self.embed, self.norm, self.head = nn.Linear(32, 32), nn.LayerNorm(32), nn.Linear(32, 1)

    def forward(self, x):
        h = torch.tanh(self.embed(x))  # en: tanh saves its output h for backward
        # es: tanh guarda su salida h para el backward
        out = self.head(self.norm(h))  # en: LayerNorm saves its input: h again
        # es: LayerNorm guarda su entrada: otra vez h
        h.mul_(0.5)  # en: the bug: changes that saved h in place
        # es: el fallo: modifica in situ ese h guardado
        return out.pow(2).mean()


model = TinyNet()
try:
    with autograd_doctor.explain():  # en: your training step, unchanged, inside
    # es: tu paso de entrenamiento, tal cual, dentro
        loss = model(torch.randn(8, 32))
        loss.backward()
except RuntimeError as error:
    print(error)  # en: str(error) is PyTorch's message, verbatim
    # es: str(error) es el mensaje de PyTorch, tal cual
    print()
    print(autograd_doctor.doctor_notes(error))  # en: the doctor's note on the same exception
    # es: la nota del doctor sobre la misma excepción
