"""The `autograd-doctor` command: `run` a script under explain(), `lint` Python files for in-place tensor ops.

Exit status: run passes the script's own on (0, or its SystemExit code), 1 when it ended in an exception (printed
as Python prints it, with the doctor's notes under a version error), 130 on Ctrl-C; lint 0 no findings,
1 findings, 2 a missing path or an unreadable file; both 2 on bad usage, with one line on stderr.
"""

import argparse
import runpy
import sys
import traceback
from pathlib import Path
from typing import NoReturn

from autograd_doctor._explain import explain, without_doctor_frames
from autograd_doctor._lint import lint_command

PROGRAM = "autograd-doctor"
USAGE_EXIT = 2
LINT_HELP = """Find in-place tensor operations in Python source. A linter cannot know types, nor which tensors a
graph saved: each finding is a candidate, with a severity that says what is known (high: in-place on the
output of an op that saves its output, such as sigmoid, tanh, exp, softmax, relu; medium: on a tensor computed
in the same function, or through .data; low: origin unknown, and every inplace=True). The verdict comes from the
doctor, not from the lint: autograd_doctor.diagnose_forward on your model. Exit status: 0 no findings,
1 findings, 2 bad input (a missing path, or a file that could not be read or parsed: named on stderr, the
others are still linted)."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, with a usage mistake said in one line (what was wrong, what is allowed) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        allowed = self.format_usage().strip().removeprefix("usage: ")
        self.exit(USAGE_EXIT, f"{self.prog}: {message} (usage: {allowed})\n")


def parser() -> OneLineParser:
    """The command line: `run SCRIPT [ARGS...]` and `lint [--quiet] PATHS...`."""
    top = OneLineParser(prog=PROGRAM, description="Find the in-place op that broke autograd's graph.")
    commands = top.add_subparsers(dest="command", required=True, metavar="{run,lint}", parser_class=OneLineParser)
    run = commands.add_parser("run", help="run a Python script under autograd_doctor.explain()",
                              description="Run a script under explain(): nothing changes while backward works; "
                                          "a version-check error also names the saved tensor and each line that "
                                          "changed it. Exit status: the script's own; 1 when it ends in an "
                                          "exception; 130 on Ctrl-C.")
    run.add_argument("script", help="the .py file to run, as `python script.py` would")
    run.add_argument("args", nargs=argparse.REMAINDER, help="the script's own arguments")
    lint = commands.add_parser("lint", help="list in-place tensor ops in Python files", description=LINT_HELP)
    lint.add_argument("paths", nargs="+", help="files or directories; .venv, venv and .git are skipped only when "
                                               "met inside a directory")
    lint.add_argument("--quiet", action="store_true", help="print the findings only, not the safe contexts")
    return top


def main(argv: list[str] | None = None) -> int:
    """Run the command in `argv` (default sys.argv[1:]); returns the exit status."""
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    return run_script(args.script, args.args) if args.command == "run" else lint(args.paths, args.quiet)


def run_script(script: str, args: list[str]) -> int:
    """Run `script` under explain() as `python script.py args` would."""
    path = Path(script)
    if not path.is_file():
        print(f"{PROGRAM} run: no such script: {script} (give a .py file that exists)", file=sys.stderr)
        return USAGE_EXIT
    sys.argv = [str(path), *args]
    sys.path.insert(0, str(path.resolve().parent))  # as `python script.py` does: the script's imports resolve
    try:
        with explain():
            runpy.run_path(str(path), run_name="__main__")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 0 if done.code is None else 1
    except KeyboardInterrupt:
        print("KeyboardInterrupt", file=sys.stderr)
        return 130
    except BaseException as error:  # what `python script.py` would print, from the script's own frame down
        tb = without_doctor_frames(error.__traceback__) if error.__traceback__ else None
        resolved = str(path.resolve())
        while tb is not None and str(Path(tb.tb_frame.f_code.co_filename).resolve()) != resolved:
            tb = tb.tb_next
        traceback.print_exception(type(error), error, tb or error.__traceback__)
        return 1
    return 0


def lint(paths: list[str], quiet: bool) -> int:
    """Print every finding under `paths`, then a count; the exit status says whether there were findings."""
    return lint_command(paths, quiet, f"{PROGRAM} lint")
