"""just phase-25-sweep [key=value ...]: the default multirun, every variant over five seeds, side by side.

A shorthand: it runs `phase-25-train -m` with DEFAULT_SWEEP's overrides, a user override of the same key
replacing the default one (`just phase-25-sweep seed=0,1,2` sweeps three seeds). Hydra's sweeper and
launcher run the jobs; the sweep report writes the aggregate when they end.
"""

import sys

from minigpt.cli import train_app
from minigpt.lab.sweep import sweep_overrides

PROGRAM = "phase-25-sweep"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    line_flags = [a for a in args if a.startswith("-")]
    train_app.main(["-m", *line_flags, *sweep_overrides([a for a in args if not a.startswith("-")])], PROGRAM)


if __name__ == "__main__":
    main()
