import torch

from autograd_doctor import saved_tensors_context
from minigpt.data import make_splits
from minigpt.lab.compose import compose_config
from minigpt.model import build_model


def step0_gradients(experiment: str, seed: int) -> list[torch.Tensor]:
    """The step-0 gradients of one sweep job: its config and seed, its first batch, one forward and backward."""
    # es: Los gradientes del paso 0 de un trabajo del barrido: su configuración y semilla, su primer lote, un forward y un backward.
    cfg = compose_config([f"experiment={experiment}", f"seed={seed}"])
    torch.manual_seed(cfg.seed)
    splits = make_splits(cfg.data, cfg.seed)
    model = build_model(cfg, len(splits.vocab))
    x, y = splits.batch(torch.Generator().manual_seed(cfg.seed), cfg.train.batch_size)
    with saved_tensors_context(cfg.saved_tensors):
        model(x, y)[1].backward()
    return [p.grad for p in model.parameters()]


def relative_error(got: list[torch.Tensor], want: list[torch.Tensor]) -> float:
    return (sum(((g - w) ** 2).sum() for g, w in zip(got, want)) / sum((w ** 2).sum() for w in want)).sqrt().item()


for seed in range(5):
    control = step0_gradients("control", seed)
    unchecked, save_on_cpu = step0_gradients("silent_unchecked", seed), step0_gradients("silent_save_on_cpu", seed)
    print(f"seed {seed}: against the control, silent_unchecked {relative_error(unchecked, control):.3f} and "
          f"silent_save_on_cpu {relative_error(save_on_cpu, control):.3f}; against each other "
          f"{relative_error(unchecked, save_on_cpu):.1e}")
