"""python -m minigpt.cli COMMAND [args]: the justfile's way in, light enough to catch a Ctrl-C at any moment.

Importing a command loads torch, Hydra and rich (a second or more). A Ctrl-C or SIGTERM in that time would
print a traceback from deep inside an import; here it ends the command with one line and status 130.
"""

import importlib
import signal
import sys

COMMANDS = {"train": "train", "sweep": "sweep", "grad-compare": "grad_compare", "graph": "graph",
            "matrix": "matrix", "lint": "lint", "docs": "docs", "hint": "hint", "check": "check"}
INTERRUPTED = 130


def interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in COMMANDS:
        given = f"'{args[0]}' is not a command" if args else "no command given"
        print(f"minigpt.cli: error: {given}; allowed: {', '.join(COMMANDS)}", file=sys.stderr)
        raise SystemExit(2)
    signal.signal(signal.SIGTERM, interrupt)  # from here on, SIGTERM behaves as Ctrl-C does
    try:
        command = importlib.import_module(f"minigpt.cli.{COMMANDS[args[0]]}")
        command.main(args[1:])
    except KeyboardInterrupt:  # a run that had started records its own interruption before this
        print(f"phase-25-{args[0]}: interrupted", file=sys.stderr)
        raise SystemExit(INTERRUPTED) from None


if __name__ == "__main__":
    main()
