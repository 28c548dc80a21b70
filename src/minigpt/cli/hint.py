"""`just phase-25-hint 1|2|3 [lang=es]`: print one level of the hint cascade."""

import sys

from minigpt.cli.common import fail
from minigpt.lab.hints import LANGUAGES, LEVELS, hint

PROGRAM = "phase-25-hint"
USAGE = f"usage: {PROGRAM} LEVEL [lang=en|es]   LEVEL is 1, 2 or 3; each level tells a little more"


def parse(args: list[str]) -> tuple[int, str]:
    """(level, language) from the command line, or exit 2 with one line naming the mistake."""
    levels = [a for a in args if "=" not in a]
    options = dict(a.split("=", 1) for a in args if "=" in a)
    unknown = sorted(set(options) - {"lang"})
    if unknown:
        fail(f"unknown option '{unknown[0]}'; allowed: lang=en or lang=es", PROGRAM)
    if len(levels) != 1:
        fail(f"give exactly one hint level, got {len(levels)}; allowed: {', '.join(map(str, LEVELS))}", PROGRAM)
    if levels[0] not in {str(level) for level in LEVELS}:
        fail(f"'{levels[0]}' is not a hint level; allowed: {', '.join(map(str, LEVELS))}", PROGRAM)
    language = options.get("lang", "en")
    if language not in LANGUAGES:
        fail(f"unknown language '{language}' in 'lang={language}'; allowed: {', '.join(LANGUAGES)}", PROGRAM)
    return int(levels[0]), language


def main(args: list[str] | None = None) -> None:
    """Print the hint of the requested level in the requested language."""
    args = sys.argv[1:] if args is None else args
    if args and args[0] in ("-h", "--help"):
        print(USAGE)
        return
    level, language = parse(args)
    print(hint(level, language))


if __name__ == "__main__":
    main()
