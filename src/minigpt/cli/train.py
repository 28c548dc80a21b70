"""just phase-25-train [--cfg job] [-m] [key=value ...]: train the mini-GPT, a Hydra app (train_app.py).

Out of place (25-A) or in place (25-B); Hydra's flags work (--help, --cfg job, -m). Exit status: 0 trained,
1 crashed, 2 bad input, 130 interrupted.
"""

from minigpt.cli import train_app

PROGRAM = "phase-25-train"


def main(argv: list[str] | None = None) -> None:
    """Train once (or, with -m, once per job of the multirun)."""
    train_app.main(argv, PROGRAM)


if __name__ == "__main__":
    main()
