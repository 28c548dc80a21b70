"""Where a default run's time goes on the CPU and on CUDA: `just bench-cuda` (on a machine with a GPU).

Runs the default training command with device=cpu and device=auto (CUDA there) in turns, at all cores and at
two (taskset), and splits each run into imports, training (step 0, which builds the optimizer, then the other
steps), the report and the process exit. Then takes one training step apart on each device and counts, with
the profiler, the kernels a CUDA step launches and how long the GPU is busy. Writes benchmarks/measured_cuda.json,
which the README renders (`just docs`).
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

ROOT = Path(__file__).resolve().parents[1]
MEASURED = ROOT / "benchmarks" / "measured_cuda.json"
ROUNDS = 5
TIMED_COMMAND = """
import atexit, json, sys, time
start = time.perf_counter()
import minigpt.cli.train_app as command
marks = {}
def timed(name, work):
    def run(*args, **kwargs):
        marks[name + " from"] = time.perf_counter() - start
        try:
            return work(*args, **kwargs)
        finally:
            marks[name + " to"] = time.perf_counter() - start
    return run
command.train, command.report = timed("train", command.train), timed("report", command.report)
atexit.register(lambda: print("MARKS", json.dumps({**marks, "atexit": time.perf_counter() - start}), file=sys.stderr))
command.main(sys.argv[1:])
"""

from autograd_doctor.explain import explain  # noqa: E402
from minigpt.data import make_splits  # noqa: E402
from minigpt.lab.compose import compose_config  # noqa: E402
from minigpt.language import LANGUAGES, say  # noqa: E402
from minigpt.model import build_model  # noqa: E402
from minigpt.train import evaluate, make_optimizer, training_step  # noqa: E402

DEFAULT = compose_config([])  # the default run's config: what the command trains, composed once


def timed_command(device: str, cores: str = "") -> dict:
    """The default training command with `device`, process start to exit, in phases (seconds)."""
    with tempfile.TemporaryDirectory() as out:
        prefix = ["taskset", "-c", cores] if cores else []
        start = time.perf_counter()
        done = subprocess.run([*prefix, sys.executable, "-c", TIMED_COMMAND, f"device={device}", f"out_dir={out}"],
                              cwd=ROOT, capture_output=True, text=True)
        total = time.perf_counter() - start
        if done.returncode:
            raise RuntimeError(f"device={device} failed:\n{done.stderr[-2000:]}")
        marks = json.loads(next(line for line in done.stderr.splitlines() if line.startswith("MARKS"))[6:])
        run = next(Path(out).glob("*/summary.json")).parent
        summary = json.loads((run / "summary.json").read_text())
        steps = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    tokens_per_step = DEFAULT.train.batch_size * DEFAULT.data.block_size
    step_s = [tokens_per_step / m["tokens_per_s"] for m in steps]
    return {"whole command": total, "imports and setup": marks["train from"],
            "training": marks["train to"] - marks["train from"], "step 0 (builds the optimizer)": step_s[0],
            "steps 1 on": sum(step_s[1:]),
            "evaluations and records": marks["train to"] - marks["train from"] - sum(step_s),
            "report": marks["report to"] - marks["report from"],
            "exit": total - marks["atexit"], "device": summary["device"]}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def median_ms(work, device: torch.device, repeats: int = 50, warmup: int = 5) -> float:
    for _ in range(warmup):
        work()
    sync(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        sync(device)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def step_parts(device: torch.device) -> dict:
    """One default training step on `device` (milliseconds, medians of 50), and on CUDA what the GPU does."""
    cfg = DEFAULT
    torch.manual_seed(0)
    splits = make_splits(cfg.data, cfg.seed).to(device)
    model = build_model(cfg, len(splits.vocab)).to(device)
    optimizer = make_optimizer(model, cfg.train)
    x, y = splits.batch(torch.Generator().manual_seed(0), cfg.train.batch_size)

    def step():
        training_step(model, x, y, lambda: optimizer).item()  # the loop reads the loss back every step

    def explained_step():
        with explain():
            step()

    parts = {"step ms": median_ms(step, device), "step under explain() ms": median_ms(explained_step, device),
             "evaluation ms": median_ms(lambda: evaluate(model, splits), device, repeats=10)}
    if device.type == "cuda":
        from torch.profiler import ProfilerActivity, profile
        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            for _ in range(10):
                step()
        kernels = [e for e in prof.events() if e.device_type.name == "CUDA"]
        parts["kernels per step"] = len(kernels) / 10
        parts["GPU busy per step ms"] = sum(e.device_time for e in kernels) / 10 / 1000
    return {k: round(v, 3) for k, v in parts.items()}


def current_commit() -> str:
    """The commit measured (the working tree may differ from it; `git status` before measuring)."""
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def seconds_to_import(module: str) -> float:
    """`import module` after `import torch`, in a fresh process."""
    code = f"import time, torch; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    if not torch.cuda.is_available():
        print("bench-cuda: error: torch.cuda.is_available() is False on this machine; allowed: a machine with a GPU",
              file=sys.stderr)
        raise SystemExit(2)
    settings = {"cpu": ("cpu", ""), "auto": ("auto", ""), "cpu, 2 cores": ("cpu", "0,1"),
                "auto, 2 cores": ("auto", "0,1")}
    runs = {name: [] for name in settings}
    for _ in range(ROUNDS):  # in turns, so a busy moment hits every setting alike
        for name, (device, cores) in settings.items():
            runs[name].append(timed_command(device, cores))
    commands = {name: {key: round(statistics.median(r[key] for r in rs), 2) if key != "device" else rs[0][key]
                       for key in rs[0]} for name, rs in runs.items()}
    figures = []  # name and detail keyed by language (minigpt.language), both built from the same numbers
    for cores in ("", ", 2 cores"):
        auto, cpu = commands["auto" + cores], commands["cpu" + cores]
        ratio = statistics.median(a["whole command"] / c["whole command"]
                                  for a, c in zip(runs["auto" + cores], runs["cpu" + cores]))
        where = {lang: say(lang, "taskset, 2 cores" if cores else f"{os.cpu_count()} cores",
                           "taskset, 2 núcleos" if cores else f"{os.cpu_count()} núcleos") for lang in LANGUAGES}
        figures.append({"name": {lang: say(lang, f"default run, device=auto ({auto['device']}) / device=cpu "
                                                 f"({where[lang]})",
                                           f"ejecución por defecto, device=auto ({auto['device']}) / device=cpu "
                                           f"({where[lang]})") for lang in LANGUAGES},
                        "value": round(ratio, 2), "unit": "x", "target": 1.0, "better": "lower",
                        "command": "just phase-25-train device=auto",
                        "detail": {"en": f"{auto['whole command']:.1f} s vs {cpu['whole command']:.1f} s; training "
                                         f"{auto['training']:.1f} s vs {cpu['training']:.1f} s, medians of {ROUNDS}",
                                   "es": f"{auto['whole command']:.1f} s frente a {cpu['whole command']:.1f} s; "
                                         f"entrenamiento {auto['training']:.1f} s frente a {cpu['training']:.1f} s, "
                                         f"medianas de {ROUNDS}"}})
    python = platform.python_version()
    report = {"torch": torch.__version__, "gpu": torch.cuda.get_device_name(),
              "machine": {lang: say(lang, f"{platform.machine()}, {os.cpu_count()} cores, Python {python}",
                                    f"{platform.machine()}, {os.cpu_count()} núcleos, Python {python}")
                          for lang in LANGUAGES},
              "command": "just bench-cuda", "commit": current_commit(), "rounds": ROUNDS, "figures": figures,
              "commands_s": commands,
              "import torch._dynamo s": round(statistics.median(seconds_to_import("torch._dynamo")
                                                                for _ in range(ROUNDS)), 2),
              "steps": {"cpu": step_parts(torch.device("cpu")), "cuda": step_parts(torch.device("cuda"))}}
    text = json.dumps(report, indent=1, ensure_ascii=False)
    print(text)
    MEASURED.write_text(text + "\n")
    if os.environ.get("OUT"):  # a lent GPU machine: bring the figures back
        (Path(os.environ["OUT"]) / MEASURED.name).write_text(text + "\n")


if __name__ == "__main__":
    main()
