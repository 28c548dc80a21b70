"""`python -m minigpt.cli docs [--repo PATH] ...`: run the notes generator, tools/docs.py of the repository.

The generator works on a repository, not on the installed package, so it lives at the repository root;
this entry point only finds it there: under --repo PATH, or the current directory.
"""

import runpy
import sys
from pathlib import Path

from minigpt.cli.common import fail

PROGRAM = "docs"


def main(argv: list[str] | None = None) -> None:
    """Run tools/docs.py of the repository named by --repo (default: the current directory) with these arguments."""
    args = list(sys.argv[1:] if argv is None else argv)
    repo = Path(args[args.index("--repo") + 1]) if "--repo" in args[:-1] else Path.cwd()
    if not (repo / "tools" / "docs.py").exists():
        fail(f"{repo.resolve()} has no tools/docs.py; run this in the repository or give --repo PATH", PROGRAM)
    sys.path.insert(0, str(repo.resolve()))
    sys.argv = [str(repo / "tools" / "docs.py"), *args]
    runpy.run_module("tools.docs", run_name="__main__", alter_sys=False)


if __name__ == "__main__":
    main()
