import torch
from torch import nn

linear = nn.Linear(3, 3)
with torch.inference_mode():
    frozen = torch.randn(2, 3)  # en: made under inference_mode: an inference tensor
    # es: creado bajo inference_mode: un tensor de inferencia
    frozen.add_(1)  # en: in place inside inference_mode: allowed
    # es: in situ dentro de inference_mode: permitido
print("frozen.is_inference():", frozen.is_inference())
ATTEMPTS = {
    "frozen._version": lambda: frozen._version,
    "frozen.add_(1) outside inference_mode": lambda: frozen.add_(1),
    "linear(frozen).sum().backward()": lambda: linear(frozen).sum().backward(),
    "linear(frozen.clone()).sum().backward()": lambda: linear(frozen.clone()).sum().backward(),
}
for attempt, run in ATTEMPTS.items():
    try:
        run()
        print(f"{attempt}: no error")
    except RuntimeError as error:
        print(f"{attempt}: {str(error).split('.')[0]}")
