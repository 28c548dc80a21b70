"""Whether a run can start here, checked where it is claimed: out_dir writable, and enough memory for its sizes.

The config's own rules (minigpt.config.validate) need no machine; these read the file system, /proc/meminfo
and the cgroup's limit, so they run just before a run claims its directory (and once per job before a multirun).
"""

import math
import os
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from minigpt.config import ConfigError, DataKind, Phase25Config
from minigpt.data import AGREEMENT_VOCAB, check_text_source
from minigpt.runs.claim import writable_dir_problem


def check_can_run(cfg) -> None:
    """Raise ConfigError unless the run can start here: its text file usable, out_dir writable, memory enough."""
    check_text_source(cfg.data)
    check_out_dir(cfg.out_dir)
    check_memory(cfg)


def check_out_dir(out_dir: str) -> None:
    """Raise ConfigError unless run directories can be written under out_dir (it may not exist yet)."""
    problem = writable_dir_problem(out_dir)
    if problem:
        raise ConfigError("out_dir", problem, "a writable directory, or a path where one can be created")


# ---- memory: refuse a run that cannot fit, before anything is allocated ----

TEXT_VOCAB_GUESS = 256  # distinct characters of a text file, for the estimate (rarely more)
FLOAT = 4  # bytes of a float32
HEADROOM = 512 * 2**20  # Python, torch and the libraries themselves
SIZE_KEYS = ["model.n_layer", "model.n_embd", "model.n_head", "data.block_size", "data.n_train", "data.n_eval",
             "train.batch_size"]


@dataclass
class MemoryEstimate:
    """Bytes a run needs at its peak, by part: data, model (weights, gradients, AdamW's two moments), activations."""

    data: int
    model: int
    activations: int

    @property
    def total(self) -> int:
        return self.data + self.model + self.activations

    def describe(self) -> str:
        return (f"about {gib(self.total)} (data {gib(self.data)}, model and optimizer {gib(self.model)}, "
                f"activations {gib(self.activations)})")


def gib(n: float) -> str:
    """Bytes in words: 48.2 MiB, 4.83 GiB, 1,864 GiB."""
    if n < 2**27:
        return f"{n / 2**20:.1f} MiB"
    return f"{n / 2**30:.2f} GiB" if n < 1000 * 2**30 else f"{n / 2**30:,.0f} GiB"


def estimate_memory(cfg) -> MemoryEstimate:
    """What one training step and one evaluation of the config hold at once, from the sizes alone."""
    m, d, t = cfg.model, cfg.data, cfg.train
    L, H, C, T, B = m.n_layer, m.n_head, m.n_embd, d.block_size, t.batch_size
    if DataKind(d.kind) is DataKind.text:
        size = Path(d.path).stat().st_size if d.path and Path(d.path).is_file() else 0
        V, eval_tokens = TEXT_VOCAB_GUESS, size // 20  # each of validation and test: about 5% of the file
        data = size * 50  # the text, a list of Python ints while encoding, the int64 stream
    else:
        V, eval_tokens = len(AGREEMENT_VOCAB), d.n_eval * T
        data = (d.n_train + 2 * d.n_eval) * ((T + 1) * 8 * 3 + 12 * 8 * 10)  # seqs, x, y; generation temporaries
    params = 2 * V * C + T * C + L * (12 * C * C + 13 * C) + 2 * C
    model = params * FLOAT * 4 + L * T * T  # weights, gradients, AdamW's two moments; each block's causal mask
    per_token = L * 20 * C + 3 * V  # what backward keeps per position: ~20 (B, T, C) tensors per block, logits
    train_step = B * T * per_token * FLOAT + B * H * T * T * L * 3 * FLOAT  # + scores, masked, softmax per block
    evaluation = eval_tokens * (8 * C + 2 * V) * FLOAT + eval_tokens * H * T * 3 * FLOAT  # one layer at a time
    return MemoryEstimate(data, model, max(train_step, evaluation))


def available_memory() -> Optional[int]:
    """Bytes this process may still allocate: MemAvailable, or the cgroup's limit if lower; None if unknown."""
    available = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) * 1024
    except (OSError, ValueError):
        try:
            available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError):
            pass
    try:
        limit, used = (Path("/sys/fs/cgroup", f).read_text().strip() for f in ("memory.max", "memory.current"))
        if limit != "max":
            available = min(available or math.inf, int(limit) - int(used))
    except (OSError, ValueError):
        pass
    return available


def check_memory(cfg) -> None:
    """Raise ConfigError, naming the size that matters most, when the estimate exceeds the available memory."""
    available = available_memory()
    estimate = estimate_memory(cfg)
    if available is None or estimate.total + HEADROOM <= available:
        return
    key = biggest_size(cfg, estimate.total)
    default = default_of(key)
    raise ConfigError(key, f"{key}={select(cfg, key)} needs {estimate.describe()}, and this machine has "
                      f"{gib(available)} available", f"smaller sizes (default {key}={default})")


def biggest_size(cfg, total: int) -> str:
    """The size key whose default value would shrink the estimate the most."""
    best, best_total = SIZE_KEYS[0], total
    for key in SIZE_KEYS:
        if select(cfg, key) <= default_of(key):
            continue
        smaller = deepcopy(cfg)
        group, name = key.split(".")
        setattr(getattr(smaller, group), name, default_of(key))
        if (n := estimate_memory(smaller).total) < best_total:
            best, best_total = key, n
    return best


def select(cfg, key: str):
    group, name = key.split(".")
    return getattr(getattr(cfg, group), name)


def default_of(key: str):
    return select(Phase25Config(), key)


def memory_note(cfg) -> Optional[str]:
    """A line to print before a run much bigger than the default (it fits, but takes a while to build)."""
    estimate = estimate_memory(cfg)
    if estimate.total < 2**30:
        return None
    return f"this run needs {estimate.describe()} of memory: building it may take a while"


