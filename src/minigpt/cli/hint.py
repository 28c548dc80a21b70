"""`just phase-25-hint LEVEL [cascade=loud|silent|predict|find|gan] [lang=es]`: print one level of a hint cascade."""

import sys

from minigpt.cli.common import fail
from minigpt.exercises.hints import CASCADES, LEVELS, hint
from minigpt.language import LANGUAGES

PROGRAM = "phase-25-hint"
OPTIONS = {"cascade": CASCADES, "lang": LANGUAGES}
USAGE = f"""usage: {PROGRAM} LEVEL [cascade=CASCADE] [lang=en|es]

LEVEL is 1, 2 or 3: a question, the tool that answers it, the answer. Take one at a time.
CASCADE is what you are stuck on:
  loud     run B raises at its first backward (the default)
  silent   nothing raises, and the gradients are wrong (exercise 4)
  predict  exercise 2: loud, safe or silent
  find     exercise 3: the planted in-place bug
  gan      exercise 5: an optimizer step between two backward passes"""


def parse(args: list[str]) -> tuple[int, str, str]:
    """(level, language, cascade) from the command line, or exit 2 with one line naming the mistake."""
    levels = [a for a in args if "=" not in a]
    options = dict(a.split("=", 1) for a in args if "=" in a)
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        fail(f"unknown option '{unknown[0]}'; allowed: cascade=..., lang=...", PROGRAM)
    if len(levels) != 1:
        fail(f"give exactly one hint level, got {len(levels)}; allowed: {', '.join(map(str, LEVELS))}", PROGRAM)
    if levels[0] not in {str(level) for level in LEVELS}:
        fail(f"'{levels[0]}' is not a hint level; allowed: {', '.join(map(str, LEVELS))}", PROGRAM)
    for key, allowed in OPTIONS.items():
        if key in options and options[key] not in allowed:
            fail(f"unknown value '{options[key]}' in '{key}={options[key]}'; allowed: {', '.join(allowed)}", PROGRAM)
    return int(levels[0]), options.get("lang", "en"), options.get("cascade", "loud")


def main(args: list[str] | None = None) -> None:
    """Print the hint of the requested level, cascade and language."""
    args = sys.argv[1:] if args is None else args
    if args and args[0] in ("-h", "--help"):
        print(USAGE)
        return
    level, language, cascade = parse(args)
    print(hint(level, language, cascade))


if __name__ == "__main__":
    main()
