"""The typed configuration schema and its validation: the one source of defaults (dataclasses and enums).

No Hydra here, and no machine: validate() reads nothing and writes nothing. Whether a run fits this machine
(a writable out_dir, enough memory, a readable text file) is checked where a run is claimed, minigpt.runs.guard.
minigpt.lab.compose registers the schema with Hydra's ConfigStore, so configs/phase25.yaml is checked against it.
"""

import math
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Optional


class LayerNormKind(str, Enum):
    torch = "torch"  # F.layer_norm: saves its input, version-checked by PyTorch
    manual = "manual"  # our autograd.Function, saves through ctx.save_for_backward (checked)
    unchecked = "unchecked"  # the same Function keeping tensors as ctx attributes (never checked)


class SavedTensors(str, Enum):
    default = "default"  # autograd saves references and checks their versions on unpack
    save_on_cpu = "save_on_cpu"  # torch.autograd.graph.save_on_cpu(): hooks skip the version check
    allow_mutation = "allow_mutation"  # allow_mutation_on_saved_tensors(): clones on mutation


class Residual(Enum):
    """The block's residual add, one of three; the user's switches inplace= and via_data= choose it."""

    out_of_place = "out_of_place"  # h = h + f(h): run A, the control
    inplace = "inplace"  # h.add_(f(h)): run B, bumps the version of the h the LayerNorms saved
    via_data = "via_data"  # h.data.add_(f(h)): no version bump and no graph edge, so silent


class Attention(str, Enum):
    fused = "fused"  # F.scaled_dot_product_attention: one kernel, forward and backward (the default: speed)
    explicit = "explicit"  # op by op, as a learner reads it: scores, mask, softmax, weights @ v


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
    attention: Attention = Attention.fused  # explicit: the op-by-op path the notes walk through
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


@dataclass
class GPTConfig:
    """What the model needs to be built, typed (as nanoGPT's GPTConfig): sizes, the residual, LayerNorm, attention."""

    vocab_size: int  # V
    block_size: int  # T, the longest sequence
    n_layer: int = 2
    n_head: int = 4  # H
    n_embd: int = 64  # C
    residual: Residual = Residual.out_of_place
    ln: LayerNormKind = LayerNormKind.torch
    attention: Attention = Attention.fused


RunConfig = Any  # a Phase25Config, or the DictConfig Hydra composes from it: read by attribute, duck-typed


def residual_of(inplace: bool, via_data: bool) -> Residual:
    """The residual the user's two switches name: inplace=false; inplace=true; inplace=true via_data=true."""
    if not inplace:
        return Residual.out_of_place
    return Residual.via_data if via_data else Residual.inplace


def gpt_config(cfg: RunConfig, vocab_size: int) -> GPTConfig:
    """The model's part of a run's config (Phase25Config or its Hydra DictConfig), typed."""
    m = cfg.model
    return GPTConfig(vocab_size, cfg.data.block_size, m.n_layer, m.n_head, m.n_embd,
                     residual_of(cfg.inplace, cfg.via_data), LayerNormKind(cfg.ln), Attention(cfg.attention))


class ConfigError(ValueError):
    """A user mistake in the configuration: names the key, what was wrong and what is allowed."""

    def __init__(self, key: str, problem: str, allowed: str):
        super().__init__(f"{key}: {problem}; allowed: {allowed}")
        self.key, self.problem, self.allowed = key, problem, allowed


SEED_MAX = 2**63 - 1  # torch.manual_seed takes up to 2**64 - 1, NumPy any non-negative integer
RUN_NAME = re.compile(r"[^\W_][\w.+=,-]{0,99}")  # one plain path component: no '/', '@', space or leading '.'
RUN_NAME_ALLOWED = ("one plain name of at most 100 characters: letters, digits and _ . + = , - "
                    "(a letter or digit first), e.g. 25-A or my_run")


def validate(cfg: RunConfig) -> None:
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


def default_run_name(cfg: RunConfig) -> str:
    """25-A for the out-of-place control, 25-B for any in-place run."""
    return cfg.run_name or ("25-B" if cfg.inplace else "25-A")
