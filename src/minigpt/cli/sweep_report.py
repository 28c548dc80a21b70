"""The Hydra callback of a multirun: an earlier sweep kept aside at the start, the aggregate at the end.

configs/phase25.yaml registers it (hydra.callbacks.sweep_report), so every `phase-25-train -m ...` ends with
the table of variants, summary.json, report.md and curves.png in <out_dir>/25-sweep/, whichever launcher
ran the jobs (in this process, or in parallel with hydra/launcher=joblib).
"""

import time
from datetime import datetime
from pathlib import Path

import torch
from hydra.experimental.callback import Callback
from omegaconf import DictConfig
from rich import box
from rich.console import Console
from rich.table import Table

from minigpt.cli.common import job_overrides, swept_keys
from minigpt.lab.sweep import (
    CURVES,
    NO_EXPERIMENT,
    REPORT,
    SUMMARY,
    TABLE_COLUMNS,
    add_grad_errors,
    collect_jobs,
    create_sweep_dir,
    job_name,
    summarize,
    table_rows,
    write_report,
)


class SweepReport(Callback):
    """Moves an earlier sweep aside when a multirun starts; aggregates its jobs when it ends."""

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        self.started_at, self.t0 = datetime.now().isoformat(timespec="seconds"), time.perf_counter()
        sweep_dir = Path(config.hydra.sweep.dir)
        if sweep_dir.exists():
            _, moved_to = create_sweep_dir(sweep_dir.parent)
            Console().print(f"[dim]earlier sweep kept at {moved_to}[/]")

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        sweep_dir, overrides = Path(config.hydra.sweep.dir), list(config.hydra.overrides.task)
        planned = planned_jobs(overrides, config.seed)
        jobs = collect_jobs(sweep_dir, planned)
        add_grad_errors(jobs, sweep_dir)
        summary = summarize(jobs, overrides, self.started_at, datetime.now().isoformat(timespec="seconds"),
                            time.perf_counter() - self.t0, len(planned), torch.__version__)
        write_report(summary, sweep_dir)
        console = Console()
        console.print(sweep_table(summary), crop=False)  # a narrow terminal wraps the lines, loses nothing
        console.print(f"{len(jobs)} of {len(planned)} jobs in {summary['wall_time_s']} s; record: [bold]{sweep_dir}[/] "
                      f"({SUMMARY}, {REPORT}, {CURVES}, one run directory per job)")


def planned_jobs(overrides: list[str], default_seed: int) -> list[tuple[str, str]]:
    """(run directory name, variant) of every job of the multirun, in launch order."""
    others = [key for key in swept_keys(overrides) if key not in ("experiment", "seed")]
    planned = []
    for job in job_overrides(overrides):
        values = dict(o.lstrip("+").split("=", 1) for o in job if "=" in o)
        variant = values.get("experiment") or NO_EXPERIMENT
        swept = [o for o in job if o.split("=", 1)[0].lstrip("+") in others]
        planned.append((job_name(variant, values.get("seed", default_seed), swept), variant))
    return planned


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
