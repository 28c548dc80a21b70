"""The doctor's speed figures: its time against plain forward and backward as graphs grow, and explain()'s
cost on a training step. Each function returns figure dicts shaped like benchmarks/bench.py's.

    python benchmarks/doctor_bench.py      # prints the figures
"""

import statistics
import time

import torch
from torch import nn

from autograd_doctor import diagnose_forward, explain
from minigpt.cli.common import load_config
from minigpt.data import make_splits
from minigpt.model import build_model
from minigpt.train import make_optimizer, training_step

SCALE_TARGET, EXPLAIN_TARGET = 5, 1.5


def seconds(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def linear_relu_stack(layers: int) -> tuple:
    """nn.Sequential of `layers` x (Linear(8, 8), ReLU(inplace=True)) and its loss function on a (16, 8) batch."""
    torch.manual_seed(0)
    model = nn.Sequential(*[m for _ in range(layers) for m in (nn.Linear(8, 8), nn.ReLU(inplace=True))])
    x = torch.randn(16, 8)
    return f"nn.Sequential of {layers} x (Linear(8, 8), ReLU(inplace=True))", lambda: model(x).sum()


def sin_chain(length: int) -> tuple:
    """A chain of `length` sin calls on a (16,) tensor with history."""
    x = torch.randn(16, requires_grad=True)

    def loss():
        h = x * 1.0
        for _ in range(length):
            h = h.sin()
        return h.sum()
    return f"chain of {length:,} sin", loss


def scale_figure(name: str, loss, repeats: int = 3) -> dict:
    """diagnose_forward's time over a plain forward and backward of the same graph, interleaved, medians."""
    plain, doctor = [], []
    for _ in range(repeats):
        plain.append(seconds(lambda: loss().backward()))
        doctor.append(seconds(lambda: diagnose_forward(loss)))
    p, d = statistics.median(plain), statistics.median(doctor)
    return {"name": f"graph doctor / plain forward+backward, {name}", "value": round(d / p, 2), "unit": "x",
            "target": SCALE_TARGET, "better": "lower", "command": "just bench",
            "detail": f"{d:.2f} s with the doctor, {p:.2f} s plain, medians of {repeats}"}


def scale_figures() -> list[dict]:
    """The doctor at the sizes of issue 10: 8000 and 16000 Linear+ReLU layers, 100k sin nodes."""
    return [scale_figure(*case) for case in (linear_relu_stack(8000), linear_relu_stack(16000), sin_chain(100_000))]


def explain_overhead(rounds: int = 7, steps: int = 20) -> dict:
    """A training step of the course's default model under explain() over a plain one: rounds of `steps` steps
    each way, alternating step by step so a busy moment hits both alike; the figure is the median round's ratio."""
    cfg = load_config([])
    splits = make_splits(cfg.data, cfg.seed)
    torch.manual_seed(cfg.seed)
    model = build_model(cfg, len(splits.vocab))
    optimizer = make_optimizer(model, cfg.train)
    x, y = splits.batch(torch.Generator().manual_seed(0), cfg.train.batch_size)

    def step():
        training_step(model, x, y, lambda: optimizer)

    def explained_step():
        with explain():
            step()

    def one_round() -> tuple[float, float]:
        pairs = [(seconds(step), seconds(explained_step)) for _ in range(steps)]  # alternating, step by step
        return sum(p for p, _ in pairs), sum(e for _, e in pairs)

    one_round()  # warm-up
    times = [one_round() for _ in range(rounds)]
    ratios = [e / p for p, e in times]
    p, e = (statistics.median(t[i] for t in times) / steps * 1e3 for i in (0, 1))
    return {"name": "training step under explain() / plain step (default model)",
            "value": round(statistics.median(ratios), 2), "unit": "x", "target": EXPLAIN_TARGET, "better": "lower",
            "command": "just bench",
            "detail": f"rounds {min(ratios):.2f}–{max(ratios):.2f}; {e:.1f} ms vs {p:.1f} ms per step, "
                      f"B={cfg.train.batch_size}, T={cfg.data.block_size}, C={cfg.model.n_embd}, "
                      f"{cfg.model.n_layer} layers"}


if __name__ == "__main__":
    for figure in [explain_overhead(), *scale_figures()]:
        print(f"{figure['name']}: {figure['value']} {figure['unit']} (target {figure['target']}); {figure['detail']}")
