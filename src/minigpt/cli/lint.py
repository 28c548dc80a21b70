"""just phase-25-lint [PATHS]: find in-place tensor operations in Python source (default: src/)."""

import argparse
import sys

from minigpt.cli.common import fail
from autograd_doctor.lint import lint_report

PROGRAM = "phase-25-lint"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=PROGRAM, description=__doc__.splitlines()[0] + " Exit status: "
                                     "0 clean, 1 findings, 2 bad input.")
    parser.add_argument("paths", nargs="*", default=["src/"], help="files or directories (default: src/)")
    parser.add_argument("--quiet", action="store_true", help="print the findings only, not the safe contexts")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        report = lint_report(args.paths)
    except FileNotFoundError as e:
        fail(f"no file or directory '{e}'; give .py files or directories that exist", PROGRAM)
    except (UnicodeDecodeError, OSError) as e:
        fail(f"cannot read a source file: {e}", PROGRAM)
    for finding in report.findings:
        print(finding)
    if not args.quiet and report.safe + report.allowed:
        print("not findings (safe context, or allowed by a pragma with its reason):")
        for info in report.safe + report.allowed:
            print(f"  {info}")
    print(f"{len(report.findings)} findings, {len(report.safe)} in safe contexts, {len(report.allowed)} allowed "
          f"by pragma, in {report.files} files")
    raise SystemExit(1 if report.findings else 0)


if __name__ == "__main__":
    main()
