"""Gradient comparison of two runs: step 4 of the diagnostic ladder, for when nothing errors.

Both run directories are read safely (config.yaml as YAML, gradients and weights as safetensors:
nothing is unpickled), into NumPy: comparing saved numbers needs no autograd, and skipping torch's
import keeps grad-compare quick. Two runs are comparable when they share the seed, the data config, the
model shape (parameter names and shapes) and at least one step with saved gradients; everything
else that differs between their configs is what the experiment varied, listed by `config_diff`.

Each parameter's gradient at each common saved step gets one verdict:
  identical  bitwise equal
  rounding   relative error ||g_B - g_A|| / ||g_A|| at most `rounding_bound(tokens_per_step)`
  differs    more than that
  missing    a gradient in one run only: the parameter got no gradient at all in the other
             (its name is absent from that run's grads/step_N.safetensors, as with via_data=true)

The rounding bound is minigpt.lab.compare.rounding's, the one definition the lab uses.
"""

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
from omegaconf import OmegaConf
from safetensors import safe_open

from minigpt.lab.compare.parameters import block_of, model_order
from minigpt.lab.compare.rounding import ROUNDING_ULPS, rounding_bound
from minigpt.runs import (
    CONFIG,
    WEIGHTS,
    RunError,
    fresh_dir,
    read_grads,
    read_metrics,
    read_summary,
    resolve_run,
    run_status,
    saved_grad_steps,
    status_line,
)

VERDICTS = ("identical", "rounding", "differs", "missing")  # from best to worst
AGREE = {"identical", "rounding"}


class NotComparable(RunError):
    """Two runs whose gradients cannot be compared: the one line says why."""


class NoGradientsAfterCrash(NotComparable):
    """A run that crashed (or was cut short) before saving gradients at any step the other saved."""

    def __init__(self, run: "Run", other: "Run"):
        saved = f"steps {run.grad_steps}" if run.grad_steps else "none"
        super().__init__(f"run '{run.name}' {run.status_line}, "
                         f"before saving gradients at any step '{other.name}' saved "
                         f"(it saved: {saved})")
        self.run = run


@dataclass
class Run:
    """One run directory, read: its config, summary, metrics, parameter shapes and saved steps."""

    path: Path
    config: dict
    summary: dict
    history: list[dict]
    param_shapes: dict[str, tuple[int, ...]]
    grad_steps: list[int]
    status: str = ""  # the status to believe (minigpt.runs.run_status): the recorded one, or killed
    status_line: str = ""  # the status in words, e.g. "killed or lost (last heartbeat at step 14, ...)"

    @property
    def name(self) -> str:
        """The directory's name, e.g. 25-B or 25-B@2026-11-22T03-12-14."""
        return self.path.name

    @property
    def tokens_per_step(self) -> int:
        """B*T: the number of terms summed into each entry of a weight's gradient."""
        return self.config["train"]["batch_size"] * self.config["data"]["block_size"]


@dataclass
class ParamComparison:
    """The two gradients of one parameter at one step, measured; norms are None where absent."""

    name: str
    shape: tuple[int, ...]
    norm_a: Optional[float]
    norm_b: Optional[float]
    max_abs_diff: Optional[float]
    rel_error: Optional[float]  # ||g_B - g_A|| / ||g_A||
    cosine: Optional[float]  # None when a gradient is absent or zero
    verdict: str

    @property
    def block(self) -> str:
        """The group this parameter belongs to (blocks.1, head, ...)."""
        return block_of(self.name)


@dataclass
class StepComparison:
    """Every parameter's comparison at one saved step, worst block first, worst row first in a block."""

    step: int
    params: list[ParamComparison]
    bound: float
    rel_error: float  # the whole model: all gradients as one vector, an absent one counted as zero

    def count(self, *verdicts: str) -> int:
        """How many parameters got one of these verdicts."""
        return sum(p.verdict in verdicts for p in self.params)

    @property
    def agree(self) -> bool:
        """Every gradient identical or within rounding."""
        return all(p.verdict in AGREE for p in self.params)

    def verdict_line(self, name_a: str, name_b: str) -> str:
        """One line: how many gradients differ and the worst, or that all agree."""
        n = len(self.params)
        if self.agree:
            rounding = self.count("rounding")
            if not rounding:
                return f"step {self.step}: all {n} parameter gradients are identical (bitwise)"
            return (f"step {self.step}: all {n} parameter gradients agree: {n - rounding} identical, "
                    f"{rounding} within float32 rounding (rel <= {self.bound:.1e})")
        bad = [p for p in self.params if p.verdict in ("differs", "missing")]
        missing = [p for p in bad if p.verdict == "missing"]
        line = f"step {self.step}: {len(bad)} of {n} parameter gradients differ"
        if missing:
            in_a = sum(p.norm_a is None for p in missing)
            where = ", ".join(f"{k} with no gradient in {name}" for k, name in
                              [(in_a, name_a), (len(missing) - in_a, name_b)] if k)
            line += f" ({len(missing)} missing: {where})"
        differing = [p for p in bad if p.verdict == "differs"]
        if differing:
            worst = max(differing, key=lambda p: p.rel_error)
            return line + f"; worst: {worst.name} (rel {worst.rel_error:.1e})"
        return line + f"; first: {missing[0].name} (missing)"


@dataclass
class Comparison:
    """Two comparable runs, what their configs vary, and their gradients compared step by step."""

    run_a: Run
    run_b: Run
    config_diff: list[tuple[str, object, object]]
    steps: list[StepComparison]
    only_a: list[int] = field(default_factory=list)  # saved steps the other run lacks
    only_b: list[int] = field(default_factory=list)

    @property
    def exit_status(self) -> int:
        """Like diff: 0 when every gradient is identical or within rounding, 1 when some differ."""
        return 0 if all(s.agree for s in self.steps) else 1


def load_run(name_or_path: str | Path, out_dir: str | Path = "experiments") -> Run:
    """Read a run directory (a path, or a plain name: the latest run of that name); RunError if unreadable."""
    path = resolve_run(name_or_path, out_dir)
    summary = read_summary(path)  # first: a run cut short may have an empty config.yaml too
    status, line = run_status(path, summary), status_line(path, summary)
    weights = path / WEIGHTS
    if status == "running" and not (weights.is_file() and weights.stat().st_size):
        raise RunError(f"run '{path.name}' is still {line}: compare it once it has ended")
    if status == "killed" and not (weights.is_file() and weights.stat().st_size):
        raise RunError(f"run '{path.name}' was {line}: it ended before writing {WEIGHTS}")
    config = read_config(path)
    return Run(path, config, summary, read_metrics(path), read_param_shapes(path), saved_grad_steps(path),
               status, line)


def read_config(run_path: Path) -> dict:
    """The resolved config.yaml of a run, as plain dicts and lists."""
    path = run_path / CONFIG
    try:
        config = OmegaConf.to_container(OmegaConf.load(path))
    except FileNotFoundError:
        raise RunError(f"'{run_path}' has no {CONFIG}") from None
    except Exception as e:  # a YAML error names line and column
        raise RunError(f"'{path}' cannot be read: {str(e).splitlines()[0]}") from None
    if not isinstance(config, dict) or not {"seed", "data", "model", "train"} <= config.keys():
        raise RunError(f"'{path}' is not a phase-25 config (needs seed, data, model and train)")
    for key in ("data", "model", "train"):
        if not isinstance(config[key], dict):
            raise RunError(f"'{path}' has {key}: {config[key]!r}; allowed: a mapping of {key}.* keys")
    for key, value in [("seed", config["seed"]), ("data.block_size", config["data"].get("block_size")),
                       ("train.batch_size", config["train"].get("batch_size"))]:
        if not isinstance(value, int) or isinstance(value, bool) or value < (0 if key == "seed" else 1):
            sign = "non-negative" if key == "seed" else "positive"
            raise RunError(f"'{path}' has {key}: {value!r}; allowed: a {sign} integer")
    return config


def read_param_shapes(run_path: Path) -> dict[str, tuple[int, ...]]:
    """Parameter names and shapes from weights.safetensors' header, without loading any tensor."""
    path = run_path / WEIGHTS
    if not path.is_file():
        raise RunError(f"'{run_path}' has no {WEIGHTS}, so its model shape is unknown")
    if not path.stat().st_size:
        raise RunError(f"'{run_path}' has an empty {WEIGHTS} (no model was built), so its model shape is unknown")
    try:
        with safe_open(str(path), framework="np") as f:
            return {name: tuple(f.get_slice(name).get_shape()) for name in f.keys()}
    except Exception as e:  # safetensors raises its own error types for a damaged header
        raise RunError(f"'{path}' is corrupted: {e}") from None


def config_diff(a: dict, b: dict, prefix: str = "") -> list[tuple[str, object, object]]:
    """Every dotted key whose value differs between two configs, with both values (None when absent)."""
    diff = []
    for key in list(a) + [k for k in b if k not in a]:
        va, vb = a.get(key), b.get(key)
        if isinstance(va, dict) and isinstance(vb, dict):
            diff += config_diff(va, vb, f"{prefix}{key}.")
        elif va != vb or (key in a) != (key in b):
            diff.append((f"{prefix}{key}", va, vb))
    return diff


def check_comparable(a: Run, b: Run) -> None:
    """Raise NotComparable unless both runs share seed, data and model shape."""
    if a.config["seed"] != b.config["seed"]:
        raise NotComparable(f"the seeds differ ({a.name}: {a.config['seed']}, {b.name}: {b.config['seed']}); "
                            "allowed: two runs of the same seed")
    data_diff = config_diff(a.config["data"], b.config["data"], "data.")
    if data_diff:
        key, va, vb = data_diff[0]
        raise NotComparable(f"the data differ ({key}: {va} in {a.name}, {vb} in {b.name}); "
                            "allowed: two runs on the same data")
    only = sorted(a.param_shapes.keys() ^ b.param_shapes.keys())
    if only:
        owner = a.name if only[0] in a.param_shapes else b.name
        raise NotComparable(f"the models differ: parameter {only[0]} exists only in {owner}; "
                            "allowed: two runs of the same model shape")
    for name in model_order(a.param_shapes):
        if a.param_shapes[name] != b.param_shapes[name]:
            raise NotComparable(f"the models differ: {name} is {list(a.param_shapes[name])} in {a.name} and "
                                f"{list(b.param_shapes[name])} in {b.name}; allowed: two runs of the same model shape")


def norm2(x: np.ndarray) -> float:
    """The Euclidean norm in float64 (np.sum, not BLAS: BLAS threads stall on a busy 2-core machine)."""
    x = x.astype(np.float64, copy=False)
    return math.sqrt(float(np.sum(x * x)))


def bitwise_equal(x: np.ndarray, y: np.ndarray) -> bool:
    """The same dtype, shape and bytes (so NaNs in the same places count as equal)."""
    return x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()


def compare_param(name: str, shape: tuple[int, ...], ga: Optional[np.ndarray], gb: Optional[np.ndarray],
                  bound: float) -> ParamComparison:
    """Norms, max |difference|, relative error, cosine and the verdict for one parameter's gradients."""
    if ga is None or gb is None:
        present = ga if gb is None else gb
        norm = None if present is None else norm2(present)
        verdict = "identical" if present is None else "missing"  # absent in both: nothing differs
        return ParamComparison(name, shape, norm if ga is not None else None, norm if gb is not None else None,
                               None, None, None, verdict)
    a, b = ga.astype(np.float64), gb.astype(np.float64)  # float64: the measuring adds no rounding of its own
    norm_a, norm_b, diff = norm2(a), norm2(b), b - a
    diff_norm = norm2(diff)
    rel = diff_norm / norm_a if norm_a else (0.0 if diff_norm == 0 else math.inf)
    cosine = float(np.sum(a * b)) / (norm_a * norm_b) if norm_a and norm_b else None
    if bitwise_equal(ga, gb):
        verdict = "identical"
    else:
        verdict = "rounding" if rel <= bound else "differs"  # NaN compares False: differs
    return ParamComparison(name, shape, norm_a, norm_b, float(np.abs(diff).max()), rel, cosine, verdict)


def severity(p: ParamComparison) -> tuple[int, float]:
    """Sort key, worst last: verdict rank, then relative error."""
    rel = math.inf if p.rel_error is None or math.isnan(p.rel_error) else p.rel_error
    return VERDICTS.index(p.verdict), rel


def compare_step(step: int, shapes: dict[str, tuple[int, ...]], grads_a: dict, grads_b: dict,
                 bound: float) -> StepComparison:
    """Compare every parameter at one step; rows grouped by block, worst block and worst row first."""
    params = [compare_param(n, shapes[n], grads_a.get(n), grads_b.get(n), bound) for n in model_order(shapes)]
    groups: dict[str, list[ParamComparison]] = {}
    for p in sorted(params, key=severity, reverse=True):  # stable: ties stay in forward order
        groups.setdefault(p.block, []).append(p)
    rows = [p for group in sorted(groups.values(), key=lambda g: severity(g[0]), reverse=True) for p in group]
    diff_sq = sum(norm2(np.asarray(grads_b.get(n, 0), np.float64) - np.asarray(grads_a.get(n, 0), np.float64)) ** 2
                  for n in grads_a.keys() | grads_b.keys())
    norm_a_sq = sum(norm2(g) ** 2 for g in grads_a.values())
    rel = math.sqrt(diff_sq / norm_a_sq) if norm_a_sq else (0.0 if diff_sq == 0 else math.inf)
    return StepComparison(step, rows, bound, rel)


def read_checked_grads(run: Run, step: int) -> dict[str, np.ndarray]:
    """One step's gradients, each shaped like the parameter of the same name, or RunError."""
    grads = read_grads(run.path, step, as_numpy=True)
    for name, g in grads.items():
        if tuple(g.shape) != run.param_shapes.get(name):
            raise RunError(f"'{run.path}' has a gradient '{name}' of shape {list(g.shape)} at step {step}, "
                           f"but no parameter of that name and shape in {WEIGHTS}")
    return grads


def compare_runs(a: Run, b: Run) -> Comparison:
    """Check two runs are comparable, then compare their gradients at every step both saved."""
    check_comparable(a, b)
    common = sorted(set(a.grad_steps) & set(b.grad_steps))
    if not common:
        for run, other in [(a, b), (b, a)]:
            if run.status != "ok":
                raise NoGradientsAfterCrash(run, other)
        raise NotComparable(f"no step has gradients in both runs ({a.name} saved {a.grad_steps}, "
                            f"{b.name} saved {b.grad_steps}); allowed: runs sharing a step in train.grad_steps")
    bound = rounding_bound(max(a.tokens_per_step, b.tokens_per_step))
    steps = [compare_step(s, a.param_shapes, read_checked_grads(a, s), read_checked_grads(b, s), bound)
             for s in common]
    return Comparison(a, b, config_diff(a.config, b.config), steps,
                      sorted(set(a.grad_steps) - set(common)), sorted(set(b.grad_steps) - set(common)))


def format_value(value) -> str:
    """A config value the way config.yaml writes it: true, null, [0, 100]."""
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)


def diff_lines(comparison: Comparison) -> list[str]:
    """One line per config key the two runs vary: `inplace: false → true`."""
    return [f"{key}: {format_value(va)} → {format_value(vb)}" for key, va, vb in comparison.config_diff]


COLUMNS = ["parameter", "shape", "‖g_A‖", "‖g_B‖", "max |Δ|", "rel. error", "cosine", "verdict"]
REPORT, RELERR_PNG, CURVES_PNG = "report.md", "relerr.png", "curves.png"


def row_cells(p: ParamComparison) -> list[str]:
    """One table row as text, in COLUMNS order; a dash where a value does not exist."""
    def number(x, spec):
        return "–" if x is None else format(x, spec)
    return [p.name, "×".join(map(str, p.shape)), number(p.norm_a, ".2e"), number(p.norm_b, ".2e"),
            number(p.max_abs_diff, ".1e"), number(p.rel_error, ".1e"), number(p.cosine, ".4f"), p.verdict]


def comparable_line(c: Comparison) -> str:
    """What the two runs share, in words."""
    return (f"seed {c.run_a.config['seed']}, the same data, the same model ({len(c.run_a.param_shapes)} "
            f"parameters), gradients saved by both at step{'s' if len(c.steps) > 1 else ''} "
            f"{', '.join(str(s.step) for s in c.steps)}")


def metric_rows(c: Comparison) -> list[tuple[str, str, str]]:
    """(what, run A, run B) for the side-by-side metrics table."""
    def fields(run):
        s = run.summary
        value = {"final_val_loss": "–" if s.get("final_val_loss") is None else f"{s['final_val_loss']:.4f}",
                 "final_test_accuracy": "–" if s.get("final_test_accuracy") is None
                 else f"{s['final_test_accuracy']:.1%}"}
        return [str(run.path), s.get("command", "–"), str(s.get("status")),
                f"{s.get('steps_completed')}/{s.get('steps_planned')}", value["final_val_loss"],
                value["final_test_accuracy"]]
    labels = ["run", "command", "status", "steps", "final validation loss", "final test accuracy"]
    return list(zip(labels, fields(c.run_a), fields(c.run_b)))


def bound_line(bound: float, tokens: int) -> str:
    """How the rounding bound is made, with its value."""
    return (f"rounding = relative error ≤ {ROUNDING_ULPS} × float32 eps × sqrt(B·T = {tokens}) = {bound:.1e}, "
            "what float32 summation over a step's token positions can explain")


def report_markdown(c: Comparison) -> str:
    """report.md: the runs side by side, what they vary, each step's table and verdict, the figures."""
    a, b = c.run_a, c.run_b
    lines = [f"# Gradient comparison: {a.name} vs {b.name}", "", "| | A | B |", "|---|---|---|"]
    lines += [f"| {what} | {va} | {vb} |" for what, va, vb in metric_rows(c)]
    lines += ["", f"Comparable: {comparable_line(c)}.", "", "## What the runs vary (config.yaml)", ""]
    lines += [f"- `{line}`" for line in diff_lines(c)] or ["- nothing: the configs are the same"]
    for s in c.steps:
        lines += ["", f"## Gradients at step {s.step}", "", f"**{s.verdict_line(a.name, b.name)}**", "",
                  f"Whole model (all gradients as one vector): relative error {s.rel_error:.1e}.", "",
                  "| block | " + " | ".join(col.replace("|", "\\|") for col in COLUMNS) + " |",
                  "|---" * (len(COLUMNS) + 1) + "|"]
        previous = None
        for p in s.params:
            lines.append(f"| {p.block if p.block != previous else ''} | " + " | ".join(row_cells(p)) + " |")
            previous = p.block
    if c.only_a or c.only_b:
        lines += ["", f"Steps saved by one run only, not compared: {a.name} {c.only_a}, {b.name} {c.only_b}."]
    bound = c.steps[0].bound
    lines += ["", "Verdicts: identical = bitwise equal; "
              + bound_line(bound, max(a.tokens_per_step, b.tokens_per_step))
              + "; differs = more than that; missing = the parameter got no gradient at all in one run.", "",
              f"Exit status: {c.exit_status} ({'some gradients differ' if c.exit_status else 'all agree'}).", "",
              f"![relative error per parameter]({RELERR_PNG})", "", f"![training curves]({CURVES_PNG})", ""]
    return "\n".join(lines)


def report_dir_name(c: Comparison) -> str:
    """compare-<A>-vs-<B>, from the run names (not their paths)."""
    return f"compare-{c.run_a.name}-vs-{c.run_b.name}"


def write_report(c: Comparison, out_dir: str | Path) -> tuple[Path, Optional[Path]]:
    """Write report.md, relerr.png and curves.png under out_dir/compare-<A>-vs-<B>/.

    An earlier report there is moved aside, never overwritten; returns (the new dir, where the old one went).
    """
    from minigpt.lab.compare.plots import plot_curves, plot_relative_errors  # matplotlib only when drawing

    path, moved_to = fresh_dir(out_dir, report_dir_name(c))
    (path / REPORT).write_text(report_markdown(c), encoding="utf-8")
    order = model_order(c.run_a.param_shapes)
    rows = {s.step: [(p.name, p.rel_error, p.verdict) for p in sorted(s.params, key=lambda p: order.index(p.name))]
            for s in c.steps}
    plot_relative_errors(rows, c.steps[0].bound, path / RELERR_PNG, f"{c.run_a.name} vs {c.run_b.name}: "
                         "gradient relative error per parameter")
    histories = {f"A {c.run_a.name}": c.run_a.history, f"B {c.run_b.name}": c.run_b.history}
    plot_curves(histories, path / CURVES_PNG, f"{c.run_a.name} vs {c.run_b.name}")
    return path, moved_to
