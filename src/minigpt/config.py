"""The typed configuration schema: the one source of defaults (dataclasses and enums, no Hydra here).

minigpt.lab.compose registers it with Hydra's ConfigStore, so configs/phase25.yaml is checked against it.
"""

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Optional


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


def validate(cfg) -> None:
    """Check the rules a schema cannot express; raise ConfigError on the first broken one."""
    m, d, t = cfg.model, cfg.data, cfg.train
    for key, value in [("model.n_layer", m.n_layer), ("model.n_head", m.n_head),
                       ("model.n_embd", m.n_embd), ("data.block_size", d.block_size),
                       ("train.steps", t.steps), ("train.batch_size", t.batch_size),
                       ("train.eval_every", t.eval_every)]:
        if value < 1:
            raise ConfigError(key, f"got {value}", "a positive integer")
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
    if not 0 <= t.lr < 1:
        raise ConfigError("train.lr", f"got {t.lr}", "a learning rate in [0, 1)")


def default_run_name(cfg) -> str:
    """25-A for the out-of-place control, 25-B for any in-place run."""
    return cfg.run_name or ("25-B" if cfg.inplace else "25-A")
