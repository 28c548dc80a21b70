"""just phase-25-lint [PATHS]: the course's name for `autograd-doctor lint` (default: src/)."""

import sys

import autograd_doctor


def main(argv: list[str] | None = None) -> None:
    """`autograd-doctor lint PATHS` with src/ when no path is given; its exit status."""
    paths = sys.argv[1:] if argv is None else argv
    raise SystemExit(autograd_doctor.main(["lint", *(paths or ["src/"])]))


if __name__ == "__main__":
    main()
