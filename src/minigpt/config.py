"""The typed configuration schema: the one source of defaults (dataclasses and enums, no Hydra here).

minigpt.lab.compose registers it with Hydra's ConfigStore, so configs/phase25.yaml is checked against it.
"""

import math
import os
import re
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Optional

from minigpt.runs import writable_dir_problem


class LayerNormKind(str, Enum):
    torch = "torch"  # F.layer_norm: saves its input, version-checked by PyTorch
    manual = "manual"  # our autograd.Function, saves through ctx.save_for_backward (checked)
    unchecked = "unchecked"  # the same Function keeping tensors as ctx attributes (never checked)


class SavedTensors(str, Enum):
    default = "default"  # autograd saves references and checks their versions on unpack
    save_on_cpu = "save_on_cpu"  # torch.autograd.graph.save_on_cpu(): hooks skip the version check
    allow_mutation = "allow_mutation"  # allow_mutation_on_saved_tensors(): clones on mutation


class Device(str, Enum):
    auto = "auto"  # CUDA when present, else CPU
    cpu = "cpu"
    cuda = "cuda"


class DataKind(str, Enum):
    agreement = "agreement"  # generated Spanish agreement sentences (no download)
    text = "text"  # characters of a text file the user names


@dataclass
class ModelConfig:
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 64  # C; must be divisible by n_head (head size D = C / H)


@dataclass
class DataConfig:
    kind: DataKind = DataKind.agreement
    path: Optional[str] = None  # text mode only: the file to read
    block_size: int = 12  # T: the longest agreement sentence has 12 tokens
    n_train: int = 8000  # sentences (agreement) in the training split
    n_eval: int = 1000  # sentences in each of the validation and test splits


@dataclass
class TrainConfig:
    steps: int = 300
    batch_size: int = 64  # B
    lr: float = 3e-3  # high for a tiny model; AdamW keeps it stable here
    weight_decay: float = 0.01
    eval_every: int = 25
    grad_steps: list[int] = field(default_factory=lambda: [0])  # steps whose gradients are saved


@dataclass
class Phase25Config:
    inplace: bool = False  # the switch of the phase: h.add_(...) instead of h = h + ...
    via_data: bool = False  # with inplace: mutate through h.data (no version bump, no graph edge)
    ln: LayerNormKind = LayerNormKind.torch
    saved_tensors: SavedTensors = SavedTensors.default
    detect_anomaly: bool = False  # adds the forward traceback to a backward error; ~2x slower
    explain: bool = True  # forward and backward under autograd_doctor.explain(): a version error names the lines too
    seed: int = 0
    device: Device = Device.auto
    run_name: Optional[str] = None  # default: 25-A for the control, 25-B for in-place
    out_dir: str = "experiments"
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


class ConfigError(ValueError):
    """A user mistake in the configuration: names the key, what was wrong and what is allowed."""

    def __init__(self, key: str, problem: str, allowed: str):
        super().__init__(f"{key}: {problem}; allowed: {allowed}")
        self.key, self.problem, self.allowed = key, problem, allowed


SEED_MAX = 2**63 - 1  # torch.manual_seed takes up to 2**64 - 1, NumPy any non-negative integer
RUN_NAME = re.compile(r"[^\W_][\w.+=,-]{0,99}")  # one plain path component: no '/', '@', space or leading '.'
RUN_NAME_ALLOWED = ("one plain name of at most 100 characters: letters, digits and _ . + = , - "
                    "(a letter or digit first), e.g. 25-A or my_run")


def validate(cfg) -> None:
    """Check the rules a schema cannot express; raise ConfigError on the first broken one."""
    m, d, t = cfg.model, cfg.data, cfg.train
    for key, value in [("model.n_layer", m.n_layer), ("model.n_head", m.n_head),
                       ("model.n_embd", m.n_embd), ("data.block_size", d.block_size),
                       ("data.n_train", d.n_train), ("data.n_eval", d.n_eval),
                       ("train.steps", t.steps), ("train.batch_size", t.batch_size),
                       ("train.eval_every", t.eval_every)]:
        if value < 1:
            raise ConfigError(key, f"got {value}", "a positive integer")
    if not 0 <= cfg.seed <= SEED_MAX:
        raise ConfigError("seed", f"got {cfg.seed}", "an integer from 0 to 2**63-1")
    if m.n_embd % m.n_head:
        raise ConfigError("model.n_embd", f"{m.n_embd} is not divisible by model.n_head={m.n_head}",
                          "a multiple of model.n_head")
    if cfg.via_data and not cfg.inplace:
        raise ConfigError("via_data", "true needs inplace=true (it is a way of doing the in-place add)",
                          "via_data=true together with inplace=true")
    bad_steps = [s for s in t.grad_steps if not 0 <= s < t.steps]
    if bad_steps:
        raise ConfigError("train.grad_steps", f"{bad_steps} outside the run",
                          f"steps from 0 to train.steps-1={t.steps - 1}")
    if DataKind(d.kind) is DataKind.text:
        if not d.path:
            raise ConfigError("data.path", "missing for data=text", "a path to a readable text file")
        if not Path(d.path).is_file():
            raise ConfigError("data.path", f"no file at '{d.path}'", "a path to a readable text file")
        check_text_file(Path(d.path), d.block_size)
    elif d.path is not None:
        raise ConfigError("data.path", f"'{d.path}' given, but data={DataKind(d.kind).value} does not read files",
                          "data=text data.path=FILE, or no data.path")
    if not (math.isfinite(t.lr) and 0 <= t.lr < 1):
        raise ConfigError("train.lr", f"got {t.lr}", "a learning rate in [0, 1)")
    if not (math.isfinite(t.weight_decay) and t.weight_decay >= 0):
        raise ConfigError("train.weight_decay", f"got {t.weight_decay}", "a finite number >= 0")
    if cfg.run_name is not None and not RUN_NAME.fullmatch(cfg.run_name):
        problem = "empty" if cfg.run_name == "" else f"{cfg.run_name!r} is not a plain name"
        raise ConfigError("run_name", problem, RUN_NAME_ALLOWED)
    if not cfg.out_dir:
        raise ConfigError("out_dir", "empty", "a directory path, e.g. experiments")
    check_out_dir(cfg.out_dir)
    check_memory(cfg)


TEXT_TRAIN_FRACTION = 0.9  # of a text file's characters; the rest is cut into validation and test windows


def text_too_short(n_chars: int, block_size: int) -> bool:
    """Whether a text of n_chars characters leaves a training window and two held-out windows of block_size+1."""
    n_train = int(n_chars * TEXT_TRAIN_FRACTION)
    return n_train < block_size + 1 or (n_chars - n_train) // (block_size + 1) < 2


def check_text_file(path: Path, block_size: int) -> None:
    """Raise ConfigError unless the file is UTF-8 text long enough for block_size (read in chunks)."""
    n_chars = 0
    try:
        with open(path, encoding="utf-8") as f:
            while chunk := f.read(2**20):
                n_chars += len(chunk)
    except UnicodeDecodeError:
        raise ConfigError("data.path", f"'{path}' is not UTF-8 text", "a UTF-8 text file") from None
    except OSError as e:
        raise ConfigError("data.path", f"'{path}' cannot be read ({e.strerror})", "a readable text file") from None
    if text_too_short(n_chars, block_size):
        raise ConfigError("data.path", f"'{path}' has {n_chars} characters, too few for data.block_size={block_size}",
                          f"a file of at least {20 * (block_size + 1)} characters")


def check_out_dir(out_dir: str) -> None:
    """Raise ConfigError unless run directories can be written under out_dir (it may not exist yet)."""
    problem = writable_dir_problem(out_dir)
    if problem:
        raise ConfigError("out_dir", problem, "a writable directory, or a path where one can be created")


# ---- memory: refuse a run that cannot fit, before anything is allocated ----

AGREEMENT_VOCAB_SIZE = 48  # len(minigpt.data.AGREEMENT_VOCAB); a test keeps the two equal
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
        V, eval_tokens = AGREEMENT_VOCAB_SIZE, d.n_eval * T
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
    from copy import deepcopy

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


def default_run_name(cfg) -> str:
    """25-A for the out-of-place control, 25-B for any in-place run."""
    return cfg.run_name or ("25-B" if cfg.inplace else "25-A")
