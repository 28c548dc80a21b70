"""Seed sweeps, aggregated: the run directories of a multirun, side by side.

`just phase-25-train -m experiment=control,silent_unchecked 'seed=range(5)'` is 10 jobs, run by Hydra's
own sweeper and launcher. Each job is one ordinary run directory, <out_dir>/25-sweep/<variant>-seed<k>/,
its variant the chosen file of configs/experiment/ ("base" when none is chosen). When the multirun ends,
the sweep report (minigpt/cli/sweep_report.py) reads them all with `collect_jobs` and writes:

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

import math
import statistics
from pathlib import Path
from typing import Optional

from minigpt.lab.compare import compare_runs, load_run, read_config
from minigpt.runs import RunError, fresh_dir, read_metrics, read_summary, write_json

SWEEP_DIR = "25-sweep"
CONTROL = "control"
NO_EXPERIMENT = "base"  # the variant name of jobs that choose no experiment file
DEFAULT_SWEEP = {"experiment": "control,silent_unchecked,silent_via_data,silent_save_on_cpu,fixed_allow_mutation",
                 "seed": "range(5)"}
SWITCHES = ["inplace", "via_data", "ln", "saved_tensors"]
STATS = ["final_test_accuracy", "final_val_loss", "grad_rel_error"]


def sweep_overrides(overrides: list[str]) -> list[str]:
    """The user's overrides after DEFAULT_SWEEP's, a user key replacing the default of the same key."""
    given = {o.split("=", 1)[0].lstrip("+~") for o in overrides}
    return [f"{k}={v}" for k, v in DEFAULT_SWEEP.items() if k not in given] + list(overrides)


def job_name(variant: Optional[str], seed: int | str, swept: list[str] = ()) -> str:
    """A job's run directory name: <variant>-seed<k>, then any other swept override (-train.lr=0.01)."""
    return f"{variant or NO_EXPERIMENT}-seed{seed}" + "".join(f"-{override}" for override in swept)


def create_sweep_dir(out_dir: str | Path) -> tuple[Path, Optional[Path]]:
    """A fresh out_dir/25-sweep; an earlier sweep there is moved aside, and its new path returned."""
    return fresh_dir(out_dir, SWEEP_DIR)


def collect_jobs(sweep_dir: Path, planned: list[tuple[str, str]]) -> list[dict]:
    """The record of each planned (run name, variant) that has a run directory in sweep_dir, in that order."""
    jobs = []
    for name, variant in planned:
        try:
            summary, config = read_summary(sweep_dir / name), read_config(sweep_dir / name)
        except RunError:  # a job the sweep never reached (interrupted), or unreadable
            continue
        jobs.append({"variant": variant, "seed": config["seed"], "run": name,
                     "status": summary.get("status"), "wall_time_s": summary.get("wall_time_s"),
                     "final_val_loss": summary.get("final_val_loss"),
                     "final_test_accuracy": summary.get("final_test_accuracy"),
                     "switches": {k: config.get(k) for k in SWITCHES}})
    return jobs


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
              jobs_planned: int, torch_version: str) -> dict:
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
            "wall_time_s": round(wall_time_s, 1), "torch_version": torch_version, "jobs_planned": jobs_planned,
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
    lines = ["# Seed sweep", "", f"`phase-25-train -m {' '.join(summary['overrides'])}`: "
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
    from minigpt.lab.compare.plots import plot_mean_curves  # matplotlib only when drawing

    write_json(sweep_dir / SUMMARY, summary)  # strict: an infinite gradient error is written as null
    (sweep_dir / REPORT).write_text(report_markdown(summary), encoding="utf-8")
    histories: dict[str, list[list[dict]]] = {}
    for j in summary["jobs"]:
        if j["status"] == "ok":
            histories.setdefault(j["variant"], []).append(read_metrics(sweep_dir / j["run"]))
    seeds = sorted({j["seed"] for j in summary["jobs"]})
    plot_mean_curves(histories, sweep_dir / CURVES, f"seed sweep: {len(seeds)} seed{'s' * (len(seeds) > 1)} "
                     "per variant")
