"""The training Hydra app that phase-25-train and phase-25-sweep both run (a module below the commands).

Out of place (25-A) or in place (25-B). The command line goes to Hydra untouched, so its flags, its
override grammar and its sweepers behave as every Hydra user expects (--help, --cfg job, --info, -m,
hydra/sweeper=optuna). A mistake is still one line and exit status 2: with HYDRA_FULL_ERROR=1 (Hydra's
documented switch) Hydra raises what it would print as a multi-line report, and the line is made from that.
Each job checks its own config (the schema's keys, minigpt.config.validate, check_can_run) before it claims
a directory, so a bad value that every job of a multirun shares fails at the first job, in one line.
A multirun (-m) trains each job into <out_dir>/25-sweep/<experiment>-seed<k>/ and, when it ends, writes
the aggregate (sweep_report.py).
"""

import io
import os
import shlex
import signal
import sys
import time
import typing
from typing import Optional

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import HydraException
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException
from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from autograd_doctor import VERSION_ERROR, project_frames, write_graph_files
from minigpt.cli.common import (
    PHASE_NAMES,
    SILENT_COMMAND,
    USAGE_EXIT,
    UsageError,
    check_config,
    fail,
    hydra_error_line,
    swept_keys,
)
from minigpt.config import ConfigError, default_run_name
from minigpt.data import Splits, make_splits
from minigpt.lab.compose import CONFIG_DIR, register_configs
from minigpt.lab.graph import diagnose_model
from minigpt.lab.sweep import NO_EXPERIMENT, job_name
from minigpt.runs import CURVES, RunDir, RunError
from minigpt.runs.guard import memory_note
from minigpt.train import TrainResult, pick_device, train

PROGRAM = "phase-25-train"
EXIT_STATUS = {"ok": 0, "crashed": 1, "interrupted": 130}
ANOMALY_COMMAND = "just phase-25-train inplace=true detect_anomaly=true"
FORWARD_FRAMES = 4  # the innermost user frames of the forward traceback: the model's lines, not the command's
FULL_ERROR = "HYDRA_FULL_ERROR"  # "1": Hydra re-raises instead of printing its report (and a user who set it gets it)


def main(argv: list[str] | None = None, program: str = PROGRAM) -> None:
    """Hand the command line to Hydra, which runs `run_job` once per job; its errors become one line."""
    args = sys.argv[1:] if argv is None else argv
    signal.signal(signal.SIGTERM, raise_keyboard_interrupt)  # a killed run still writes its record
    statuses: list[int] = []
    multirun: list[bool] = []
    register_configs()
    others = [k for k in swept_keys(args) if k not in ("experiment", "seed")]

    def task(cfg: DictConfig) -> Optional[float]:
        """Hydra's task function: one job; its return value, the final validation loss, is what a sweeper
        such as hydra/sweeper=optuna minimises (None when the run stopped before its first evaluation)."""
        release_stderr()  # a module function: the task pickles to a joblib worker, a held stream would not
        multirun.append(HydraConfig.get().mode == RunMode.MULTIRUN)
        status, final_val_loss = run_job(cfg, multirun[-1], others, program)
        statuses.append(status)
        return final_val_loss

    app = hydra.main(config_path=str(CONFIG_DIR), config_name="phase25", version_base="1.3")(task)
    sys.argv = [program, *args]  # Hydra reads its command line from sys.argv
    full_error_set = os.environ.get(FULL_ERROR)
    os.environ[FULL_ERROR] = "1"
    try:
        HELD_STDERR.hold()
        app()
    except KeyboardInterrupt:  # outside a run (a run records its own interruption and returns)
        print(f"{program}: interrupted", file=sys.stderr)
        raise SystemExit(EXIT_STATUS["interrupted"]) from None
    except (HydraException, OmegaConfBaseException) as e:
        HELD_STDERR.drop()
        if full_error_set == "1":
            raise
        fail(hydra_error_line(e, args), program)
    except SystemExit as e:
        text = HELD_STDERR.drop()
        if e.code == USAGE_EXIT and text.startswith("usage: "):  # argparse, on a flag Hydra does not know
            problem = text.strip().splitlines()[-1].removeprefix(f"{program}: error: ")
            fail(f"{problem}; allowed: the flags {program} --help lists, and key=value overrides", program)
        sys.stderr.write(text)
        raise
    finally:
        HELD_STDERR.release()
        if full_error_set is None:
            del os.environ[FULL_ERROR]
        else:
            os.environ[FULL_ERROR] = full_error_set
    raise SystemExit(statuses[0] if statuses and not multirun[0] else 0)


class HeldStderr:
    """stderr held while Hydra reads its flags, since argparse answers one it does not know (--foo, --cfg with
    no value) with its usage, several lines, and exit 2; what was held is written out once a job starts."""

    def __init__(self) -> None:
        self.real: Optional[typing.TextIO] = None
        self.buffer = io.StringIO()

    def hold(self) -> None:
        self.real, self.buffer = sys.stderr, io.StringIO()
        sys.stderr = self.buffer

    def drop(self) -> str:
        """Stop holding; what was held ("" when nothing is), not written."""
        if self.real is None:
            return ""
        sys.stderr, self.real = self.real, None
        return self.buffer.getvalue()

    def release(self) -> None:
        """Stop holding, and write out what was held."""
        held = self.drop()  # first: `sys.stderr.write(self.drop())` would look up the buffer's write, then restore
        sys.stderr.write(held)


HELD_STDERR = HeldStderr()  # this process's stderr while Hydra reads its flags


def release_stderr() -> None:
    """Write out what stderr held, and stop holding it (a no-op where nothing is held, as in a worker)."""
    HELD_STDERR.release()


def run_job(cfg: DictConfig, multirun: bool, swept_others: list[str], program: str = PROGRAM
            ) -> tuple[int, Optional[float]]:
    """One run: its config checked, its record under out_dir (multirun: the sweep directory), the report; its
    exit status and its final validation loss."""
    overrides = list(HydraConfig.get().overrides.task)
    try:
        check_config(cfg, overrides)  # the schema's keys, the rules, out_dir writable, memory enough
        pick_device(cfg.device)
        splits = make_splits(cfg.data, cfg.seed)  # a text file that cannot be used fails here, in one line
    except UsageError as e:
        fail(str(e), program)
    except ConfigError as e:
        fail(f"bad config: {e}", program)
    extra = {"command": shlex.join([PROGRAM, *overrides])}
    if multirun:  # <experiment>-seed<k>, plus any other swept override, as the sweep report expects
        variant = HydraConfig.get().runtime.choices.get("experiment") or NO_EXPERIMENT
        swept = [o for o in overrides if o.split("=", 1)[0].lstrip("+") in swept_others]
        cfg.out_dir = HydraConfig.get().sweep.dir
        cfg.run_name = job_name(variant, cfg.seed, swept)
        extra["sweep_job"] = {"num": HydraConfig.get().job.num, "variant": variant}  # how the report finds it
    console = Console()
    note = memory_note(cfg)
    if note:
        console.print(f"[yellow]{note}[/]")
    try:
        run, moved_to = RunDir.create(cfg.out_dir, default_run_name(cfg))
    except RunError as e:
        fail(str(e), program)
    with run:  # the run owns its directory until its record is complete
        if moved_to:
            console.print(f"[dim]earlier run kept at {moved_to}[/]")
        elif run.path.name != default_run_name(cfg):
            console.print(f"[dim]a live run holds {default_run_name(cfg)}: this one writes {run.path.name}[/]")
        run.write_config(OmegaConf.to_yaml(cfg, resolve=True))
        result = train_with_progress(cfg, run, console, extra, splits)
        report(cfg, run, result, console)
        if result.status == "crashed" and cfg.inplace and result.last_batch is not None and result.model is not None:
            write_crash_graph(cfg, run, result, console)
    if multirun and result.status == "interrupted":
        raise SystemExit(EXIT_STATUS["interrupted"])  # stop the sweep: the jobs run so far keep their records
    return EXIT_STATUS[result.status], result.summary.get("final_val_loss")


def raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def train_with_progress(cfg, run: RunDir, console: Console, extra: dict, splits: Splits) -> TrainResult:
    """Train with a live bar: step, loss, accuracy, tokens/s, time left; `extra` goes into summary.json."""
    columns = [TextColumn("step {task.completed:>4.0f}/{task.total:.0f}"), BarColumn(),
               TextColumn("loss {task.fields[loss]}  acc {task.fields[acc]}  {task.fields[tps]} tok/s"),
               TimeRemainingColumn()]
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("train", total=cfg.train.steps, loss="-", acc="-", tps="-")

        tokens_per_step, start = cfg.train.batch_size * cfg.data.block_size, time.perf_counter()

        def on_step(step: int, record: dict) -> None:
            tokens_per_s = tokens_per_step * (step + 1) / (time.perf_counter() - start)  # mean since start
            fields = {"loss": f"{record['loss']:.3f}", "tps": f"{tokens_per_s:,.0f}"}
            if "test_accuracy" in record:
                fields["acc"] = f"{record['test_accuracy']:.1%}"
            progress.update(task, completed=step + 1, **fields)

        return train(cfg, run, on_step, extra, splits)


def report(cfg, run: RunDir, result: TrainResult, console: Console) -> None:
    """The crash panel or the result table, then the curves and where the record is."""
    from minigpt.lab.compare.plots import plot_curves  # matplotlib loads in ~1 s: only once the run is over

    summary = result.summary
    if result.status == "crashed":
        console.print(crash_panel(summary, cfg.detect_anomaly))
    elif result.status == "interrupted":
        console.print(f"[yellow]interrupted at step {summary['failed_step']}[/]: the record so far is kept")
    table = Table(title=f"run {run.path.name}", show_header=False)
    for key in ["status", "steps_completed", "final_val_loss", "final_test_accuracy", "wall_time_s"]:
        value = summary.get(key)
        table.add_row(key, f"{value:.4f}" if isinstance(value, float) else str(value))
    console.print(table)
    note = None
    if not result.history:
        loss = summary.get("loss_before_failure")
        note = (f"{result.status} in {PHASE_NAMES[summary['failed_in']]} at step {summary['failed_step']}: "
                f"no step completed" + (f"\n(the forward had computed loss {loss:.4f})" if loss is not None else ""))
    plot_curves({run.path.name: result.history}, run.path / CURVES, f"{run.path.name}: {summary['command']}",
                note)
    console.print(f"record: [bold]{run.path}[/] (summary.json, metrics.jsonl, grads/, curves.png)")


def write_crash_graph(cfg, run: RunDir, result: TrainResult, console: Console) -> None:
    """The failed backward freed part of the graph: redo the last forward of the crashed model under the
    graph doctor, and keep every break it finds (graph.png/.svg of the whole model, graph.dot/.mmd, graph_breaks
    in summary.json)."""
    report, _ = diagnose_model(result.model, *result.last_batch, cfg.saved_tensors)
    paths = write_graph_files(report, run.path, f"{run.path.name}: the graph of the failing step")
    result.summary.update(graph_verdict=report.verdict, graph_breaks=[str(b) for b in report.breaks])
    run.write_summary(result.summary)
    console.print(f"graph doctor: {report.summary()}; {', '.join(p.name for p in paths)} in {run.path}")


def crash_panel(summary: dict, detect_anomaly: bool) -> Panel:
    """PyTorch's own message verbatim, the doctor's lines (which saved tensor, which lines changed it), then the
    forward traceback or why there is none."""
    body = Text(summary["error_message"] + "\n\n", style="bold")
    if summary.get("doctor_explanation"):
        body.append(summary["doctor_explanation"] + "\n\n", style="cyan")
    traceback = summary.get("forward_traceback")
    if traceback:
        frames = project_frames(traceback, with_code=True)[-FORWARD_FRAMES:]
        body.append("Forward traceback of the node whose backward failed (anomaly mode), innermost frames:\n")
        body.append("\n".join(frames), style="cyan")
        body.append("\nThe full traceback is in summary.json.")
    elif not detect_anomaly and VERSION_ERROR in summary["error_message"]:  # the two lines speak of that check
        body.append("Anomaly detection was off, and PyTorch raised anyway: the version check runs on every "
                    "backward.\nSilent wrong gradients need a saved tensor the check cannot see; to see one:\n",
                    style="yellow")
        body.append(f"  {SILENT_COMMAND}\n", style="bold yellow")
        body.append("For the forward traceback of the failing node:\n", style="yellow")
        body.append(f"  {ANOMALY_COMMAND}", style="bold yellow")
    title = f"{summary['error_type']} in {PHASE_NAMES[summary['failed_in']]} at step {summary['failed_step']}"
    return Panel(body, title=title, border_style="red")
