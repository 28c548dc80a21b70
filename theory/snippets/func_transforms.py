import torch
from torch.func import grad, vmap


def attempt(label, run):
    try:
        run()
        print(f"{label}: no error")
    except (RuntimeError, ValueError) as error:
        print(f"{label}: {type(error).__name__}: {str(error).split('. Hint')[0].splitlines()[0]}")


def clobbers_a_save(x):
    h = x * 1
    s = h.sin()  # en: sin saves h
    # es: sin guarda h
    h.add_(1)
    return s.sum()


def fresh_inplace(x):
    h = x * 1
    h.add_(1)  # en: nobody saved h
    # es: nadie guardó h
    return h.sin().sum()


def through_data(x):
    h = x * 1
    s = h.sin()
    h.data.add_(1)  # en: not tracked, as in eager
    # es: sin seguimiento, como en eager
    return s.sum()


x = torch.randn(3)
attempt("grad: in place on a tensor nobody saved", lambda: grad(fresh_inplace)(x))
attempt("grad: in place on a saved tensor", lambda: grad(clobbers_a_save)(x))
attempt("grad: in place on the input", lambda: grad(lambda t: t.add_(1).sin().sum())(x.clone()))
attempt("vmap(grad): in place on a saved tensor", lambda: vmap(grad(clobbers_a_save))(torch.randn(4, 3)))
attempt("vmap: in place into an unbatched tensor", lambda: vmap(lambda b: torch.zeros(3).add_(b))(torch.randn(4, 3)))
right = (x + 1).cos()  # en: what grad(through_data) returns if it reads the changed h
# es: lo que devuelve grad(through_data) si lee el h modificado
print("grad: through .data, no error; it read the changed h:", torch.allclose(grad(through_data)(x), right),
      "; the forward's gradient:", torch.allclose(grad(through_data)(x), x.cos()))
