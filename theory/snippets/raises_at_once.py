import torch


def first_line(attempt) -> str:
    """The first sentence of the error `attempt` raises, or 'no error'."""
    # es: La primera frase del error que lanza `attempt`, o 'no error'.
    try:
        attempt()
    except RuntimeError as error:
        return str(error).split(".")[0]
    return "no error"


w = torch.randn(4, 6, requires_grad=True)  # en: a leaf that requires grad
# es: un tensor hoja que requiere gradiente
print("leaf:          ", first_line(lambda: w.mul_(2)))
print("view of a leaf:", first_line(lambda: w[0].mul_(2)))
q, k, v = (w * 1).split(2, dim=1)  # en: our attention splits qkv the same way
# es: nuestra atención divide qkv de la misma forma
print("split output:  ", first_line(lambda: q.mul_(2)))
with torch.inference_mode():
    frozen = torch.randn(3)  # en: an inference tensor
    # es: un tensor de inferencia
print("inference tensor outside inference_mode:", first_line(lambda: frozen.add_(1)))
