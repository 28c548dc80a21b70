"""`just phase-25-matrix [overrides]`: run every in-place variant in the mini-GPT and classify it."""


from rich.console import Console
from rich.table import Table

from minigpt.cli.common import arguments_or_help, config_or_fail
from minigpt.lab.compare import ROUNDING_ULPS
from minigpt.lab.matrix import break_matrix, format_error

PROGRAM = "phase-25-matrix"
OUTCOME_STYLE = {"safe": "green", "loud": "yellow", "silent": "bold red"}
HELP = f"""usage: {PROGRAM} [key=value ...]

Run each in-place variant and its out-of-place twin on one batch (same weights, same data):
  loud    PyTorch raised the version-counter error at backward
  safe    the gradients equal the twin's (relative error <= {ROUNDING_ULPS} * float32 eps * sqrt(B*T),
          what float32 rounding explains)
  silent  it ran, and the gradients differ
Arguments are Hydra overrides of configs/phase25.yaml (model.*, data.*, train.batch_size, seed).
Exit status: 0 measured, 2 bad input."""


def main(argv: list[str] | None = None) -> None:
    """Measure the matrix for the config the overrides describe and print it as a table."""
    overrides = arguments_or_help(argv, HELP)
    if overrides is None:
        return
    cfg = config_or_fail(overrides, PROGRAM)
    console = Console()
    with console.status("measuring each variant and its twin..."):
        rows = break_matrix(cfg)
    table = Table(title="Phase 25 break matrix: in-place variants vs their out-of-place twins")
    for column in ("variant", "where", "outcome", "compared", "relative error", "doctor"):
        table.add_column(column, justify="right" if column == "relative error" else "left")
    for r in rows:
        table.add_row(r.variant, r.where, f"[{OUTCOME_STYLE[r.outcome]}]{r.outcome}[/]", r.compared,
                      format_error(r.relative_error), r.doctor)
    console.print(table)
    console.print(f"[dim]model n_layer={cfg.model.n_layer} n_embd={cfg.model.n_embd}, batch "
                  f"{cfg.train.batch_size}x{cfg.data.block_size}, seed {cfg.seed}; safe means relative "
                  f"error <= {rows[0].bound:.1e}. Loud rows raised:[/]")
    for r in rows:
        if r.error:
            console.print(f"  [yellow]{r.variant}[/]: {r.error}", soft_wrap=True)


if __name__ == "__main__":
    main()
