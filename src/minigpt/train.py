"""The training loop as a library function: no Hydra, no printing; it records and returns."""

import contextlib
import platform
import signal
import threading
import time
import traceback
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Optional

import torch

from autograd_doctor import doctor_notes, explain, saved_tensors_context
from minigpt.config import ConfigError, Device
from minigpt.data import Splits, make_splits
from minigpt.model import GPT, build_model
from minigpt.runs import RunDir, writer_identity

FORWARD_TRACEBACK_MARK = "Traceback of forward call that caused the error"
HEARTBEAT_EVERY_S = 1.0  # summary.json's heartbeat: after step 0, then at most once a second


@dataclass
class TrainResult:
    """What a run produced, whether it finished, crashed or was interrupted."""

    status: str  # ok | crashed | interrupted
    model: Optional[GPT]  # None when building it failed
    splits: Splits
    summary: dict
    last_batch: Optional[tuple[torch.Tensor, torch.Tensor]] = None
    error: Optional[BaseException] = None
    history: list[dict] = field(default_factory=list)


def pick_device(device: str) -> torch.device:
    """auto means CUDA when present, else CPU."""
    if Device(device) is Device.auto:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if Device(device) is Device.cuda and not torch.cuda.is_available():
        raise ConfigError("device", "cuda, but torch.cuda.is_available() is False on this machine", "auto, cpu")
    return torch.device(str(Device(device).value))


def make_optimizer(model: torch.nn.Module, train_cfg) -> torch.optim.Optimizer:
    """Fused AdamW (CPU-supported in torch 2.13). Its constructor imports torch._dynamo (~1 s), so the
    training loop makes it at the first optimizer step: the in-place error of the first backward comes first."""
    return torch.optim.AdamW(model.parameters(), lr=train_cfg.lr, weight_decay=train_cfg.weight_decay, fused=True)


def training_step(model: GPT, x: torch.Tensor, y: torch.Tensor, optimizer: Callable[[], torch.optim.Optimizer],
                  saved_tensors: str = "default", where: Optional[dict] = None,
                  after_backward: Optional[Callable[[], None]] = None, explained: bool = False) -> torch.Tensor:
    """One step: forward and backward under the saved-tensor mode, then the optimizer; returns the loss.

    optimizer: called once the gradients exist, so it may build the optimizer on first use.
    explained: forward and backward run under autograd_doctor.explain(), so a version error also names the
    lines that changed the saved tensor. The optimizer stays outside: it runs after the backward, when this
    step's graph is gone, and it makes most of a step's torch calls.
    where: where["phase"] is kept at forward | backward | optimizer, and where["loss"] holds the loss once the
    forward made it, so a caller can say where a failure hit and what the forward had computed.
    """
    where = {} if where is None else where
    with saved_tensors_context(saved_tensors), (explain() if explained else contextlib.nullcontext()):
        where["phase"] = "forward"
        loss = where["loss"] = model(x, y)[1]
        where["phase"] = "backward"
        loss.backward()
    where["phase"] = "optimizer"
    if after_backward:
        after_backward()
    opt = optimizer()
    opt.step()
    opt.zero_grad(set_to_none=True)
    return loss


@torch.inference_mode()
def evaluate(model: GPT, splits: Splits) -> tuple[float, float]:
    """Validation loss over every position, and test accuracy on the positions that test the rule."""
    _, val_loss = model(splits.val_x, splits.val_y)
    logits, _ = model(splits.test_x)
    correct = (logits.argmax(-1) == splits.test_y)[splits.test_mask]
    return val_loss.item(), correct.float().mean().item()


def forward_traceback(caught: list[warnings.WarningMessage]) -> Optional[str]:
    """The forward traceback anomaly mode emits as a warning when a backward fails, verbatim."""
    for w in caught:
        if FORWARD_TRACEBACK_MARK in str(w.message):
            return str(w.message)
    return None


@contextmanager
def signals_deferred():
    """SIGINT and SIGTERM wait until the block ends, then act as usual: a record is never half written.

    Only the main thread can set signal handlers; elsewhere the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {s: signal.signal(s, lambda signum, frame: caught.append(signum))
                for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, signal.SIG_DFL if handler is None else handler)
        if caught:
            signal.raise_signal(caught[0])  # the usual handler runs now, e.g. KeyboardInterrupt


def train(cfg, run: Optional[RunDir] = None, on_step: Optional[Callable[[int, dict], None]] = None,
          extra_summary: Optional[dict] = None, splits: Optional[Splits] = None) -> TrainResult:
    """Train the config's model; every outcome is written to `run` (when given) and returned.

    extra_summary: fields for summary.json that only the caller knows, such as the command.
    splits: the data, when the caller already built it (else made from the config).
    The counts follow minigpt.runs: steps_completed = metrics lines; failed_step = the step in progress.
    """
    started, t0 = datetime.now().isoformat(timespec="seconds"), time.perf_counter()
    device = pick_device(cfg.device)
    splits = splits or make_splits(cfg.data, cfg.seed)
    summary = {"status": "running", "started_at": started, "writer": writer_identity(), "heartbeat": None,
               "seed": cfg.seed, "device": str(device), "torch_version": torch.__version__,
               "python_version": platform.python_version(), "steps_planned": cfg.train.steps,
               "steps_completed": 0, **(extra_summary or {})}
    history: list[dict] = []
    result = TrainResult("running", None, splits, summary, history=history)
    if run:
        run.write_summary(summary)
    tokens_per_step = cfg.train.batch_size * cfg.data.block_size
    where, last_beat = {"phase": "setup", "loss": None}, -float("inf")  # setup: data to device, model built
    caught: list[warnings.WarningMessage] = []
    try:
        torch.manual_seed(cfg.seed)
        result.splits = splits = splits.to(device)
        model = result.model = build_model(cfg, len(splits.vocab)).to(device)
        optimizers: list[torch.optim.Optimizer] = []  # made at the first optimizer step (see make_optimizer)

        def get_optimizer() -> torch.optim.Optimizer:
            if not optimizers:
                optimizers.append(make_optimizer(model, cfg.train))
            return optimizers[0]

        batches = torch.Generator().manual_seed(cfg.seed)
        with torch.autograd.set_detect_anomaly(cfg.detect_anomaly, check_nan=False), \
                warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for step in range(cfg.train.steps):
                step_start = time.perf_counter()
                x, y = result.last_batch = splits.batch(batches, cfg.train.batch_size)
                loss = training_step(model, x, y, get_optimizer, cfg.saved_tensors, where,
                                     (lambda: run.save_grads(step, model)) if run and step in cfg.train.grad_steps
                                     else None, explained=cfg.explain)
                record = {"step": step, "loss": loss.item(),
                          "tokens_per_s": tokens_per_step / (time.perf_counter() - step_start)}
                if step == 0 or (step + 1) % cfg.train.eval_every == 0 or step + 1 == cfg.train.steps:
                    where["phase"] = "eval"
                    record["val_loss"], record["test_accuracy"] = evaluate(model, splits)
                with signals_deferred():  # the line, the history and the count move together
                    if run:
                        run.log(record)
                    history.append(record)
                    summary["steps_completed"] = step + 1
                    if run and (step == 0 or time.perf_counter() - last_beat >= HEARTBEAT_EVERY_S):
                        summary["heartbeat"] = {"step": step + 1, "at": datetime.now().isoformat(timespec="seconds")}
                        run.write_summary(summary)
                        last_beat = time.perf_counter()
                if on_step:
                    on_step(step, record)
                caught.clear()
        result.status = "ok"
    except (Exception, KeyboardInterrupt) as e:  # any failure: record it verbatim, then report it
        result.status = "interrupted" if isinstance(e, KeyboardInterrupt) else "crashed"
        result.error = e
        summary.update({"failed_step": summary["steps_completed"], "failed_in": where["phase"],
                        "error_type": type(e).__name__, "error_message": str(e),  # PyTorch's words verbatim
                        "doctor_explanation": doctor_notes(e),  # the doctor's lines: the error's notes
                        "python_traceback": traceback.format_exc(),
                        "forward_traceback": forward_traceback(caught),
                        "loss_before_failure": None if where["loss"] is None else where["loss"].item()})
    finally:
        with signals_deferred():  # a second Ctrl-C waits until the record is whole
            evals = [r for r in history if "test_accuracy" in r]
            summary.update({"status": result.status if result.status != "running" else "crashed",
                            "finished_at": datetime.now().isoformat(timespec="seconds"),
                            "wall_time_s": round(time.perf_counter() - t0, 3),
                            "final_val_loss": evals[-1]["val_loss"] if evals else None,
                            "final_test_accuracy": evals[-1]["test_accuracy"] if evals else None})
            summary["heartbeat"] = {"step": summary["steps_completed"], "at": summary["finished_at"]}
            if run:
                save_weights(run, result.model, summary)
                run.write_summary(summary)
    return result


def save_weights(run: RunDir, model: Optional[GPT], summary: dict) -> None:
    """weights.safetensors; a model never built, or a failed write, leaves it empty and says why."""
    if model is None:
        summary["weights_note"] = "no model was built: weights.safetensors is empty"
        return
    try:
        run.save_weights(model)
    except Exception as e:  # a full disk must not cost the summary
        summary["weights_note"] = f"weights.safetensors could not be written: {type(e).__name__}: {e}"
