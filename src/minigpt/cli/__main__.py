"""python -m minigpt.cli COMMAND [args]: the justfile's way in, light enough to catch a Ctrl-C at any moment.

Importing a command loads torch, Hydra and rich (a second or more). A Ctrl-C landing inside those imports is
not always seen as one: torch imports numpy and swallows any error there (the run then went on to the end, exit
0), and a KeyboardInterrupt inside C++ import code makes CPython exit by SIGINT whatever Python code says
afterwards. So the signals wait (blocked, not lost) until the command is loaded; then they end it with one line
and status 130.
"""

import contextlib
import importlib
import signal
import sys
from collections.abc import Iterator

COMMANDS = {"train": "train", "sweep": "sweep", "grad-compare": "grad_compare", "graph": "graph",
            "matrix": "matrix", "lint": "lint", "docs": "docs", "hint": "hint", "check": "check"}
INTERRUPTED = 130


def interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Block SIGINT and SIGTERM inside the block; one that arrived meanwhile is delivered as the block ends."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows has no signal masks: there the imports stay exposed
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in COMMANDS:
        given = f"'{args[0]}' is not a command" if args else "no command given"
        print(f"minigpt.cli: error: {given}; allowed: {', '.join(COMMANDS)}", file=sys.stderr)
        raise SystemExit(2)
    signal.signal(signal.SIGTERM, interrupt)  # from here on, SIGTERM behaves as Ctrl-C does
    try:
        with signals_held():
            command = importlib.import_module(f"minigpt.cli.{COMMANDS[args[0]]}")
        command.main(args[1:])
    except KeyboardInterrupt:  # a run that had started records its own interruption before this
        print(f"phase-25-{args[0]}: interrupted", file=sys.stderr)
        raise SystemExit(INTERRUPTED) from None


if __name__ == "__main__":
    main()
