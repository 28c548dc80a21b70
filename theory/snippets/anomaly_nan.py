import warnings

import torch

SETTINGS = {"set_detect_anomaly(True)": {}, "set_detect_anomaly(True, check_nan=False)": {"check_nan": False}}
for label, extra in SETTINGS.items():
    x = torch.tensor([0.0, 1.0], requires_grad=True)
    with torch.autograd.set_detect_anomaly(True, **extra), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            (x.sqrt() * 0).sum().backward()  # en: the gradient of sqrt at 0 is inf, times 0: NaN
            # es: el gradiente de sqrt en 0 es inf, por 0: NaN
            print(f"{label}: no error, x.grad = {x.grad.tolist()}")
        except RuntimeError as error:
            print(f"{label}: raises: {error}")
