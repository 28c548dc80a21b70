"""The training Hydra app that phase-25-train and phase-25-sweep both run (a module below the commands).

Out of place (25-A) or in place (25-B). Hydra's own flags behave as every Hydra user expects (--help,
--cfg job, --info, --shell-completion, -m); the overrides are checked first, so a mistake is one line and
exit status 2 rather than Hydra's multi-line error. A multirun (-m) trains each job into
<out_dir>/25-sweep/<experiment>-seed<k>/ and, when it ends, writes the aggregate (sweep_report.py).
"""

import shlex
import signal
import sys
import time
from typing import Optional

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from autograd_doctor import VERSION_ERROR, project_frames, write_graph_files
from minigpt.cli.common import (
    PHASE_NAMES,
    SILENT_COMMAND,
    UsageError,
    check_command_line,
    fail,
    split_command_line,
    swept_keys,
)
from minigpt.cli.sweep_report import planned_jobs
from minigpt.config import ConfigError, Phase25Config, default_run_name
from minigpt.data import Splits, make_splits
from minigpt.lab.compose import CONFIG_DIR, register_configs
from minigpt.lab.graph import diagnose_model
from minigpt.lab.sweep import job_name
from minigpt.runs import CURVES, RunDir, RunError
from minigpt.runs.guard import check_can_run, memory_note
from minigpt.train import TrainResult, pick_device, train

PROGRAM = "phase-25-train"
EXIT_STATUS = {"ok": 0, "crashed": 1, "interrupted": 130}
ANOMALY_COMMAND = "just phase-25-train inplace=true detect_anomaly=true"
FORWARD_FRAMES = 4  # the innermost user frames of the forward traceback: the model's lines, not the command's


def main(argv: list[str] | None = None, program: str = PROGRAM) -> None:
    """Check the command line, then hand it to Hydra, which runs `run_job` once per job."""
    args = sys.argv[1:] if argv is None else argv
    line = split_command_line(args)
    if not line.asks_for_help:
        try:
            check_command_line(line)
            if line.multirun:
                check_job_names(line.overrides)
        except UsageError as e:
            fail(str(e), program)
    signal.signal(signal.SIGTERM, raise_keyboard_interrupt)  # a killed run still writes its record
    statuses: list[int] = []
    register_configs()
    others = [k for k in swept_keys(line.overrides) if k not in ("experiment", "seed")]

    def task(cfg: DictConfig) -> Optional[float]:
        """Hydra's task function: one job; its return value, the final validation loss, is what a sweeper
        such as hydra/sweeper=optuna minimises (None when the run stopped before its first evaluation)."""
        status, final_val_loss = run_job(cfg, line.multirun, others)
        statuses.append(status)
        return final_val_loss

    app = hydra.main(config_path=str(CONFIG_DIR), config_name="phase25", version_base="1.3")(task)
    sys.argv = [program, *args]  # Hydra reads its command line from sys.argv
    try:
        app()
    except KeyboardInterrupt:  # outside a run (a run records its own interruption and returns)
        print(f"{program}: interrupted", file=sys.stderr)
        raise SystemExit(EXIT_STATUS["interrupted"]) from None
    raise SystemExit(statuses[0] if statuses and not line.multirun else 0)


def check_job_names(overrides: list[str]) -> None:
    """Every job of a multirun gets its own run directory name; UsageError when two would share one."""
    names = [name for name, _ in planned_jobs(overrides, Phase25Config.seed)]
    twice = next((n for n in names if names.count(n) > 1), None)
    if twice:
        raise UsageError(f"job {twice} appears twice in the multirun; allowed: each combination once")


def run_job(cfg: DictConfig, multirun: bool, swept_others: list[str]) -> tuple[int, Optional[float]]:
    """One run: its record under out_dir (multirun: the sweep directory), the report; its exit status and its
    final validation loss."""
    overrides = list(HydraConfig.get().overrides.task)
    if multirun:  # <experiment>-seed<k>, plus any other swept override, as the sweep report expects
        swept = [o for o in overrides if o.split("=", 1)[0].lstrip("+") in swept_others]
        cfg.out_dir = HydraConfig.get().sweep.dir
        cfg.run_name = job_name(HydraConfig.get().runtime.choices.get("experiment"), cfg.seed, swept)
    try:
        pick_device(cfg.device)
        check_can_run(cfg)  # where the run claims its directory: out_dir writable, memory enough
        splits = make_splits(cfg.data, cfg.seed)  # a text file that cannot be used fails here, in one line
    except ConfigError as e:
        fail(f"bad config: {e}", PROGRAM)
    console = Console()
    note = memory_note(cfg)
    if note:
        console.print(f"[yellow]{note}[/]")
    try:
        run, moved_to = RunDir.create(cfg.out_dir, default_run_name(cfg))
    except RunError as e:
        fail(str(e), PROGRAM)
    with run:  # the run owns its directory until its record is complete
        if moved_to:
            console.print(f"[dim]earlier run kept at {moved_to}[/]")
        elif run.path.name != default_run_name(cfg):
            console.print(f"[dim]a live run holds {default_run_name(cfg)}: this one writes {run.path.name}[/]")
        run.write_config(OmegaConf.to_yaml(cfg, resolve=True))
        result = train_with_progress(cfg, run, console, overrides, splits)
        report(cfg, run, result, console)
        if result.status == "crashed" and cfg.inplace and result.last_batch is not None and result.model is not None:
            write_crash_graph(cfg, run, result, console)
    if multirun and result.status == "interrupted":
        raise SystemExit(EXIT_STATUS["interrupted"])  # stop the sweep: the jobs run so far keep their records
    return EXIT_STATUS[result.status], result.summary.get("final_val_loss")


def raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def train_with_progress(cfg, run: RunDir, console: Console, overrides: list[str], splits: Splits) -> TrainResult:
    """Train with a live bar: step, loss, accuracy, tokens/s, time left."""
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

        return train(cfg, run, on_step, {"command": shlex.join([PROGRAM, *overrides])}, splits)


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
