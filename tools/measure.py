"""What the notes quote but the tests cannot afford: timings and slow snippets, measured on demand.
Works on the repository tools.docs was pointed at (`python -m tools.docs --repo PATH --measure`).

`just docs-measure` writes the results under theory/data/, which the notes render:
  timings.json   milliseconds per training step of a few settings; they take turns step by step, so a
                 busy machine slows them all alike, on one thread, so they do not fight over cores;
  NAME.json      what theory/snippets/measured/NAME.py printed (torch.compile takes tens of seconds).
"""

import contextlib
import os
import platform
import statistics
import time
import warnings
from pathlib import Path
from typing import Callable

import torch

from minigpt.data import make_splits
from minigpt.lab.compose import compose_config
from minigpt.language import LANGUAGES, say
from minigpt.model import build_model
from minigpt.train import make_optimizer, training_step


def identity_hooks() -> contextlib.AbstractContextManager:
    """Saved-tensor hooks that do nothing: the cost of packing and unpacking through Python."""
    return torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t)


def clone_before_mutate_mode() -> contextlib.AbstractContextManager:
    """allow_mutation_on_saved_tensors' dispatch mode alone, without its hooks: it inspects every op's
    schema for a written argument. Private in torch 2.13 (torch/autograd/graph.py); no public API runs it alone."""
    graph = torch.autograd.graph
    return graph._CloneArgBeforeMutateMode(graph._AllowMutationOnSavedContext())


TIMED_SETTINGS: dict[str, tuple[list[str], Callable[[], contextlib.AbstractContextManager]]] = {
    # name -> (overrides of the default config, a context around each training step)
    "control": ([], contextlib.nullcontext),
    "control, detect_anomaly=true": (["detect_anomaly=true"], contextlib.nullcontext),
    "control, identity saved-tensor hooks": ([], identity_hooks),
    "control, allow_mutation's dispatch mode alone": ([], clone_before_mutate_mode),
    "control, saved_tensors=allow_mutation": (["saved_tensors=allow_mutation"], contextlib.nullcontext),
    "in-place, saved_tensors=allow_mutation": (["inplace=true", "saved_tensors=allow_mutation"],
                                                contextlib.nullcontext),
}
TIMED_ROUNDS, WARMUP_ROUNDS, TIMED_THREADS = 60, 5, 1


def measure_timings() -> dict:
    """Median milliseconds per training step of each TIMED_SETTINGS config; the timings.json content."""
    runs = {}
    for setting, (overrides, context) in TIMED_SETTINGS.items():
        cfg = compose_config(overrides)
        torch.manual_seed(cfg.seed)
        splits = make_splits(cfg.data, cfg.seed)
        model = build_model(cfg, len(splits.vocab))
        optimizer = make_optimizer(model, cfg.train)
        runs[setting] = (cfg, context, model, optimizer,
                         splits.batch(torch.Generator().manual_seed(cfg.seed), cfg.train.batch_size), [])
    threads = torch.get_num_threads()
    torch.set_num_threads(TIMED_THREADS)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # anomaly mode warns that it is on
            for _ in range(TIMED_ROUNDS):
                for cfg, context, model, optimizer, (x, y), times in runs.values():
                    start = time.perf_counter()
                    with torch.autograd.set_detect_anomaly(cfg.detect_anomaly, check_nan=False), context():
                        training_step(model, x, y, lambda optimizer=optimizer: optimizer, cfg.saved_tensors)
                    times.append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(threads)
    ms_per_step = {setting: 1000 * statistics.median(run[-1][WARMUP_ROUNDS:]) for setting, run in runs.items()}
    quartiles = {setting: [1000 * q for q in statistics.quantiles(run[-1][WARMUP_ROUNDS:], n=4)[::2]]
                 for setting, run in runs.items()}  # the spread of each row: first and third quartile
    load = f"{os.getloadavg()[0]:.1f}"
    machine = {lang: say(lang, f"{platform.machine()}, {TIMED_THREADS} thread, load average {load} after",
                         f"{platform.machine()}, {TIMED_THREADS} hilo, carga media {load} al terminar")
               for lang in LANGUAGES}
    what = {lang: say(lang, f"default mini-GPT, one batch, {TIMED_ROUNDS} steps each, taken in turns",
                      f"mini-GPT por defecto, un lote, {TIMED_ROUNDS} pasos cada uno, por turnos")
            for lang in LANGUAGES}
    return {"torch": torch.__version__, "machine": machine, "what": what,
            "command": "just docs-measure", "ms_per_step": ms_per_step,
            "ms_quartiles": quartiles}


def measure_snippet(path: Path) -> dict:
    """Run a measured snippet once; what it printed, with the torch version and machine: the NAME.json content."""
    from tools.docs import run_snippet  # the notes' own runner: same output rules as the live snippets

    threads = torch.get_num_threads()
    machine = {lang: say(lang, f"{platform.machine()}, {threads} threads", f"{platform.machine()}, {threads} hilos")
               for lang in LANGUAGES}
    return {"torch": torch.__version__, "machine": machine,
            "command": "just docs-measure", "output": run_snippet(path)}
