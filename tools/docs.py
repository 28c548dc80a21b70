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
  measured  slow or noisy (timings, seed sweeps, torch.compile), rendered from a committed JSON file
            under theory/data/ or benchmarks/ that `just docs-measure` (or the owning command) rewrites.
            A snippet in theory/snippets/measured/NAME.py shows its source live (block NAME) and its
            output from theory/data/NAME.json (block NAME.out): the tests never run it.

Languages: a block NAME.es is block NAME for the Spanish notes. A snippet is one file for both languages:
its code is written once, and each comment or docstring in words carries its translation on the line below,

    h = x * 2  # en: the English comment
    # es: el comentario en español

(a `# es:` line translates the line just above it: a trailing `# en:` comment, a full-line `# en:` comment,
or a one-line docstring). The English block drops the `# es:` lines, the Spanish block puts each one in
place of what it translates; tests/test_parity.py checks the pairs. Comments without words (`# (B, T, C)`)
stay as they are. Tables get their words from TEXT. Numbers, code and PyTorch's messages are the same in both.

The repository is an explicit argument: `python -m tools.docs --repo PATH` (default: the current directory);
use_repo(PATH) points every path below at it.
"""

import contextlib
import io
import json
import linecache
import re
import sys
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Callable

from minigpt.lab.compose import compose_config
from minigpt.lab.sweep import SUMMARY, SWEEP_DIR, format_stat  # the sweep's own wording of mean ± std
from minigpt.language import LANGUAGES, in_language  # "en" is the default: its blocks carry no suffix

ROOT = THEORY = SNIPPETS = MEASURED_SNIPPETS = DATA = BENCH_FIGURES = CUDA_FIGURES = LINT_PRECISION = \
    SWEEP_SUMMARY = Path()  # set by use_repo, below


def use_repo(root: Path | str) -> None:
    """Point every path of the generator at the repository `root`."""
    global ROOT, THEORY, SNIPPETS, MEASURED_SNIPPETS, DATA, BENCH_FIGURES, CUDA_FIGURES, LINT_PRECISION, SWEEP_SUMMARY
    ROOT = Path(root).resolve()
    THEORY = ROOT / "theory"
    SNIPPETS = THEORY / "snippets"
    MEASURED_SNIPPETS = SNIPPETS / "measured"  # too slow for the tests: their output is cached in DATA
    DATA = THEORY / "data"
    BENCH_FIGURES = ROOT / "benchmarks" / "measured.json"
    CUDA_FIGURES = ROOT / "benchmarks" / "measured_cuda.json"  # written on a machine with a GPU by `just bench-cuda`
    LINT_PRECISION = ROOT / "benchmarks" / "lint_precision.json"
    SWEEP_SUMMARY = ROOT / "experiments" / SWEEP_DIR / SUMMARY  # written by `just phase-25-sweep`
    render.cache_clear()
    snippet_output.cache_clear()


BLOCK = re.compile(r"<!-- generated:(?P<name>[\w.-]+) -->\n(?P<body>.*?)<!-- /generated:(?P=name) -->", re.S)
MATRIX_OVERRIDES = ["model.n_embd=32", "train.batch_size=16", "data.n_train=256", "data.n_eval=64"]

TEXT = {  # the words of the generated tables, per language; code, numbers and PyTorch's messages are never translated
    "en": {
        "measured by": "Measured by",
        "timing header": "| setting | ms per training step, median (quartiles) | vs control |",
        "timing spread": "A ratio whose quartiles overlap the control's is within noise, not a speed-up or a "
                         "slow-down.",
        "matrix header": "| variant | where | outcome | compared | relative error |",
        "doctor header": "| variant | outcome | doctor |",
        "sweep header": "| variant | runs ok | test accuracy | final val loss | step-0 gradient rel. error |",
        "sweep footer": "mean ± std (min–max) over seeds.",
        "bench header": "| figure | measured | target | | detail |", "met": "met", "missed": "**missed**",
        "lint header": "| code | version | files | lines | high | medium | low |",
        "phases header": "| seconds, medians of {rounds} | device=cpu | device=auto | cpu, 2 cores | auto, 2 cores |",
        "phases": {"whole command": "whole command", "imports and setup": "imports and setup",
                   "training": "training", "step 0 (builds the optimizer)": "step 0 (builds the optimizer)",
                   "steps 1 on": "steps 1 on",
                   "evaluations and records": "evaluations and records", "report": "report", "exit": "exit"},
        "step line": "One step (medians of 50 after warm-up): {cpu:.1f} ms on the CPU, {cuda:.1f} ms on CUDA, where "
                     "it launches {kernels:.0f} kernels and the GPU is busy {busy:.2f} ms; with the whole step under "
                     "`explain()`, {cpu_x:.1f} ms and {cuda_x:.1f} ms. `import torch._dynamo`, which `torch.optim` "
                     "does at its first use: {dynamo} s.",
        "cached": "Output cached in `{path}`: torch {torch}, {machine}, measured by `{command}`.",
        "safe": "safe", "loud": "loud", "silent": "silent",
        "step-0 gradients": "step-0 gradients", "step-1 gradients": "step-1 gradients", "logits": "logits",
    },
    "es": {
        "measured by": "Medido con",
        "timing header": "| configuración | ms por paso de entrenamiento, mediana (cuartiles) | frente al control |",
        "timing spread": "Un cociente cuyos cuartiles se solapan con los del control está dentro del ruido: no es una "
                         "mejora ni un empeoramiento.",
        "matrix header": "| variante | dónde | resultado | se compara | error relativo |",
        "doctor header": "| variante | resultado | doctor |",
        "sweep header": "| variante | ejecuciones sin error | exactitud en test | pérdida final de validación | "
                        "error rel. del gradiente en el paso 0 |",
        "sweep footer": "media ± desviación típica (mín.–máx.) sobre las semillas.",
        "bench header": "| cifra | medida | objetivo | | detalle |", "met": "cumplido", "missed": "**no cumplido**",
        "lint header": "| código | versión | ficheros | líneas | high | medium | low |",
        "phases header": "| segundos, medianas de {rounds} | device=cpu | device=auto | cpu, 2 núcleos | "
                         "auto, 2 núcleos |",
        "phases": {"whole command": "orden completa", "imports and setup": "importaciones y preparación",
                   "training": "entrenamiento", "step 0 (builds the optimizer)": "paso 0 (crea el optimizador)",
                   "steps 1 on": "pasos 1 en adelante", "evaluations and records": "evaluaciones y registros",
                   "report": "informe", "exit": "salida del proceso"},
        "step line": "Un paso (medianas de 50 tras el calentamiento): {cpu:.1f} ms en la CPU, {cuda:.1f} ms en CUDA, "
                     "donde lanza {kernels:.0f} kernels y la GPU trabaja {busy:.2f} ms; con el paso entero bajo "
                     "`explain()`, {cpu_x:.1f} ms y {cuda_x:.1f} ms. `import torch._dynamo`, que `torch.optim` hace "
                     "la primera vez que se usa: {dynamo} s.",
        "cached": "Salida guardada en `{path}`: torch {torch}, {machine}, medida con `{command}`.",
        "safe": "seguro", "loud": "con error explícito", "silent": "silencioso",
        "step-0 gradients": "gradientes del paso 0", "step-1 gradients": "gradientes del paso 1", "logits": "logits",
    },
}


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


def base_name(name: str) -> str:
    """The block name without its language suffix: 'timings.es' -> 'timings'."""
    for lang in LANGUAGES[1:]:
        if name.endswith(f".{lang}"):
            return name[: -len(lang) - 1]
    return name


# ---- live generators ----

def snippet_path(name: str) -> Path:
    """theory/snippets/NAME.py, or theory/snippets/measured/NAME.py for a measured snippet."""
    path = SNIPPETS / f"{name}.py"
    return path if path.exists() else MEASURED_SNIPPETS / f"{name}.py"


ES_LINE = re.compile(r"^\s*# es: (?P<text>.*)$")
EN_FULL = re.compile(r"^(?P<indent>\s*)# en: (?P<text>.*)$")
EN_TRAILING = re.compile(r"^(?P<code>.*?\S)(?P<gap>\s+)# en: (?P<text>.*)$")
DOCSTRING = re.compile(r'^(?P<indent>\s*)"""(?P<text>.*)"""$')


MARKED = ((EN_FULL, "{indent}# {text}"), (EN_TRAILING, "{code}{gap}# {text}"), (DOCSTRING, '{indent}"""{text}"""'))


def snippet_in_language(source: str, lang: str) -> str:
    """A bilingual snippet's source in one language. Each `# en:` comment (or one-line docstring) with the `# es:`
    line below it is a text in both languages, picked through minigpt.language like every other."""
    lines: list[str] = []
    spanish: dict[int, str] = {}
    for line in source.splitlines():
        if m := ES_LINE.match(line):
            if not lines:
                raise ValueError("a snippet starts with a '# es:' line")
            spanish[len(lines) - 1] = m["text"]
        else:
            lines.append(line)
    return "\n".join(rendered(line, spanish.get(k), lang) for k, line in enumerate(lines)) + "\n"


def rendered(line: str, spanish: str | None, lang: str) -> str:
    """One line of a snippet in `lang`: a marked comment or docstring in that language's words, code as it is."""
    for pattern, template in MARKED:
        if m := pattern.match(line):
            break
    else:
        if spanish is not None:
            raise ValueError(f"a '# es:' line follows a line with nothing to translate: {line.strip()!r}")
        return line
    if spanish is None and pattern is DOCSTRING:
        return line
    if spanish is None and lang != LANGUAGES[0]:
        raise ValueError(f"'# en:' without its '# es:' line below: {line.strip()!r}")
    return template.format(**{**m.groupdict(), "text": in_language({"en": m["text"], "es": spanish}, lang)})


def snippet_source(name: str, lang: str = "en") -> str:
    """The snippet, in one language, as a python code block."""
    return f"```python\n{snippet_in_language(snippet_path(name).read_text(), lang)}```\n"


def run_snippet(path: Path) -> str:
    """What a snippet prints (warnings are not shown: a snippet that teaches a warning catches and prints it).

    It runs as the notes show it, its English rendering, under its own file name, so a file:line it prints (a
    traceback, the doctor's note) points at the line the reader sees, in either language (both have the same lines).
    """
    source = snippet_in_language(path.read_text(), "en")
    linecache.cache[str(path)] = (len(source), None, source.splitlines(True), str(path))  # tracebacks quote it
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(source, str(path), "exec"), {"__name__": "__main__", "__file__": str(path)})
    return out.getvalue()


@cache
def snippet_output(name: str) -> str:
    """What the snippet prints, as a text block; run once per process."""
    return f"```text\n{run_snippet(SNIPPETS / f'{name}.py')}```\n"


def break_matrix_block(lang: str = "en") -> str:
    """The break matrix at a tiny size, with the command that reproduces it (no doctor column)."""
    words = in_language(TEXT, lang)
    lines = [f"`just phase-25-matrix {' '.join(MATRIX_OVERRIDES)}`", "", words["matrix header"],
             "|---|---|---|---|---:|"]
    for r in quoted_matrix_rows():
        lines.append(f"| {r.variant} | `{r.where}` | **{words[r.outcome]}** | {words[r.compared]} | "
                     f"{shown_error(r)} |")
    return "\n".join(lines) + "\n"


def doctor_verdicts_block(lang: str = "en") -> str:
    """The graph doctor's verdict on each variant of the break matrix, next to the measured outcome."""
    words = in_language(TEXT, lang)
    lines = [words["doctor header"], "|---|---|---|"]
    lines += [f"| {r.variant} | **{words[r.outcome]}** | {r.doctor} |" for r in quoted_matrix_rows()]
    return "\n".join(lines) + "\n"


def shown_error(row) -> str:
    """A matrix row's relative error; a nonzero one within rounding as the bound (its digits vary between CPUs)."""
    from minigpt.lab.matrix import format_error

    error = row.relative_error
    return f"≤ {row.bound:.1e}" if error is not None and 0 < error <= row.bound else format_error(error)


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


def measured_snippet_block(name: str, lang: str = "en") -> str:
    """What a measured snippet printed when `just docs-measure` last ran it (theory/data/NAME.json)."""
    path = DATA / f"{name}.json"
    if not path.exists():
        return not_measured(path, "just docs-measure")
    data = json.loads(path.read_text())
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    caption = in_language(TEXT, lang)["cached"].format(path=shown, torch=data["torch"], command=data["command"],
                                                       machine=figure_text(data["machine"], lang))
    return f"```text\n{data['output']}```\n\n{caption}\n"


def timings_block(lang: str = "en") -> str:
    """The timing table from theory/data/timings.json (written by `just docs-measure`)."""
    path = DATA / "timings.json"
    if not path.exists():
        return not_measured(path, "just docs-measure")
    data, words = json.loads(path.read_text()), in_language(TEXT, lang)
    lines = [f"torch {data['torch']}, {figure_text(data['machine'], lang)}, {figure_text(data['what'], lang)}", "",
             words["timing header"], "|---|---:|---:|"]
    control = data["ms_per_step"]["control"]
    quartiles = data.get("ms_quartiles", {})
    for setting, ms in data["ms_per_step"].items():
        spread = " ({:.2f}–{:.2f})".format(*quartiles[setting]) if setting in quartiles else ""
        lines.append(f"| {setting} | {ms:.2f}{spread} | {ms / control:.2f}× |")
    if quartiles:
        lines += ["", words["timing spread"]]
    return "\n".join(lines) + f"\n\n{words['measured by']} `{data['command']}`.\n"


def sweep_data(summary: dict) -> dict:
    """What the notes quote from a finished sweep's summary.json (schema in minigpt/lab/sweep/sweep.py); ValueError if
    unfinished."""
    if len(summary["jobs"]) != summary["jobs_planned"]:
        raise ValueError(f"the sweep ran {len(summary['jobs'])} of its {summary['jobs_planned']} jobs")
    return {key: summary[key] for key in ("overrides", "torch_version", "variants")}


def sweep_shrinks(published: dict, new: dict) -> list[str]:
    """How a new sweep would quote less than the published one: a variant dropped, or fewer runs of one."""
    runs = {v["variant"]: v["runs"] for v in new["variants"]}
    lost = []
    for v in published["variants"]:
        if v["variant"] not in runs:
            lost.append(f"{v['variant']}: not in the new sweep (published: {v['runs']} runs)")
        elif runs[v["variant"]] < v["runs"]:
            lost.append(f"{v['variant']}: {runs[v['variant']]} runs where the published table has {v['runs']}")
    return lost


def sweep_block(lang: str = "en") -> str:
    """The seed-sweep table from theory/data/sweep.json (copied from the sweep by `just docs-measure`)."""
    path = DATA / "sweep.json"
    if not path.exists():
        return not_measured(path, "just phase-25-sweep && just docs-measure")
    data, words = json.loads(path.read_text()), in_language(TEXT, lang)
    lines = [f"torch {data['torch_version']}, `just phase-25-sweep {' '.join(data['overrides'])}`", "",
             words["sweep header"], "|---|---:|---:|---:|---:|"]
    for v in data["variants"]:
        cells = [format_stat(v[key], ".3f") for key in ("final_test_accuracy", "final_val_loss", "grad_rel_error")]
        lines.append(f"| {v['variant']} | {v['ok']}/{v['runs']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + f"\n\n{words['sweep footer']}\n"


def target_met(figure: dict) -> bool | None:
    """Whether a figure of benchmarks/measured.json is on the right side of its target; None when it has none
    (a figure shown beside another, such as anomaly mode's cost)."""
    if figure["target"] is None:
        return None
    if figure["better"] == "lower":
        return figure["value"] <= figure["target"]
    return figure["value"] >= figure["target"]


def target_text(figure: dict) -> str:
    """"≤ 1.15 x", or "—" for a figure with no target."""
    if figure["target"] is None:
        return "—"
    return f"{'≤' if figure['better'] == 'lower' else '≥'} {figure['target']} {figure['unit']}"


def bench_figures_block(lang: str = "en") -> str:
    """The README's speed figures from benchmarks/measured.json (written by `just bench`)."""
    if not BENCH_FIGURES.exists():
        return not_measured(BENCH_FIGURES, "just bench")
    data, words = json.loads(BENCH_FIGURES.read_text()), in_language(TEXT, lang)
    machine = figure_text(data["machine"], lang)
    lines = [f"torch {data['torch']}, {machine}, {words['measured by'].lower()} `just bench`", "",
             *figures_table(data["figures"], lang)]
    return "\n".join(lines) + "\n"


def figure_text(text: str | dict[str, str], lang: str) -> str:
    """A figure's name or detail in `lang`: a table keyed by language, as the benchmarks write it, or a plain
    string from a file measured before they did (shown as it is)."""
    return text if isinstance(text, str) else in_language(text, lang)


def figures_table(figures: list[dict], lang: str) -> list[str]:
    """Markdown rows: each figure next to its target, and whether it is met."""
    words = in_language(TEXT, lang)
    lines = [words["bench header"], "|---|---:|---|---|---|"]
    for f in figures:
        met = target_met(f)
        verdict = "" if met is None else words["met"] if met else words["missed"]
        lines.append(f"| {figure_text(f['name'], lang)} | {f['value']} {f['unit']} | {target_text(f)} | {verdict} "
                     f"| {figure_text(f.get('detail', ''), lang)} |")
    return lines


def cuda_figures_block(lang: str = "en") -> str:
    """The GPU figures from benchmarks/measured_cuda.json: device=auto against device=cpu, and where the time goes."""
    if not CUDA_FIGURES.exists():
        return not_measured(CUDA_FIGURES, "just bench-cuda")
    data, words = json.loads(CUDA_FIGURES.read_text()), in_language(TEXT, lang)
    runs, steps = data["commands_s"], data["steps"]
    machine = figure_text(data["machine"], lang)
    lines = [f"torch {data['torch']}, {data['gpu']}, {machine}, {words['measured by'].lower()} "
             f"`{data['command']}` (commit {data['commit']})", "", *figures_table(data["figures"], lang), "",
             words["phases header"].format(rounds=data["rounds"]), "|---|---:|---:|---:|---:|"]
    for key, name in words["phases"].items():
        lines.append(f"| {name} | " + " | ".join(f"{runs[s][key]:.2f}" for s in
                                                 ("cpu", "auto", "cpu, 2 cores", "auto, 2 cores")) + " |")
    lines += ["", words["step line"].format(
        cpu=steps["cpu"]["step ms"], cuda=steps["cuda"]["step ms"], kernels=steps["cuda"]["kernels per step"],
        busy=steps["cuda"]["GPU busy per step ms"], cpu_x=steps["cpu"]["step under explain() ms"],
        cuda_x=steps["cuda"]["step under explain() ms"], dynamo=data["import torch._dynamo s"])]
    return "\n".join(lines) + "\n"


def lint_precision_block(lang: str = "en") -> str:
    """The lint's findings by severity on real library code, from benchmarks/lint_precision.json."""
    if not LINT_PRECISION.exists():
        return not_measured(LINT_PRECISION, "python benchmarks/lint_precision.py")
    data, words = json.loads(LINT_PRECISION.read_text()), in_language(TEXT, lang)
    lines = [words["lint header"], "|---|---|---:|---:|---:|---:|---:|"]
    for group in data["groups"].values():
        counts = [group["findings"].get(severity, 0) for severity in ("high", "medium", "low")]
        lines.append(f"| {', '.join(f'`{p}`' for p in group['paths'])} | {group['version']} | {group['files']} | "
                     f"{group['lines']:,} | " + " | ".join(map(str, counts)) + " |")
    return "\n".join(lines) + f"\n\n{words['measured by']} `{data['command']}`.\n"


def registry() -> dict[str, Callable[[], str]]:
    """Every block name the notes may use, mapped to the function that makes its markdown."""
    tables = {"break-matrix": break_matrix_block, "doctor-verdicts": doctor_verdicts_block,  # live
              "timings": timings_block, "sweep": sweep_block, "bench-figures": bench_figures_block,  # measured
              "cuda-figures": cuda_figures_block, "lint-precision": lint_precision_block}
    blocks = {}
    for name, make in tables.items():
        blocks[name] = make
        for lang in LANGUAGES[1:]:
            blocks[f"{name}.{lang}"] = lambda make=make, lang=lang: make(lang)
    for snippet in sorted(SNIPPETS.glob("*.py")) + sorted(MEASURED_SNIPPETS.glob("*.py")):
        blocks[snippet.stem] = lambda name=snippet.stem: snippet_source(name)
        blocks[f"{snippet.stem}.es"] = lambda name=snippet.stem: snippet_source(name, "es")
        if snippet.parent == MEASURED_SNIPPETS:
            for lang in LANGUAGES:
                suffix = "" if lang == LANGUAGES[0] else f".{lang}"
                blocks[f"{snippet.stem}.out{suffix}"] = lambda name=snippet.stem, lang=lang: \
                    measured_snippet_block(name, lang)
        else:
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



# ---- the command line: `just docs`, `just docs --check`, `just docs-measure` ----

PROGRAM = "docs"
HELP = """usage: python -m tools.docs [--repo PATH] [--measure [--allow-smaller-sweep]] [--check]

  --repo PATH the repository whose notes to regenerate (default: the current directory)
  (no flag)   rewrite every <!-- generated:NAME --> block in theory/*.md and the READMEs
  --measure   first re-measure the timings the notes quote (theory/data/timings.json, about two minutes),
              run the slow snippets (theory/snippets/measured/NAME.py -> theory/data/NAME.json, about a minute)
              and copy the seed sweep's figures (experiments/25-sweep/summary.json -> theory/data/sweep.json)
              a sweep with fewer variants or runs than the published table is refused (the difference is
              printed) unless --allow-smaller-sweep is given
  --check     change nothing; list the stale blocks and exit 1 if there are any"""
FLAGS = {"--measure", "--check", "--allow-smaller-sweep", "--repo"}


def fail(message: str) -> None:
    """One line on stderr, exit status 2 (the course CLI's convention)."""
    print(f"{PROGRAM}: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def main(argv: list[str] | None = None) -> None:
    """Regenerate (or check) the generated blocks of every note of the repository given by --repo."""
    args = list(sys.argv[1:] if argv is None else argv)
    if {"-h", "--help"} & set(args):
        print(HELP)
        return
    repo = Path.cwd()
    if "--repo" in args:
        at = args.index("--repo")
        if at + 1 >= len(args):
            fail("--repo needs a path: --repo PATH")
        repo = Path(args.pop(at + 1))
        args.pop(at)
    unknown = sorted(set(args) - FLAGS)
    if unknown:
        fail(f"unknown argument '{unknown[0]}'; allowed: {', '.join(sorted(FLAGS))}")
    if not (repo / "theory").is_dir():
        fail(f"{repo} has no theory/ folder; give the repository with --repo PATH")
    use_repo(repo)
    if "--allow-smaller-sweep" in args and "--measure" not in args:
        fail("--allow-smaller-sweep goes with --measure; allowed: --measure --allow-smaller-sweep")
    if "--check" in args:
        stale = stale_blocks()
        for block in stale:
            print(block)
        raise SystemExit(1 if stale else 0)
    if "--measure" in args:
        from tools.measure import measure_snippet, measure_timings  # imported late: they build models

        DATA.mkdir(parents=True, exist_ok=True)
        (DATA / "timings.json").write_text(json.dumps(measure_timings(), indent=2) + "\n")
        print(f"wrote {(DATA / 'timings.json').relative_to(ROOT)}")
        for snippet in sorted(MEASURED_SNIPPETS.glob("*.py")):
            (DATA / f"{snippet.stem}.json").write_text(json.dumps(measure_snippet(snippet), indent=2) + "\n")
            print(f"wrote {(DATA / f'{snippet.stem}.json').relative_to(ROOT)}")
        copy_sweep("--allow-smaller-sweep" in args)
    for path in write_all():
        print(f"rewrote {path.relative_to(ROOT)}")


def copy_sweep(allow_smaller: bool) -> None:
    """Copy the figures of a finished seed sweep into theory/data/sweep.json; keep the old copy when the sweep is
    unfinished, or smaller than the published one and allow_smaller is False."""
    sweep = SWEEP_SUMMARY.relative_to(ROOT)
    if not SWEEP_SUMMARY.exists():
        print(f"no {sweep}: run `just phase-25-sweep` to quote a sweep; theory/data/sweep.json kept as it was")
        return
    try:
        data = sweep_data(json.loads(SWEEP_SUMMARY.read_text()))
    except ValueError as e:
        print(f"{sweep}: {e}; theory/data/sweep.json kept as it was")
        return
    published = DATA / "sweep.json"
    shrinks = sweep_shrinks(json.loads(published.read_text()), data) if published.exists() else []
    if shrinks and not allow_smaller:
        print(f"{sweep} is smaller than the published sweep, so theory/data/sweep.json is kept as it was "
              f"(--allow-smaller-sweep publishes it): " + "; ".join(shrinks))
        return
    published.write_text(json.dumps(data, indent=2) + "\n")
    print(f"wrote theory/data/sweep.json from {sweep}")


use_repo(Path.cwd())

if __name__ == "__main__":
    main()
