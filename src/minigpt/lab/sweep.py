"""Seed sweeps: Hydra multirun over seeds and variants, each job trained in this process, then aggregated.

A sweep is a list of Hydra overrides expanded exactly as `--multirun` expands them (Hydra's own
override parser and BasicSweeper): `experiment=control,silent_unchecked seed=range(5)` is 10 jobs.
Only `experiment` (the variant, a file in configs/experiment/) and `seed` may be swept; any other
override applies to every job. Each job is one ordinary run directory,
<out_dir>/25-sweep/<variant>-seed<k>/, written by `minigpt.train.train`.

<out_dir>/25-sweep/summary.json, the measured numbers the notes quote:
  overrides      the sweep as run, defaults included: ["experiment=control,...", "seed=range(5)", ...]
  started_at, finished_at, wall_time_s, torch_version, jobs_planned
  jobs           one per job run, in order:
    variant, seed, run (its directory name), status (ok | crashed | interrupted), wall_time_s,
    switches (its inplace, via_data, ln, saved_tensors), final_val_loss, final_test_accuracy,
    grad_rel_error   at step 0, ||g - g_control|| / ||g_control|| with all parameters as one vector
                     (a missing gradient counts as zero), against the control run of the same seed;
                     null for the control itself, or when there is no such control or no step-0 gradients
    params_compared, params_differ, params_missing   how many parameter gradients were compared with
                     the control's, and how many got the verdict differs / missing (see compare.py)
  variants       one per variant, in sweep order:
    variant, switches (those of its first job), runs, ok, and for each of
    final_test_accuracy, final_val_loss, grad_rel_error: {n, mean, std, min, max} over its ok runs
    (std: the sample standard deviation, null when n < 2; all null when n = 0)
"""

import json
import math
import statistics
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Callable, Optional

import torch
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper  # what --multirun uses to expand
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import OmegaConf

from minigpt.lab.compare import compare_runs, load_run
from minigpt.runs import RunDir, RunError, fresh_dir, read_metrics
from minigpt.train import train

SWEEP_DIR = "25-sweep"
CONTROL = "control"
DEFAULT_SWEEP = {"experiment": "control,silent_unchecked,silent_via_data,silent_save_on_cpu,fixed_allow_mutation",
                 "seed": "range(5)"}
SWEEPABLE = {"experiment", "seed"}
SET_PER_JOB = {"run_name"}  # the sweep names each job <variant>-seed<k>
SWITCHES = ["inplace", "via_data", "ln", "saved_tensors"]
STATS = ["final_test_accuracy", "final_val_loss", "grad_rel_error"]


class SweepError(ValueError):
    """A sweep that cannot run as written; the message is the one line to print."""


@dataclass
class Job:
    """One job of the sweep: its variant, its seed (as written) and its full list of overrides."""

    variant: str
    seed: str
    overrides: list[str]

    @property
    def name(self) -> str:
        """Its run directory's name: <variant>-seed<k>."""
        return f"{self.variant}-seed{self.seed}"


def sweep_overrides(overrides: list[str]) -> list[str]:
    """The user's overrides after DEFAULT_SWEEP's, a user key replacing the default of the same key."""
    given = {o.split("=", 1)[0].lstrip("+~") for o in overrides}
    return [f"{k}={v}" for k, v in DEFAULT_SWEEP.items() if k not in given] + list(overrides)


def expand_sweep(overrides: list[str], default_seed: int) -> list[Job]:
    """The jobs of a sweep, in Hydra multirun order; SweepError names what cannot be swept or parsed."""
    try:
        parsed = OverridesParser.create().parse_overrides(overrides)
    except HydraException as e:
        bad = next((o for o in overrides if "=" not in o), " ".join(overrides))
        raise SweepError(f"cannot parse '{bad}': {str(e).splitlines()[0]}; write key=value, "
                         "with sweeps like seed=range(5) or experiment=control,silent_unchecked") from None
    for o in parsed:
        key = o.get_key_element()
        if key in SET_PER_JOB:
            raise SweepError(f"'{o.input_line}': the sweep names every run <variant>-seed<k>; "
                             f"allowed: any override but {', '.join(sorted(SET_PER_JOB))}")
        if o.is_sweep_override() and key not in SWEEPABLE:
            raise SweepError(f"'{o.input_line}' sweeps {key}; allowed: sweeps over {' and '.join(sorted(SWEEPABLE))} "
                             "only, plain key=value for every other key")
    jobs = []
    for job in BasicSweeper.split_arguments(parsed, None)[0]:
        values = dict(o.split("=", 1) for o in job)
        jobs.append(Job(values.get("experiment", CONTROL), values.get("seed", str(default_seed)), job))
    names = [j.name for j in jobs]
    twice = next((n for n in names if names.count(n) > 1), None)
    if twice:
        raise SweepError(f"job {twice} appears twice in the sweep; allowed: each variant and seed once")
    return jobs


def create_sweep_dir(out_dir: str | Path) -> tuple[Path, Optional[Path]]:
    """A fresh out_dir/25-sweep; an earlier sweep there is moved aside, and its new path returned."""
    return fresh_dir(out_dir, SWEEP_DIR)


def run_job(job: Job, cfg, sweep_dir: Path, command: str,
            on_step: Optional[Callable[[int, dict], None]] = None) -> dict:
    """Train one job into sweep_dir/<variant>-seed<k> and return its record for summary.json."""
    cfg.run_name, cfg.out_dir = job.name, str(sweep_dir)  # config.yaml says where the run really is
    run, _ = RunDir.create(sweep_dir, job.name)
    run.write_config(OmegaConf.to_yaml(cfg, resolve=True))
    s = train(cfg, run, on_step, {"command": command}).summary
    return {"variant": job.variant, "seed": cfg.seed, "run": job.name, "status": s["status"],
            "wall_time_s": s["wall_time_s"], "final_val_loss": s["final_val_loss"],
            "final_test_accuracy": s["final_test_accuracy"],
            "switches": {k: plain(cfg[k]) for k in SWITCHES}}


def plain(value):
    """An enum member as its YAML value (torch, save_on_cpu), anything else unchanged."""
    return value.value if isinstance(value, Enum) else value


def add_grad_errors(jobs: list[dict], sweep_dir: Path) -> None:
    """Give each job its step-0 gradient comparison against the control of the same seed."""
    controls = {j["seed"]: j for j in jobs if j["variant"] == CONTROL}
    for job in jobs:
        job.update(grad_rel_error=None, params_compared=None, params_differ=None, params_missing=None)
        control = controls.get(job["seed"])
        if job["variant"] == CONTROL or control is None:
            continue
        try:
            comparison = compare_runs(load_run(sweep_dir / control["run"]), load_run(sweep_dir / job["run"]))
        except RunError:  # a crashed job, or no common saved step
            continue
        step0 = next((s for s in comparison.steps if s.step == 0), None)
        if step0:
            job.update(grad_rel_error=step0.rel_error, params_compared=len(step0.params),
                       params_differ=step0.count("differs"), params_missing=step0.count("missing"))


def stats(values: list[float]) -> dict:
    """n, mean, sample std (None for n < 2), min and max of some runs' values."""
    if not values:
        return {"n": 0, "mean": None, "std": None, "min": None, "max": None}
    return {"n": len(values), "mean": statistics.fmean(values),
            "std": statistics.stdev(values) if len(values) > 1 else None, "min": min(values), "max": max(values)}


def summarize(jobs: list[dict], overrides: list[str], started_at: str, finished_at: str, wall_time_s: float,
              jobs_planned: int) -> dict:
    """summary.json's content (schema in this module's docstring) from the job records."""
    variants = []
    for variant in dict.fromkeys(j["variant"] for j in jobs):
        runs = [j for j in jobs if j["variant"] == variant]
        ok = [j for j in runs if j["status"] == "ok"]
        entry = {"variant": variant, "switches": runs[0]["switches"], "runs": len(runs), "ok": len(ok)}
        for key in STATS:
            entry[key] = stats([j[key] for j in ok if j[key] is not None and math.isfinite(j[key])])
        for key in ["params_compared", "params_differ", "params_missing"]:
            entry[key] = sorted({j[key] for j in ok if j[key] is not None})
        variants.append(entry)
    return {"overrides": overrides, "started_at": started_at, "finished_at": finished_at,
            "wall_time_s": round(wall_time_s, 1), "torch_version": torch.__version__, "jobs_planned": jobs_planned,
            "jobs": jobs, "variants": variants}


def format_stat(s: dict, spec: str, scale: float = 1.0, unit: str = "") -> str:
    """mean ± std (min–max), each value times scale: '99.8 ± 0.3% (99.5–100.0)'; a dash without runs."""
    if not s["n"]:
        return "–"
    def number(x):
        return format(x * scale, spec)
    spread = f" ± {number(s['std'])}" if s["std"] is not None else ""
    return f"{number(s['mean'])}{spread}{unit} ({number(s['min'])}–{number(s['max'])})"


def format_counts(values: list[int]) -> str:
    """One count, or the range when the seeds disagree."""
    return "–" if not values else str(values[0]) if len(values) == 1 else f"{values[0]}–{values[-1]}"


def table_rows(summary: dict) -> list[list[str]]:
    """The sweep table, one row per variant, as text (shared by the terminal and report.md)."""
    rows = []
    for v in summary["variants"]:
        if v["variant"] == CONTROL:
            grads = "the reference"
        elif not v["params_compared"]:
            grads = "–"
        else:
            grads = f"{format_counts(v['params_differ'])}/{format_counts(v['params_compared'])} differ"
            if any(v["params_missing"]):
                grads += f", {format_counts(v['params_missing'])} missing"
        rows.append([v["variant"], f"{v['ok']}/{v['runs']}", format_stat(v["final_test_accuracy"], ".1f", 100, "%"),
                     format_stat(v["final_val_loss"], ".4f"), format_stat(v["grad_rel_error"], ".1e"), grads])
    return rows


TABLE_COLUMNS = ["variant", "ok", "test accuracy", "final val loss", "step-0 grad rel. error",
                 "parameter gradients"]  # the gradients of each run against the control of its seed
SUMMARY, REPORT, CURVES = "summary.json", "report.md", "curves.png"


def report_markdown(summary: dict) -> str:
    """report.md: what ran, the table, every job, the figure."""
    lines = ["# Seed sweep", "", f"`phase-25-sweep {' '.join(summary['overrides'])}`: "
             f"{len(summary['jobs'])} of {summary['jobs_planned']} jobs in {summary['wall_time_s']} s "
             f"(torch {summary['torch_version']}).", "",
             "Each cell: mean ± sample std (min–max) over the variant's runs that finished. The gradient "
             "error is measured at step 0 against the control of the same seed, all parameters as one vector.",
             "", "| " + " | ".join(TABLE_COLUMNS) + " |", "|---" * len(TABLE_COLUMNS) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(summary)]
    lines += ["", "## Jobs", "", "| run | status | test accuracy | final val loss | step-0 grad rel. error | "
              "wall time (s) |", "|---|---|---|---|---|---|"]
    for j in summary["jobs"]:
        acc = "–" if j["final_test_accuracy"] is None else f"{j['final_test_accuracy']:.1%}"
        loss = "–" if j["final_val_loss"] is None else f"{j['final_val_loss']:.4f}"
        rel = "–" if j["grad_rel_error"] is None else f"{j['grad_rel_error']:.1e}"
        lines.append(f"| {j['run']} | {j['status']} | {acc} | {loss} | {rel} | {j['wall_time_s']} |")
    lines += ["", f"![mean curves with min–max bands]({CURVES})", ""]
    return "\n".join(lines)


def write_report(summary: dict, sweep_dir: Path) -> None:
    """summary.json, report.md and curves.png (each variant's mean curves with their spread)."""
    from minigpt.lab.plots import plot_mean_curves  # matplotlib only when drawing

    (sweep_dir / SUMMARY).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (sweep_dir / REPORT).write_text(report_markdown(summary), encoding="utf-8")
    histories: dict[str, list[list[dict]]] = {}
    for j in summary["jobs"]:
        if j["status"] == "ok":
            histories.setdefault(j["variant"], []).append(read_metrics(sweep_dir / j["run"]))
    seeds = sorted({j["seed"] for j in summary["jobs"]})
    plot_mean_curves(histories, sweep_dir / CURVES, f"seed sweep: {len(seeds)} seed{'s' * (len(seeds) > 1)} "
                     "per variant")
