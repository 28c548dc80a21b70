"""Timings the notes quote: milliseconds per training step of a few settings, measured side by side.

The settings take turns step by step, so a busy machine slows them all alike. `just docs-measure`
writes the result to theory/data/timings.json, which the notes render.
"""

import os
import platform
import statistics
import time
import warnings

import torch

from minigpt.data import make_splits
from minigpt.lab.compose import compose_config
from minigpt.model import build_model
from minigpt.train import make_optimizer, training_step

TIMED_SETTINGS = {  # name -> overrides of the default config
    "control": [],
    "control, detect_anomaly=true": ["detect_anomaly=true"],
    "control, saved_tensors=allow_mutation": ["saved_tensors=allow_mutation"],
    "in-place, saved_tensors=allow_mutation": ["inplace=true", "saved_tensors=allow_mutation"],
}
TIMED_ROUNDS, WARMUP_ROUNDS = 60, 5


def measure_timings() -> dict:
    """Median milliseconds per training step of each TIMED_SETTINGS config; the timings.json content."""
    runs = {}
    for setting, overrides in TIMED_SETTINGS.items():
        cfg = compose_config(overrides)
        torch.manual_seed(cfg.seed)
        splits = make_splits(cfg.data, cfg.seed)
        model = build_model(cfg, len(splits.vocab))
        optimizer = make_optimizer(model, cfg.train)
        runs[setting] = (cfg, model, optimizer, splits.batch(torch.Generator().manual_seed(cfg.seed),
                                                             cfg.train.batch_size), [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # anomaly mode warns that it is on
        for _ in range(TIMED_ROUNDS):
            for cfg, model, optimizer, (x, y), times in runs.values():
                start = time.perf_counter()
                with torch.autograd.set_detect_anomaly(cfg.detect_anomaly, check_nan=False):
                    training_step(model, x, y, lambda optimizer=optimizer: optimizer, cfg.saved_tensors)
                times.append(time.perf_counter() - start)
    ms_per_step = {setting: 1000 * statistics.median(run[-1][WARMUP_ROUNDS:]) for setting, run in runs.items()}
    machine = f"{platform.machine()}, {torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.1f} after"
    return {"torch": torch.__version__, "machine": machine,
            "what": f"default mini-GPT, one batch, {TIMED_ROUNDS} steps each, taken in turns",
            "command": "just docs-measure", "ms_per_step": ms_per_step}
