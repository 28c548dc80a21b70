"""just phase-25-sweep [overrides]: several seeds of the control and each silent variant, side by side."""

import shlex
import signal
import sys
import time
from datetime import datetime

from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from minigpt.cli.common import UsageError, fail, load_config
from minigpt.cli.train import raise_keyboard_interrupt
from minigpt.config import ConfigError, Phase25Config
from minigpt.data import make_splits
from minigpt.lab.sweep import (CURVES, DEFAULT_SWEEP, REPORT, SUMMARY, TABLE_COLUMNS, SweepError, add_grad_errors,
                           create_sweep_dir, expand_sweep, run_job, summarize, sweep_overrides, table_rows,
                           write_report)

PROGRAM = "phase-25-sweep"
HELP = f"""usage: {PROGRAM} [key=value ...]

Train every variant over several seeds (Hydra multirun semantics, jobs run one after another in
this process) and compare them: test accuracy and final validation loss, mean ± std (min–max),
and the step-0 gradient relative error against the control run of the same seed.
The default sweep:
  {' '.join(f'{k}={v}' for k, v in DEFAULT_SWEEP.items())}
Arguments are Hydra overrides: a sweep over experiment or seed replaces the default one, and any
other key=value applies to every job, e.g.
  {PROGRAM} seed=0,1,2                           3 seeds instead of 5 (or 'seed=range(3)', quoted)
  {PROGRAM} experiment=control,silent_unchecked  two variants
  {PROGRAM} train.steps=100 out_dir=/tmp/sweeps  shorter runs, elsewhere
Variants are the files of configs/experiment/. Writes OUT_DIR/25-sweep/ (one run directory per job,
summary.json, report.md, curves.png); an earlier sweep there is moved aside.
Exit status: 0 every job ran (crashed jobs are reported in the table), 2 bad input, 130 interrupted."""


def main(argv: list[str] | None = None) -> None:
    """Check every job, train them one after another, then print and write the comparison."""
    args = sys.argv[1:] if argv is None else argv
    if {"-h", "--help"} & set(args):
        print(HELP)
        return
    overrides = sweep_overrides(args)
    try:
        jobs = expand_sweep(overrides, Phase25Config.seed)
        configs = [load_config(job.overrides) for job in jobs]  # every job checked before any trains
        make_splits(configs[0].data, configs[0].seed)  # data a job cannot use fails here, not mid-sweep
    except (SweepError, UsageError) as e:
        fail(str(e), PROGRAM)
    except ConfigError as e:
        fail(f"bad config: {e}", PROGRAM)
    signal.signal(signal.SIGTERM, raise_keyboard_interrupt)  # a killed sweep still writes its summary
    console = Console()
    sweep_dir, moved_to = create_sweep_dir(configs[0].out_dir)
    if moved_to:
        console.print(f"[dim]earlier sweep kept at {moved_to}[/]")
    started_at, t0 = datetime.now().isoformat(timespec="seconds"), time.perf_counter()
    records = []
    columns = [TextColumn("{task.description:<26}"), BarColumn(), TextColumn("{task.completed:.0f}/{task.total:.0f}"),
               TimeElapsedColumn()]
    with Progress(*columns, console=console) as progress:
        overall = progress.add_task(f"{len(jobs)} jobs", total=len(jobs))
        for job, cfg in zip(jobs, configs):
            task = progress.add_task(job.name, total=cfg.train.steps)
            record = run_job(job, cfg, sweep_dir, shlex.join([PROGRAM, *job.overrides]),
                             lambda step, _record, task=task: progress.update(task, completed=step + 1))
            progress.remove_task(task)
            records.append(record)
            progress.console.print(job_line(record), highlight=False)
            progress.advance(overall)
            if record["status"] == "interrupted":
                break
    add_grad_errors(records, sweep_dir)
    summary = summarize(records, overrides, started_at, datetime.now().isoformat(timespec="seconds"),
                        time.perf_counter() - t0, len(jobs))
    write_report(summary, sweep_dir)
    console.print(sweep_table(summary), crop=False)  # a narrow terminal wraps the lines, loses nothing
    console.print(f"{len(records)} of {len(jobs)} jobs in {summary['wall_time_s']} s; "
                  f"record: [bold]{sweep_dir}[/] ({SUMMARY}, {REPORT}, {CURVES}, one run directory per job)")
    raise SystemExit(130 if records[-1]["status"] == "interrupted" else 0)


def job_line(record: dict) -> str:
    """One finished job: status, accuracy, validation loss, time."""
    if record["status"] != "ok":
        return f"{record['run']:<26} {record['status']}"
    return (f"{record['run']:<26} ok  test accuracy {record['final_test_accuracy']:.1%}  "
            f"val loss {record['final_val_loss']:.4f}  {record['wall_time_s']:.1f} s")


def sweep_table(summary: dict) -> Table:
    """The variants side by side, as in report.md."""
    seeds = sorted({j["seed"] for j in summary["jobs"]})
    table = Table(title=f"seed sweep, seeds {', '.join(map(str, seeds))}: mean ± std (min–max)",
                  box=box.SIMPLE_HEAD, padding=0)  # the box puts one space between columns
    rows = [[cell.replace(" (", "\n").rstrip(")") for cell in row] for row in table_rows(summary)]  # min–max below
    for i, column in enumerate(TABLE_COLUMNS):
        widest = max(len(line) for row in rows for line in row[i].splitlines())
        table.add_column(column, min_width=widest)
    for row in rows:
        table.add_row(*row, end_section=True)
    return table


if __name__ == "__main__":
    main()
