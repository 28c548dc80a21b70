import torch
from torch import nn

import autograd_doctor

autograd_doctor.watch_optimizer_steps().stop()  # en: as in a fresh process: once explain() ran, the doctor keeps watching steps
# es: como en un proceso nuevo: una vez que explain() se ha ejecutado, el doctor sigue vigilando los pasos


def message(error: RuntimeError) -> str:
    return str(error).split("inplace operation: ")[1].split(". Hint")[0]


def gan_step(fused: bool, step_between: bool = True) -> torch.Tensor:
    """A GAN step (by default with the generator's step between two backward passes); d_loss's gradient of netG."""
    # es: Un paso de GAN (por defecto con el paso del generador entre dos backward); el gradiente de netG que deja d_loss.
    torch.manual_seed(0)
    netG, netD = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2)), nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    optG, optD = (torch.optim.Adam(net.parameters(), lr=0.1, fused=fused) for net in (netG, netD))
    fake = netG(torch.randn(16, 2))
    d_fake = netD(fake)  # en: netD saves its weights (and fake) for backward
    # es: netD guarda sus pesos (y fake) para el backward
    g_loss, d_loss = -d_fake.mean(), d_fake.mean() - netD(torch.randn(16, 2)).mean()
    optG.zero_grad()
    g_loss.backward(retain_graph=True)
    if step_between:
        optG.step()  # en: changes netG's weights in place: this graph saved them
        # es: modifica in situ los pesos de netG: este grafo los guardó
    optD.zero_grad()
    optG.zero_grad()
    d_loss.backward()  # en: the second backward over the same graph
    # es: el segundo backward del mismo grafo
    return netG[0].weight.grad.clone()


try:
    gan_step(fused=False)
except RuntimeError as error:
    print("Adam (for-loop): d_loss.backward() raises:", message(error))

# en: the forms the message takes when the saved tensor is a weight
# es: las formas que toma el mensaje cuando el tensor guardado es un peso
FORMS = {"x @ w.t()": lambda x, w: x @ w.t(), "F.linear(x, w)": nn.functional.linear, "x @ w": lambda x, w: x @ w}
for label, form in FORMS.items():
    w, x = nn.Parameter(torch.randn(3, 3)), torch.randn(2, 3, requires_grad=True)
    loss = form(x, w).sum()
    loss.backward(retain_graph=True)
    torch.optim.SGD([w], lr=0.1).step()
    try:
        loss.backward()
    except RuntimeError as error:
        print(f"{label:15s} saves {'w itself (a leaf)' if label == 'x @ w' else 'a view of w':16s}: {message(error)}")

# en: fused=True steps do not bump the version counter on torch 2.13 (CPU)
# es: los pasos con fused=True no incrementan el contador de versiones en torch 2.13 (CPU)
for optimizer in (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD):
    versions = []
    for mode in ({}, {"foreach": True}, {"fused": True}):
        p = nn.Parameter(torch.randn(3))
        p.grad = torch.ones(3)
        before = p._version
        optimizer([p], lr=0.1, **mode).step()
        versions.append(f"{next(iter(mode), 'for-loop')} v{before}->v{p._version}")
    print(f"{optimizer.__name__:5s}:", ", ".join(versions))
silent, right = gan_step(fused=True), gan_step(fused=True, step_between=False)
print("Adam(fused=True): the same GAN step raises nothing; relative error of netG's gradient from d_loss:",
      f"{((silent - right).norm() / right.norm()).item():.2f}")
try:
    with autograd_doctor.explain():  # en: the doctor makes a fused step bump the version, so PyTorch raises
        # es: el doctor hace que un paso fusionado incremente la versión, así que PyTorch lanza el error
        gan_step(fused=True)
except RuntimeError as error:
    print(autograd_doctor.doctor_notes(error))
