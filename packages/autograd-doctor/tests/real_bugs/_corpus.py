"""The real-bug corpus's own helpers: find the cases, load one, read its culprit lines, and judge the doctor's note
against them. Used by tests/test_real_bugs.py; `python tests/real_bugs/_corpus.py` prints the per-case table and
the "named N / unknown M of K" line."""

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import torch

HERE = Path(__file__).resolve().parent
SITE = re.compile(r"([^\s():,]+\.py):(\d+)")
# Sites that situate a save or a call, not a change: the node's creation line, a module's construction line (the
# change itself is named at the module's call), the line of the backward during which an op ran.
CONTEXT = re.compile(r"\(created at [^)]*\)|built at [^\s)]+|run from [^\s)]+|the backward called at \S+")


def case_paths() -> list[Path]:
    return sorted(p for p in HERE.glob("*.py") if not p.name.startswith("_"))


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"real_bugs_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def culprit_lines(path: Path) -> set[int]:
    return {k for k, line in enumerate(path.read_text().splitlines(), 1) if line.rstrip().endswith("# culprit")}


def lines_named(note: str, path: Path) -> set[int]:
    """The lines of `path` that the note names as the site of a change ("file:line", relative to the working
    directory or absolute), context sites left out."""
    found = set()
    for match in SITE.finditer(CONTEXT.sub("", note)):
        site = Path(match[1])
        site = site if site.is_absolute() else Path.cwd() / site
        if site.resolve() == path:
            found.add(int(match[2]))
    return found


def plain_error(case: ModuleType) -> RuntimeError | None:
    """The version error the case raises without the doctor, or None when it is silent; any other error goes on."""
    from autograd_doctor import is_version_error, watch_optimizer_steps
    watch_optimizer_steps().stop()  # PyTorch alone: an earlier explain() left the fused steps' bump on
    try:
        case.run()
    except RuntimeError as error:
        if is_version_error(error):
            return error
        raise
    return None


def explained_error(case: ModuleType) -> BaseException | None:
    """What the case raises under explain(), or None."""
    from autograd_doctor import explain
    try:
        with explain():
            case.run()
    except Exception as error:  # noqa: BLE001 - judged by the caller
        return error
    return None


def verdict(path: Path, note: str | None) -> tuple[str, set[int]]:
    """("named" | "unknown" | "wrong" | "none", the culprit lines named): "wrong" when the note names a line of the
    case that is not a culprit, or names no culprit and does not say "unknown"."""
    if not note:
        return "none", set()
    named = lines_named(note, path)
    culprits = culprit_lines(path)
    if named - culprits:
        return "wrong", named - culprits
    if named & culprits:
        return "named", named & culprits
    return ("unknown", set()) if "unknown" in note else ("wrong", set())


def main() -> int:
    from autograd_doctor import doctor_notes, is_version_error
    torch.autograd.set_detect_anomaly(False)
    tally: dict[str, int] = {}
    for path in case_paths():
        case = load(path)
        error = explained_error(case)
        if error is None or not is_version_error(error):
            kind, lines = "crash" if error is not None else "silent", set()
        else:
            kind, lines = verdict(path, doctor_notes(error))
        tally[kind] = tally.get(kind, 0) + 1
        print(f"{path.stem:36s} RAISES={case.RAISES!s:5s} {kind:8s} {sorted(lines)}")
    total = sum(tally.values())
    print(f"named {tally.get('named', 0)} / unknown {tally.get('unknown', 0)} of {total}"
          + "".join(f"; {k} {v}" for k, v in sorted(tally.items()) if k not in ("named", "unknown")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
