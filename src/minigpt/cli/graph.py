"""just phase-25-graph [overrides]: one forward of the mini-GPT under the graph doctor, and the tape it left."""

import shlex
from collections import Counter
from datetime import datetime

import torch
from omegaconf import OmegaConf
from rich.console import Console

from autograd_doctor import DoctorReport, region_nodes, rich_tree, write_graph_files
from minigpt.cli.common import arguments_or_help, config_or_fail, fail
from minigpt.data import make_splits
from minigpt.lab.graph import diagnose_model
from minigpt.model import build_model
from minigpt.runs import CONFIG, SUMMARY, RunError, fresh_dir, write_json

PROGRAM = "phase-25-graph"
BATCH_SIZE = 8  # a small batch: the graph's shape does not depend on B, and the walk stays instant
EXPLICIT = "attention=explicit"  # the graph a learner walks: scores, softmax, weights @ v as separate nodes
MAX_LINES = 6  # unverifiable nodes listed one by one; more are counted by reason
VERDICT_STYLE = {"intact": "green", "broken": "bold red", "unverifiable": "bold yellow"}
HELP = f"""usage: {PROGRAM} [block=N] [key=value ...]

Build the phase-25 mini-GPT, run one forward on a batch of {BATCH_SIZE} under the graph doctor, print the
backward graph of block N (default 0) with its saved tensors, and write the picture of that block
(graph.png, graph.svg: clobbered saves red, unverifiable ones yellow) and the whole graph (graph.dot,
graph.mmd) into experiments/25-graph-A (control) or 25-graph-B (in place).
Attention is written out ({EXPLICIT}) unless an argument says otherwise.
The other arguments are the Hydra overrides of training, e.g.
  {PROGRAM}                              out of place: intact
  {PROGRAM} inplace=true                 every clobbered saved tensor, and the add_ that bumped it
  {PROGRAM} inplace=true ln=unchecked    unverifiable: the LayerNorm keeps tensors as ctx attributes
  {PROGRAM} inplace=true block=1         the tree and picture of the second block (of two)
Exit status: 0 intact, 1 broken or unverifiable, 2 bad input."""


def main(argv: list[str] | None = None) -> None:
    args = arguments_or_help(argv, HELP)
    if args is None:
        return
    block, overrides = parse_block(args)
    cfg = config_or_fail([EXPLICIT, *overrides], PROGRAM)
    if not 0 <= block < cfg.model.n_layer:
        fail(f"block={block} does not exist; allowed: 0 to model.n_layer-1={cfg.model.n_layer - 1}", PROGRAM)
    console = Console()
    torch.manual_seed(cfg.seed)
    splits = make_splits(cfg.data, cfg.seed)
    model = build_model(cfg, len(splits.vocab))
    x, y = splits.batch(torch.Generator().manual_seed(cfg.seed), BATCH_SIZE)
    report, bounds = diagnose_model(model, x, y, cfg.saved_tensors, block)
    if bounds is None:
        console.print(f"[yellow]block {block} is not in the backward graph at all[/] (it changed h through "
                      ".data, so autograd never saw it); the whole graph follows")
        console.print(rich_tree(report, 0, title="backward graph from the loss"))
    else:
        nodes = region_nodes(report, bounds)
        console.print(rich_tree(report, bounds.output_index, frozenset(bounds.input_indices),
                                f"backward graph of block {block} ({len(nodes)} nodes), from its output down"))
    print_summary(report, console)
    run_name = cfg.run_name or f"25-graph-{'B' if cfg.inplace else 'A'}"
    try:  # a graph record is written at once: a plain claimed directory, none of a training run's files
        path, moved_to = fresh_dir(cfg.out_dir, run_name)
    except RunError as e:
        fail(str(e), PROGRAM)
    if moved_to:
        console.print(f"[dim]earlier graph kept at {moved_to}[/]")
    (path / CONFIG).write_text(OmegaConf.to_yaml(cfg, resolve=True), encoding="utf-8")
    command = shlex.join([PROGRAM, *args])
    title = command if bounds is None else f"{command}: block {block}"
    paths = write_graph_files(report, path, title, bounds)
    write_json(path / SUMMARY, graph_summary(report, command))
    console.print(f"record: [bold]{path}[/] ({', '.join(p.name for p in paths)}, summary.json)")
    raise SystemExit(0 if report.verdict == "intact" else 1)


def parse_block(args: list[str]) -> tuple[int, list[str]]:
    """Take block=N out of the arguments; the rest are Hydra overrides."""
    blocks = [a for a in args if a.split("=", 1)[0] == "block"]
    rest = [a for a in args if a not in blocks]
    if not blocks:
        return 0, rest
    value = blocks[-1].partition("=")[2]
    if not value.isdigit():
        fail(f"'{blocks[-1]}' is not a block number; allowed: block=N with N from 0", PROGRAM)
    return int(value), rest


def print_summary(report: DoctorReport, console: Console) -> None:
    """The verdict line, then every break and unverifiable node of the whole model, one line each."""
    console.print(f"[{VERDICT_STYLE[report.verdict]}]{report.summary()}[/] (whole model)")
    for found in report.breaks:
        console.print(f"  [red]break[/] {found}")
    quiet = [u for u in report.unverifiable if not u.changed_by]
    for found in [u for u in report.unverifiable if u.changed_by] + (quiet if len(quiet) <= MAX_LINES else []):
        console.print(f"  [yellow]unverifiable[/] {found}")
    if len(quiet) > MAX_LINES:
        for reason, count in Counter(u.reason for u in quiet).items():
            console.print(f"  [yellow]unverifiable[/] {count} nodes: {reason} (each one in summary.json)")
    harmless = report.harmless_events
    if harmless:
        console.print(f"  [dim]in-place ops that bumped no saved tensor: {', '.join(map(str, harmless))}[/]")


def graph_summary(report: DoctorReport, command: str) -> dict:
    """summary.json of a graph run: the verdict and every finding, in words."""
    return {"status": "ok", "kind": "graph", "command": command,
            "started_at": datetime.now().isoformat(timespec="seconds"), "torch_version": torch.__version__,
            "verdict": report.verdict, "breaks": [str(b) for b in report.breaks],
            "unverifiable": [str(u) for u in report.unverifiable],
            "inplace_events": [str(e) for e in report.events or []],
            "pytorch_messages": sorted({b.message for b in report.breaks})}


if __name__ == "__main__":
    main()
