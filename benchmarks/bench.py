"""just bench: each speed figure of the phase next to its target, written to benchmarks/measured.json.

The README's figures are rendered from that file (`just docs`), so they are always measured ones. Each figure's
name and detail is a table keyed by language (minigpt.language), both entries built from the same numbers.
Run it on a quiet machine: other work on the cores inflates every figure.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from autograd_doctor import VERSION_ERROR, lint_report  # noqa: E402
from doctor_bench import explain_figures, scale_figures  # noqa: E402
from minigpt.cli.common import load_config  # noqa: E402
from minigpt.data import make_splits  # noqa: E402
from minigpt.language import LANGUAGES, in_language, say  # noqa: E402
from reference_gpt import ReferenceGPT  # noqa: E402

sys.path.insert(0, str(ROOT))
from tools.docs import target_met, target_text  # noqa: E402

from minigpt.lab.graph import diagnose_model  # noqa: E402
from minigpt.model import build_model  # noqa: E402
from minigpt.train import training_step  # noqa: E402

MEASURED = ROOT / "benchmarks" / "measured.json"


def median_seconds(work, repeats: int) -> float:
    """Median wall time of `work()` over `repeats` calls, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def seconds(command: list[str], repeats: int = 3) -> float:
    """Median wall time of a command, in seconds."""
    return median_seconds(lambda: subprocess.run(command, cwd=ROOT, check=False, capture_output=True), repeats)


def seconds_between(command: list[str], first: str, second: str) -> tuple[float, float]:
    """Seconds from start until `first` appears on the command's stdout, and from `first` until `second`."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env={**os.environ, "COLUMNS": "300"})
    seen = {}
    for line in process.stdout:
        for marker in (first, second):
            if marker in line and marker not in seen:
                seen[marker] = time.perf_counter()
    process.wait()
    if len(seen) < 2:
        raise RuntimeError(f"{first!r} or {second!r} never appeared in the output of {command}")
    return seen[first] - start, seen[second] - seen[first]


def train_cli(*overrides: str) -> list[str]:
    return [sys.executable, "-m", "minigpt.cli.train", *overrides]


def control_run(out_dir: str) -> dict:
    """The default control run, end to end (process start to exit): the median of 3, since the first run of a
    session also reads every module from a cold disk cache."""
    value = seconds(train_cli(f"out_dir={out_dir}"), repeats=3)
    return {"name": {"en": "default control run (just phase-25-train)",
                     "es": "ejecución de control por defecto (just phase-25-train)"},
            "value": round(value, 1), "unit": "s", "target": 60, "better": "lower", "command": "just phase-25-train"}


IMPORTED = "imports done"
TRAIN_AFTER_IMPORTS = ("import runpy, sys, torch, hydra, rich; print({marker!r}, flush=True); "
                       "sys.argv = ['phase-25-train', *sys.argv[1:]]; runpy.run_module('minigpt.cli.train', "
                       "run_name='__main__')")


def error_latency(out_dir: str) -> dict:
    """How long after `import torch, hydra, rich` finishes the in-place error is on screen, timed in the same
    process (the imports print a marker, then the command runs): medians of 3."""
    command = [sys.executable, "-c", TRAIN_AFTER_IMPORTS.format(marker=IMPORTED), "inplace=true",
               f"out_dir={out_dir}"]
    timings = [seconds_between(command, IMPORTED, VERSION_ERROR) for _ in range(3)]
    imports, error = (statistics.median(t[i] for t in timings) for i in (0, 1))
    return {"name": {"en": "in-place error on screen, after the imports",
                     "es": "error de la operación in situ en pantalla, tras las importaciones"},
            "value": round(error, 2), "unit": "s", "target": 1.5, "better": "lower",
            "command": "just phase-25-train inplace=true",
            "detail": {"en": f"{imports + error:.2f} s in all, {imports:.2f} s of which is `import torch, hydra, rich`",
                       "es": f"{imports + error:.2f} s en total, de los que {imports:.2f} s son "
                             f"`import torch, hydra, rich`"}}


def tokens_per_second(model: torch.nn.Module, optimizer: torch.optim.Optimizer, batches) -> float:
    """Training throughput over `batches` with the library's own training step (forward, backward, fused AdamW)."""
    start = time.perf_counter()
    for x, y in batches:
        training_step(model, x, y, lambda: optimizer)
    return len(batches) * batches[0][0].numel() / (time.perf_counter() - start)


LARGER = ["model.n_layer=4", "model.n_head=4", "model.n_embd=128", "data.block_size=64", "train.batch_size=32"]


def throughput_ratio(overrides: list[str], label: dict[str, str], rounds: int, steps: int) -> dict:
    """The default attention's GPT against the reference GPT of the same sizes, trained side by side in this
    process, with the explicit attention's GPT beside them (reported in the detail, without a target).

    Each round trains `steps` steps of each model on the same batches, in turns whose order alternates, so a busy
    moment hits all alike; the figure is the median round's ratio, the detail its range.
    """
    cfg = load_config(overrides)
    splits = make_splits(cfg.data, cfg.seed)
    m = cfg.model
    torch.manual_seed(cfg.seed)
    models = {"ours": build_model(cfg, len(splits.vocab)),
              "explicit": build_model(load_config([*overrides, "attention=explicit"]), len(splits.vocab)),
              "reference": ReferenceGPT(len(splits.vocab), cfg.data.block_size, m.n_layer, m.n_head, m.n_embd)}
    optimizers = {name: torch.optim.AdamW(model.parameters(), lr=cfg.train.lr, fused=True)
                  for name, model in models.items()}
    generator = torch.Generator().manual_seed(cfg.seed)
    batches = [splits.batch(generator, cfg.train.batch_size) for _ in range(steps)]
    for name in models:  # warm-up: first-call allocations and the optimizer's state
        tokens_per_second(models[name], optimizers[name], batches[:3])
    speeds = {name: [] for name in models}
    for round_ in range(rounds):
        for name in (list(models) if round_ % 2 == 0 else list(models)[::-1]):
            speeds[name].append(tokens_per_second(models[name], optimizers[name], batches))
    ratios = {name: [ours / reference for ours, reference in zip(speeds[name], speeds["reference"])]
              for name in ("ours", "explicit")}
    median = {name: statistics.median(values) for name, values in speeds.items()}
    explicit = round(statistics.median(ratios["explicit"]), 2)
    span = f"{min(ratios['ours']):.2f}–{max(ratios['ours']):.2f}"
    return {"name": {lang: say(lang, f"training throughput, attention={cfg.attention.value} / reference GPT "
                                     f"({label[lang]})",
                               f"rendimiento de entrenamiento, attention={cfg.attention.value} / GPT de referencia "
                               f"({label[lang]})") for lang in LANGUAGES},
            "value": round(statistics.median(ratios["ours"]), 2), "explicit": explicit,
            "unit": "x", "target": 1.0, "better": "higher", "command": "just bench",
            "detail": {"en": f"{rounds} rounds of {steps} steps: {span}; median {median['ours']:,.0f} vs "
                             f"{median['reference']:,.0f} tokens/s; attention=explicit {explicit} x "
                             f"({median['explicit']:,.0f} tokens/s, no target)",
                       "es": f"{rounds} rondas de {steps} pasos: {span}; mediana {median['ours']:,.0f} frente a "
                             f"{median['reference']:,.0f} tokens/s; attention=explicit {explicit} x "
                             f"({median['explicit']:,.0f} tokens/s, sin objetivo)"}}


def throughput(rounds: int = 15) -> list[dict]:
    """The throughput ratio at the default sizes and at a larger model with longer rows (see LARGER); short
    rounds (about half a second per turn on a quiet machine), many of them, so no busy spell decides the median."""
    return [throughput_ratio([], {"en": "default: L2 H4 C64 T12 B64", "es": "por defecto: L2 H4 C64 T12 B64"},
                             rounds, steps=24),
            throughput_ratio(LARGER, dict.fromkeys(LANGUAGES, "L4 H4 C128 T64 B32"), rounds, steps=4)]


def doctor_overhead() -> dict:
    """The graph doctor on the default model: one forward under tracer and anomaly mode plus the walk,
    minus a plain forward of the same batch (medians of 5)."""
    cfg = load_config([])
    splits = make_splits(cfg.data, cfg.seed)
    model = build_model(cfg, len(splits.vocab))
    x, y = splits.batch(torch.Generator().manual_seed(0), cfg.train.batch_size)
    forward = median_seconds(lambda: model(x, y), 5)
    doctor = median_seconds(lambda: diagnose_model(model, x, y), 5)
    return {"name": {"en": "graph doctor, beyond the forward (default model)",
                     "es": "doctor del grafo, además del forward (modelo por defecto)"},
            "value": round(doctor - forward, 3), "unit": "s", "target": 1.0, "better": "lower",
            "command": "just phase-25-graph",
            "detail": {"en": f"{doctor:.3f} s with the doctor, {forward:.3f} s plain forward, B={cfg.train.batch_size}",
                       "es": f"{doctor:.3f} s con el doctor, {forward:.3f} s el forward solo, "
                             f"B={cfg.train.batch_size}"}}


def lint_speed() -> dict:
    """The static lint over every Python file of the repository (median of 3)."""
    value = median_seconds(lambda: lint_report([ROOT]), 3)
    files = lint_report([ROOT]).files
    return {"name": {"en": "in-place lint of the whole repository",
                     "es": "lint de operaciones in situ de todo el repositorio"}, "value": round(value, 3),
            "unit": "s", "target": 1.0, "better": "lower", "command": "just phase-25-lint .",
            "detail": {"en": f"{files} files", "es": f"{files} ficheros"}}


def grad_compare_speed(out_dir: str) -> dict:
    """grad-compare of two default runs (control and silent variant) against `import torch` (medians of 5)."""
    runs = Path(out_dir) / "grad-compare"
    for overrides in [[], ["inplace=true", "ln=unchecked"]]:
        subprocess.run(train_cli(*overrides, f"out_dir={runs}"), cwd=ROOT, check=True, capture_output=True)
    torch_import = seconds([sys.executable, "-c", "import torch"], repeats=5)
    compare = seconds([sys.executable, "-m", "minigpt.cli.grad_compare", "25-A", "25-B", f"out_dir={runs}"],
                      repeats=5)
    return {"name": {"en": "grad-compare of two default runs / `import torch`",
                     "es": "grad-compare de dos ejecuciones por defecto / `import torch`"},
            "value": round(compare / torch_import, 2), "unit": "x", "target": 1.5, "better": "lower",
            "command": "just phase-25-grad-compare 25-A 25-B",
            "detail": {"en": f"{compare:.2f} s vs {torch_import:.2f} s for `python -c 'import torch'`",
                       "es": f"{compare:.2f} s frente a {torch_import:.2f} s de `python -c 'import torch'`"}}


def sweep_time(out_dir: str) -> dict:
    """The default seed sweep (every variant over 5 seeds), process start to exit."""
    value = seconds([sys.executable, "-m", "minigpt.cli.sweep", f"out_dir={out_dir}"], repeats=1)
    jobs = json.loads((Path(out_dir) / "25-sweep" / "summary.json").read_text())["jobs"]
    mean = sum(j["wall_time_s"] for j in jobs) / len(jobs)
    return {"name": {"en": "default seed sweep (just phase-25-sweep)",
                     "es": "barrido de semillas por defecto (just phase-25-sweep)"}, "value": round(value / 60, 1),
            "unit": "min", "target": 5, "better": "lower", "command": "just phase-25-sweep",
            "detail": {"en": f"{len(jobs)} runs of {mean:.1f} s on average",
                       "es": f"{len(jobs)} ejecuciones de {mean:.1f} s de media"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print only; leave measured.json as it is")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out_dir:
        figures = [control_run(out_dir), error_latency(out_dir), *throughput(), doctor_overhead(),
                   *explain_figures(), *scale_figures(), lint_speed(), grad_compare_speed(out_dir),
                   sweep_time(out_dir)]
    if not args.no_write:  # first, so a figure the table cannot print is not lost with it
        machine = {lang: say(lang, f"{platform.machine()}, {os.cpu_count()} cores, {torch.get_num_threads()} torch "
                                   f"threads, Python {platform.python_version()}",
                             f"{platform.machine()}, {os.cpu_count()} núcleos, {torch.get_num_threads()} hilos de "
                             f"torch, Python {platform.python_version()}") for lang in LANGUAGES}
        MEASURED.write_text(json.dumps({"torch": torch.__version__, "machine": machine, "figures": figures},
                                       indent=2, ensure_ascii=False) + "\n")
        print(f"written: {MEASURED.relative_to(ROOT)}")
    table = Table(title="phase 25 speed figures")
    for column in ["figure", "measured", "target", "", "detail"]:
        table.add_column(column)
    for f in figures:
        met = target_met(f)
        table.add_row(in_language(f["name"], "en"), f"{f['value']} {f['unit']}", target_text(f),
                      "" if met is None else "[green]met[/]" if met else "[red]missed[/]",
                      in_language(f["detail"], "en") if "detail" in f else "")
    Console().print(table)


if __name__ == "__main__":
    main()
