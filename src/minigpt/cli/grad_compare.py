"""just phase-25-grad-compare RUN_A RUN_B [out_dir=DIR]: compare the saved gradients of two runs, parameter by
parameter."""

import sys
from dataclasses import dataclass

from rich import box
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from minigpt.cli.common import PHASE_NAMES, SILENT_COMMAND, fail
from minigpt.config import DataConfig, TrainConfig
from minigpt.lab.compare import (
    COLUMNS,
    CURVES_PNG,
    RELERR_PNG,
    REPORT,
    ROUNDING_ULPS,
    Comparison,
    NoGradientsAfterCrash,
    Run,
    comparable_line,
    compare_runs,
    diff_lines,
    load_run,
    metric_rows,
    rounding_bound,
    row_cells,
    write_report,
)
from minigpt.runs import RunError, writable_dir_problem

PROGRAM = "phase-25-grad-compare"
DEFAULT_TOKENS = TrainConfig().batch_size * DataConfig().block_size
TERMINAL_HEADERS = {"max |Δ|": "max|Δ|", "rel. error": "rel.err"}  # an 80-column terminal fits the table
VERDICT_STYLES = {"identical": "green", "rounding": "dim", "differs": "bold red", "missing": "bold yellow"}
DESCRIPTION = """Compare the gradients two runs saved (grads/step_N.safetensors), parameter by parameter.
RUN_A and RUN_B are run directories, or plain run names meaning the latest run of that name
under out_dir (25-A is experiments/25-A). The runs must share seed, data, model shape and a
saved step; every other config difference is listed as what the experiment varied."""
EPILOG = f"""verdicts, per parameter and saved step:
  identical  bitwise equal
  rounding   relative error ||g_B - g_A|| / ||g_A|| <= {ROUNDING_ULPS} * float32 eps * sqrt(B*T),
             what float32 sums over a step's B*T token positions can explain
             ({rounding_bound(DEFAULT_TOKENS):.1e} at the default B*T = {DEFAULT_TOKENS})
  differs    more than that
  missing    the parameter got no gradient at all in one run (as with via_data=true)

exit status, like diff:
  0  every gradient is identical or within rounding
  1  some gradients differ or are missing
  2  the runs cannot be compared: no such run, not a run directory, a corrupted file, a different
     seed, data or model shape, no common saved step, a run that crashed before saving gradients,
     or bad arguments

writes <out_dir>/compare-<A>-vs-<B>/ (report.md, relerr.png, curves.png); an earlier one is moved aside.
example: {PROGRAM} 25-A 25-B"""


USAGE = f"""usage: {PROGRAM} RUN_A RUN_B [out_dir=DIR]

{DESCRIPTION}

arguments:
  RUN_A        the reference run (the control), a path or a run name
  RUN_B        the run to check against it, a path or a run name
  out_dir=DIR  where plain run names are looked up and the report is written (default: experiments)

{EPILOG}"""
OPTIONS = {"out_dir": "experiments"}  # key=value, as every command of the course takes its options


@dataclass
class Arguments:
    run_a: str
    run_b: str
    out_dir: str


def parse_args(argv: list[str]) -> Arguments:
    """RUN_A, RUN_B and out_dir=DIR; a mistake is one line and exit 2."""
    def is_option(arg: str) -> bool:  # a run may be named base-seed0-train.lr=0.1: its key is no identifier
        return arg.split("=", 1)[0].isidentifier() and "=" in arg

    runs = [a for a in argv if not is_option(a)]
    options = dict(a.split("=", 1) for a in argv if is_option(a))
    unknown = sorted(set(options) - set(OPTIONS)) + [a for a in runs if a.startswith("-")]
    if unknown:
        fail(f"unknown option '{unknown[0]}'; allowed: out_dir=DIR (see --help)", PROGRAM)
    if len(runs) != 2:
        fail(f"give two runs, got {len(runs)}; usage: {PROGRAM} RUN_A RUN_B [out_dir=DIR] (see --help)", PROGRAM)
    return Arguments(*runs, out_dir=options.get("out_dir", OPTIONS["out_dir"]))


def main(argv: list[str] | None = None) -> None:
    """Compare, print, write the report, and exit 0 (agree), 1 (differ) or 2 (cannot compare)."""
    given = sys.argv[1:] if argv is None else argv
    if {"-h", "--help"} & set(given):
        print(USAGE)
        return
    args = parse_args(given)
    console = Console()
    problem = writable_dir_problem(args.out_dir)
    if problem:
        fail(f"cannot write the report under out_dir: {problem}; allowed: a writable directory", PROGRAM)
    try:
        runs = load_run(args.run_a, args.out_dir), load_run(args.run_b, args.out_dir)
        for run in runs:
            if run.status != "ok":
                console.print(stopped_panel(run))
        comparison = compare_runs(*runs)
    except NoGradientsAfterCrash as e:
        console.print(f"[yellow]No gradients to compare: {e.run.name} stopped before saving any at a step "
                      "both runs reached.[/] A loud break needs no gradient comparison: the error above is the "
                      f"diagnosis. Compare gradients when nothing errors, e.g. after: {SILENT_COMMAND}")
        fail(f"cannot compare: {e}", PROGRAM)
    except RunError as e:
        fail(f"cannot compare: {e}", PROGRAM)
    show(comparison, console)
    try:
        path, moved_to = write_report(comparison, args.out_dir)
    except (RunError, OSError) as e:
        fail(f"cannot write the report under out_dir: {e}", PROGRAM)
    if moved_to:
        console.print(f"[dim]earlier report kept at {moved_to}[/]")
    console.print(f"report: [bold]{path}[/] ({REPORT}, {RELERR_PNG}, {CURVES_PNG})")
    raise SystemExit(comparison.exit_status)


def stopped_panel(run: Run) -> Panel:
    """A run that did not finish: its recorded error and where it happened."""
    s = run.summary
    if run.status in ("crashed", "interrupted"):
        where = PHASE_NAMES.get(s.get("failed_in"), s.get("failed_in", "?"))
        title = f"{run.name} {run.status} in {where} at step {s['failed_step']}"
        body = Text(f"{s.get('error_type', '?')}: {s.get('error_message', '')}\n", style="bold")
    else:  # killed: a hard kill (SIGKILL, power lost) leaves status running and a stale heartbeat
        title = f"{run.name} {run.status_line}"
        body = Text("No error was recorded: the process ended without writing one.\n", style="bold")
    body.append(f"Gradients it saved before stopping: steps {run.grad_steps}" if run.grad_steps
                else "It saved no gradients before stopping.")
    return Panel(body, title=title, border_style="red")


def show(c: Comparison, console: Console) -> None:
    """What the runs vary, their metrics side by side, then each step's table and verdict line."""
    console.print(f"[bold]{PROGRAM}[/]  A: {c.run_a.path}  B: {c.run_b.path}")
    console.print(f"comparable: {comparable_line(c)}")
    lines = diff_lines(c)
    console.print("what the runs vary (config.yaml):" if lines else "the configs are the same")
    for line in lines:
        console.print(f"  {line}", highlight=False)
    metrics = Table(title="metrics side by side")
    for column in ["", f"A {c.run_a.name}", f"B {c.run_b.name}"]:
        metrics.add_column(column)
    for row in metric_rows(c)[2:]:  # the paths and commands are above and in report.md
        metrics.add_row(*row)
    console.print(metrics)
    if c.only_a or c.only_b:
        console.print(f"[dim]steps saved by one run only, not compared: {c.run_a.name} {c.only_a}, "
                      f"{c.run_b.name} {c.only_b}[/]")
    for s in c.steps:
        table = Table(title=f"gradients at step {s.step}: worst block first, worst row first",
                      box=box.SIMPLE_HEAD, padding=0)  # the box puts one space between columns
        labels = ["  " + p.name.removeprefix(p.block + ".") for p in s.params]  # the block heads its rows
        for column in COLUMNS:  # fold, never cut: every printed digit stays readable in a narrow terminal
            table.add_column(TERMINAL_HEADERS.get(column, column), overflow="fold",
                             justify="left" if column in ("parameter", "shape", "verdict") else "right",
                             min_width=max(map(len, labels)) if column == "parameter" else None)
        for i, p in enumerate(s.params):
            if i == 0 or s.params[i - 1].block != p.block:
                table.add_row(f"[bold]{p.block}[/]")
            cells = row_cells(p)
            cells[0] = labels[i]
            cells[-1] = f"[{VERDICT_STYLES[p.verdict]}]{p.verdict}[/]"
            table.add_row(*cells)
        console.print(table)
        console.print(f"whole model: relative error {s.rel_error:.1e} (all gradients as one vector)")
        style = "bold green" if s.agree else "bold red"
        console.print(f"[{style}]{s.verdict_line(c.run_a.name, c.run_b.name)}[/]", highlight=False)


if __name__ == "__main__":
    main()
