"""Generated blocks: every output, error message, table and figure in the notes comes from code.

In any markdown file of the repo (theory/*.md, README.md, README.es.md) a block

    <!-- generated:NAME -->
    ...
    <!-- /generated:NAME -->

holds what registry()[NAME]() returns. `just docs` rewrites every block; tests/test_docs.py fails when
one is stale. Two kinds of generator:
  live      cheap and deterministic, re-run by the test: the source of a snippet in
            theory/snippets/NAME.py (block NAME), what running it prints (block NAME.out),
            the break matrix at a tiny size;
  measured  slow or noisy (timings, seed sweeps), rendered from a committed JSON file under
            theory/data/ or benchmarks/ that `just docs-measure` (or the owning command) rewrites.
"""

import contextlib
import io
import json
import re
import runpy
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Callable

from minigpt.lab.compose import compose_config

ROOT = Path(__file__).resolve().parents[3]
THEORY = ROOT / "theory"
SNIPPETS = THEORY / "snippets"
DATA = THEORY / "data"
BENCH_FIGURES = ROOT / "benchmarks" / "measured.json"
BLOCK = re.compile(r"<!-- generated:(?P<name>[\w.-]+) -->\n(?P<body>.*?)<!-- /generated:(?P=name) -->", re.S)
MATRIX_OVERRIDES = ["model.n_embd=32", "train.batch_size=16", "data.n_train=256", "data.n_eval=64"]


@dataclass(frozen=True)
class Stale:
    """A block whose text differs from what its generator makes now (or that has no generator)."""

    path: Path
    name: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}: block '{self.name}' {self.problem}; run `just docs`"


def doc_files() -> list[Path]:
    """Every markdown file that may hold generated blocks."""
    readmes = [ROOT / "README.md", ROOT / "README.es.md"]
    return sorted(THEORY.glob("*.md")) + [p for p in readmes if p.exists()]


def blocks_in(text: str) -> list[tuple[str, str]]:
    """(name, body) of every generated block in a markdown text, in order."""
    return [(m["name"], m["body"]) for m in BLOCK.finditer(text)]


# ---- live generators ----

def snippet_source(name: str) -> str:
    """The snippet as a python code block."""
    return f"```python\n{(SNIPPETS / f'{name}.py').read_text()}```\n"


@cache
def snippet_output(name: str) -> str:
    """What the snippet prints, as a text block; run once per process (warnings are not shown)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a snippet that teaches a warning catches and prints it
        runpy.run_path(str(SNIPPETS / f"{name}.py"), run_name="__main__")
    return f"```text\n{out.getvalue()}```\n"


def break_matrix_block() -> str:
    """The break matrix at a tiny size, with the command that reproduces it."""
    from minigpt.lab.matrix import matrix_markdown

    command = "just phase-25-matrix " + " ".join(MATRIX_OVERRIDES)
    return f"`{command}`\n\n{matrix_markdown(quoted_matrix_rows())}"


@cache
def quoted_matrix_rows() -> list:
    """The break-matrix rows the phase note quotes, measured once per process."""
    from minigpt.lab.matrix import break_matrix  # imported late: building the model is heavy

    return break_matrix(compose_config(MATRIX_OVERRIDES))


# ---- measured generators: render committed data ----

def not_measured(path: Path, command: str) -> str:
    """The placeholder of a measured block whose data file is missing (the same in every language)."""
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    return f"`{shown}`: — (`{command}`)\n"


def timings_block() -> str:
    """The timing table from theory/data/timings.json (written by `just docs-measure`)."""
    path = DATA / "timings.json"
    if not path.exists():
        return not_measured(path, "just docs-measure")
    data = json.loads(path.read_text())
    lines = [f"torch {data['torch']}, {data['machine']}, {data['what']}", "",
             "| setting | ms per training step (median) | vs control |", "|---|---:|---:|"]
    control = data["ms_per_step"]["control"]
    for setting, ms in data["ms_per_step"].items():
        lines.append(f"| {setting} | {ms:.2f} | {ms / control:.2f}× |")
    return "\n".join(lines) + f"\n\nMeasured by `{data['command']}`.\n"


SWEEP_SUMMARY = ROOT / "experiments" / "25-sweep" / "summary.json"  # written by `just phase-25-sweep`


def sweep_data(summary: dict) -> dict:
    """What the notes quote from a finished sweep's summary.json (schema in minigpt/lab/sweep.py); ValueError if unfinished."""
    if len(summary["jobs"]) != summary["jobs_planned"]:
        raise ValueError(f"the sweep ran {len(summary['jobs'])} of its {summary['jobs_planned']} jobs")
    return {key: summary[key] for key in ("overrides", "torch_version", "variants")}


def sweep_block() -> str:
    """The seed-sweep table from theory/data/sweep.json (copied from the sweep by `just docs-measure`)."""
    path = DATA / "sweep.json"
    if not path.exists():
        return not_measured(path, "just phase-25-sweep && just docs-measure")
    from minigpt.lab.sweep import format_stat  # the sweep's own wording of mean ± std (min–max)

    data = json.loads(path.read_text())
    lines = [f"torch {data['torch_version']}, `just phase-25-sweep {' '.join(data['overrides'])}`", "",
             "| variant | runs ok | test accuracy | final val loss | step-0 gradient rel. error |",
             "|---|---:|---:|---:|---:|"]
    for v in data["variants"]:
        cells = [format_stat(v[key], ".3f") for key in ("final_test_accuracy", "final_val_loss", "grad_rel_error")]
        lines.append(f"| {v['variant']} | {v['ok']}/{v['runs']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\nmean ± std (min–max) over seeds.\n"


def target_met(figure: dict) -> bool:
    """Whether a figure of benchmarks/measured.json is on the right side of its target."""
    if figure["better"] == "lower":
        return figure["value"] <= figure["target"]
    return figure["value"] >= figure["target"]


def bench_figures_block() -> str:
    """The README's speed figures from benchmarks/measured.json (written by `just bench`)."""
    if not BENCH_FIGURES.exists():
        return not_measured(BENCH_FIGURES, "just bench")
    data = json.loads(BENCH_FIGURES.read_text())
    lines = [f"torch {data['torch']}, {data['machine']}, measured by `just bench`", "",
             "| figure | measured | target | | detail |", "|---|---:|---|---|---|"]
    for f in data["figures"]:
        bound = "≤" if f["better"] == "lower" else "≥"
        lines.append(f"| {f['name']} | {f['value']} {f['unit']} | {bound} {f['target']} {f['unit']} "
                     f"| {'met' if target_met(f) else '**missed**'} | {f.get('detail', '')} |")
    return "\n".join(lines) + "\n"


def registry() -> dict[str, Callable[[], str]]:
    """Every block name the notes may use, mapped to the function that makes its markdown."""
    blocks = {"break-matrix": break_matrix_block,  # live
              "timings": timings_block, "sweep": sweep_block, "bench-figures": bench_figures_block}  # measured
    for snippet in sorted(SNIPPETS.glob("*.py")):
        blocks[snippet.stem] = lambda name=snippet.stem: snippet_source(name)
        blocks[f"{snippet.stem}.out"] = lambda name=snippet.stem: snippet_output(name)
    return blocks


@cache
def render(name: str) -> str:
    """The markdown of block NAME; KeyError when no generator has that name."""
    return registry()[name]()


def refreshed(text: str) -> str:
    """The text with every generated block rewritten by its generator."""
    return BLOCK.sub(lambda m: f"<!-- generated:{m['name']} -->\n{render(m['name'])}<!-- /generated:{m['name']} -->",
                     text)


def stale_blocks(paths: list[Path] | None = None) -> list[Stale]:
    """Every block, in the given files (default: all doc files), that `just docs` would change."""
    known, stale = registry(), []
    for path in paths or doc_files():
        for name, body in blocks_in(path.read_text()):
            if name not in known:
                stale.append(Stale(path, name, f"has no generator (known: {', '.join(sorted(known))})"))
            elif body != render(name):
                stale.append(Stale(path, name, "is stale"))
    return stale


def write_all(paths: list[Path] | None = None) -> list[Path]:
    """Rewrite every generated block in the given files (default: all doc files); the files changed."""
    changed = []
    for path in paths or doc_files():
        text = path.read_text()
        new = refreshed(text)
        if new != text:
            path.write_text(new)
            changed.append(path)
    return changed
