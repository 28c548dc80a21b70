"""just phase-25-lint [PATHS]: find in-place tensor operations in Python source (default: src/)."""

import argparse
import sys
from collections import Counter

from minigpt.cli.common import USAGE_EXIT, fail
from autograd_doctor.lint import SEVERITY_RANK, lint_report

PROGRAM = "phase-25-lint"
DESCRIPTION = """Find in-place tensor operations in Python source (default: src/). A linter cannot know types,
nor which tensors a graph saved: each finding is a candidate, with a severity that says what is known
(high: in-place on the output of an op that saves its output, such as sigmoid, tanh, exp, softmax, relu;
medium: on a tensor computed in the same function, or through .data; low: origin unknown, and every
inplace=True). The verdict comes from the doctor, not from the lint: `just phase-25-graph`, or
autograd_doctor.diagnose_forward on your own model. Exit status: 0 no findings, 1 findings, 2 bad input
(a missing path, or a file that could not be read or parsed: named on stderr, the others are still linted)."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=PROGRAM, description=DESCRIPTION)
    parser.add_argument("paths", nargs="*", default=["src/"],
                        help="files or directories (default: src/); .venv, venv and .git are skipped only when "
                             "met inside a directory")
    parser.add_argument("--quiet", action="store_true", help="print the findings only, not the safe contexts")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        report = lint_report(args.paths)
    except FileNotFoundError as e:
        fail(f"no file or directory '{e}'; give .py files or directories that exist", PROGRAM)
    for finding in report.findings:
        print(finding)
    if not args.quiet and report.safe + report.allowed:
        print("not findings (safe context, or allowed by a pragma with its reason):")
        for info in report.safe + report.allowed:
            print(f"  {info}")
    for line in report.unreadable:
        print(f"{PROGRAM}: error: {line}", file=sys.stderr)
    severities = Counter(f.severity for f in report.findings)
    counts = ", ".join(f"{severities[s]} {s}" for s in SEVERITY_RANK)
    print(f"{len(report.findings)} findings ({counts}), {len(report.safe)} in safe contexts, {len(report.allowed)} "
          f"allowed by pragma, in {report.files} files; the doctor gives the verdict")
    raise SystemExit(USAGE_EXIT if report.unreadable else 1 if report.findings else 0)


if __name__ == "__main__":
    main()
