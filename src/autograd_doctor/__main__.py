"""`python -m autograd_doctor run script.py [args]`: run a script with explain() active.

Nothing extra is printed when nothing breaks; a version-check error in backward comes out with the
doctor's findings below PyTorch's message.
"""

import runpy
import sys
from pathlib import Path
from typing import Optional

from autograd_doctor.explain import explain

USAGE = "usage: python -m autograd_doctor run script.py [args...]"


def main(argv: Optional[list[str]] = None) -> int:
    """Run the script named in `argv` (default sys.argv[1:]) under explain(); 2 on bad usage, one line on stderr."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] != "run":
        given = f"'{argv[0]}' is not a command" if argv else "no command given"
        print(f"autograd_doctor: {given}; allowed: run ({USAGE})", file=sys.stderr)
        return 2
    if len(argv) < 2:
        print(f"autograd_doctor: run needs a script to run ({USAGE})", file=sys.stderr)
        return 2
    script = Path(argv[1])
    if not script.is_file():
        print(f"autograd_doctor: no such script: {script} ({USAGE})", file=sys.stderr)
        return 2
    sys.argv = [str(script), *argv[2:]]
    sys.path.insert(0, str(script.resolve().parent))  # as `python script.py` does: the script's imports resolve
    with explain():
        runpy.run_path(str(script), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
