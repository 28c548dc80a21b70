"""just phase-25-train [overrides]: train the mini-GPT, out of place (25-A) or in place (25-B)."""

import os
import shlex
import signal
import time
from pathlib import Path

from omegaconf import OmegaConf
from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from minigpt.cli.common import arguments_or_help, config_or_fail, fail
from minigpt.config import ConfigError, default_run_name
from minigpt.data import Splits, make_splits
from minigpt.lab.gpt_doctor import diagnose_model
from autograd_doctor.render import write_graph_files
from minigpt.runs import CURVES, RunDir
from autograd_doctor.saved_tensors import VERSION_ERROR
from minigpt.train import TrainResult, pick_device, train

PROGRAM = "phase-25-train"
EXIT_STATUS = {"ok": 0, "crashed": 1, "interrupted": 130}
SILENT_COMMAND = "just phase-25-train inplace=true ln=unchecked"
ANOMALY_COMMAND = "just phase-25-train inplace=true detect_anomaly=true"
PHASE_NAMES = {"forward": "the forward pass", "backward": "loss.backward()", "optimizer": "optimizer.step()",
               "eval": "evaluation"}
HELP = f"""usage: {PROGRAM} [key=value ...]

Train the phase-25 mini-GPT. Arguments are Hydra overrides of configs/phase25.yaml, e.g.
  {PROGRAM}                                   control, out-of-place residual (experiments/25-A)
  {PROGRAM} inplace=true detect_anomaly=true  the loud break, with the forward traceback
  {PROGRAM} inplace=true ln=unchecked         the silent break: trains on, wrong gradients
Switches: inplace, via_data, ln=torch|manual|unchecked, saved_tensors=default|save_on_cpu|allow_mutation,
detect_anomaly, seed, device=auto|cpu|cuda, run_name, model.*, data.*, train.*, experiment=NAME.
Exit status: 0 trained, 1 crashed, 2 bad input, 130 interrupted."""


def main(argv: list[str] | None = None) -> None:
    overrides = arguments_or_help(argv, HELP)
    if overrides is None:
        return
    cfg = config_or_fail(overrides, PROGRAM)
    try:
        pick_device(cfg.device)
        splits = make_splits(cfg.data, cfg.seed)  # a text file that cannot be used fails here, in one line
    except ConfigError as e:
        fail(f"bad config: {e}", PROGRAM)
    signal.signal(signal.SIGTERM, raise_keyboard_interrupt)  # a killed run still writes its record
    console = Console()
    run, moved_to = RunDir.create(cfg.out_dir, default_run_name(cfg))
    if moved_to:
        console.print(f"[dim]earlier run kept at {moved_to}[/]")
    run.write_config(OmegaConf.to_yaml(cfg, resolve=True))
    result = train_with_progress(cfg, run, console, overrides, splits)
    report(cfg, run, result, console)
    if result.status == "crashed" and cfg.inplace and result.last_batch is not None:
        write_crash_graph(cfg, run, result, console)
    raise SystemExit(EXIT_STATUS[result.status])


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
    from minigpt.lab.plots import plot_curves  # matplotlib loads in ~1 s: only once the run is over

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
    """PyTorch's own message verbatim, then the forward traceback or why there is none."""
    body = Text(summary["error_message"] + "\n\n", style="bold")
    traceback = summary.get("forward_traceback")
    if traceback:
        body.append("Forward traceback of the node whose backward failed (anomaly mode), our frames:\n")
        body.append(project_frames(traceback), style="cyan")
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


def project_frames(traceback: str) -> str:
    """The frames of a forward traceback that are in this project, each with its source line."""
    lines, keep = traceback.splitlines(), []
    for i, line in enumerate(lines):
        if line.strip().startswith('File "') and "/minigpt/" in line and "/cli/" not in line:
            keep.append(line.strip().replace(str(Path.cwd()) + os.sep, ""))
            if i + 1 < len(lines) and not lines[i + 1].strip().startswith("File "):
                keep.append("    " + lines[i + 1].strip())
    return "\n".join(keep)


if __name__ == "__main__":
    main()
