import torch

print("anomaly detection enabled:", torch.is_anomaly_enabled())
x = torch.randn(3, requires_grad=True)
e = x.exp()  # en: exp saves its output e (d exp(x) = exp(x))
# es: exp guarda su salida e (d exp(x) = exp(x))
e.add_(1)
try:
    e.sum().backward()
except RuntimeError as error:
    print("RuntimeError without anomaly mode:", str(error).split(". Hint")[0])
