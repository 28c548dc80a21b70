"""The Hydra callback of a multirun: the command line checked and an earlier sweep kept aside at the start,
the aggregate at the end.

configs/phase25.yaml registers it (hydra.callbacks.sweep_report), so every `phase-25-train -m ...` ends with
the table of variants, summary.json, report.md and curves.png in <out_dir>/25-sweep/, whichever sweeper
chose the jobs (Hydra's basic one, optuna) and whichever launcher ran them (in this process, in parallel with
hydra/launcher=joblib, or as submitit jobs). The report expands no sweep itself: each job's summary.json
says which job of the sweep it was (Hydra's job number) and its variant, and Hydra calls on_multirun_end
only once the sweeper has launched every job and each one has returned, so the run directories found are
the jobs of the sweep. A sweep that stops early (Ctrl-C, a job's one-line error) never reaches
on_multirun_end: its jobs keep their run directories and no aggregate is written.
"""

import sys
import time
from datetime import datetime
from pathlib import Path

import torch
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from omegaconf import DictConfig
from rich import box
from rich.console import Console
from rich.table import Table

from minigpt.cli.common import fail
from minigpt.lab.sweep import (
    CURVES,
    REPORT,
    SUMMARY,
    TABLE_COLUMNS,
    add_grad_errors,
    collect_jobs,
    create_sweep_dir,
    summarize,
    table_rows,
    write_report,
)
from minigpt.runs import RunError, read_summary

MULTIRUN_YAML = "multirun.yaml"  # what Hydra's basic sweeper writes into the sweep directory before any job


class SweepReport(Callback):
    """Checks the multirun's command line and moves an earlier sweep aside when it starts; aggregates its jobs
    when it ends."""

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        line = multirun_problem(config)
        if line:
            fail(line, Path(sys.argv[0]).name)  # SystemExit: Hydra lets it through, nothing is written yet
        self.started_at, self.t0 = datetime.now().isoformat(timespec="seconds"), time.perf_counter()
        sweep_dir = Path(config.hydra.sweep.dir)
        left = sorted(p.name for p in sweep_dir.iterdir()) if sweep_dir.is_dir() else []
        if left == [MULTIRUN_YAML]:  # a sweep that stopped at a one-line error before any job: no record
            (sweep_dir / MULTIRUN_YAML).unlink()
        elif sweep_dir.exists():
            _, moved_to = create_sweep_dir(sweep_dir.parent)
            Console().print(f"[dim]earlier sweep kept at {moved_to}[/]")

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        sweep_dir, overrides = Path(config.hydra.sweep.dir), list(config.hydra.overrides.task)
        found = sweep_jobs(sweep_dir)
        jobs = collect_jobs(sweep_dir, found)
        add_grad_errors(jobs, sweep_dir)
        summary = summarize(jobs, overrides, self.started_at, datetime.now().isoformat(timespec="seconds"),
                            time.perf_counter() - self.t0, len(found), torch.__version__)
        write_report(summary, sweep_dir)
        console = Console()
        console.print(sweep_table(summary), crop=False)  # a narrow terminal wraps the lines, loses nothing
        console.print(f"{len(jobs)} of {len(found)} jobs in {summary['wall_time_s']} s; record: [bold]{sweep_dir}[/] "
                      f"({SUMMARY}, {REPORT}, {CURVES}, one run directory per job)")


def multirun_problem(config: DictConfig) -> str | None:
    """The one line for a multirun that cannot keep one record per job: run_name given (every job is named
    for itself), or, with Hydra's basic sweeper, a swept value listed twice (two jobs, one run directory)."""
    overrides = OverridesParser.create().parse_overrides(list(config.hydra.overrides.task))
    if any(o.get_key_element().lstrip("+~") == "run_name" for o in overrides):
        return "run_name in a multirun: every job is named <experiment>-seed<k>; allowed: any other key"
    if config.hydra.runtime.choices.get("hydra/sweeper") == "basic":
        for o in overrides:
            values = list(o.sweep_string_iterator()) if o.is_discrete_sweep() else []
            twice = next((v for v in values if values.count(v) > 1), None)
            if twice is not None:
                return (f"'{o.input_line}' lists {twice} twice: two jobs would share one run directory; "
                        "allowed: each value once")
    return None


def sweep_jobs(sweep_dir: Path) -> list[tuple[str, str]]:
    """(run directory name, variant) of every job of the sweep in sweep_dir, in Hydra's job order, read from
    the sweep_job each job wrote into its summary.json."""
    found = []
    for path in sorted(p for p in sweep_dir.iterdir() if p.is_dir()):
        try:
            job = read_summary(path).get("sweep_job")
        except RunError:  # not a run directory (.submitit/), or one that cannot be read
            continue
        if isinstance(job, dict):
            found.append((job.get("num", -1), path.name, job.get("variant", "?")))
    return [(name, variant) for _, name, variant in sorted(found)]


def sweep_table(summary: dict) -> Table:
    """The variants side by side, as in report.md."""
    seeds = sorted({j["seed"] for j in summary["jobs"]})
    table = Table(title=f"seed sweep, seeds {', '.join(map(str, seeds))}: mean ± std (min–max)",
                  box=box.SIMPLE_HEAD, padding=0)  # the box puts one space between columns
    rows = [[cell.replace(" (", "\n").rstrip(")") for cell in row] for row in table_rows(summary)]  # min–max below
    for i, column in enumerate(TABLE_COLUMNS):
        widest = max([len(line) for row in rows for line in row[i].splitlines()] + [0])
        table.add_column(column, min_width=widest)
    for row in rows:
        table.add_row(*row, end_section=True)
    return table
