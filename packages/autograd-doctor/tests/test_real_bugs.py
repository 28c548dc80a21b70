"""The doctor on a corpus of real bugs (tests/real_bugs/: one module per public report of PyTorch's version-check
error, reduced to a CPU reproduction of the reporter's code). For each case: plain PyTorch raises the version
error exactly when the case says so (RAISES; fused-optimizer cases are silent in plain PyTorch); under explain()
it raises, with PyTorch's own message, and the doctor's note names only lines marked `# culprit` in the case, at
least one of them, or says "unknown"."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "real_bugs"))
import _corpus  # noqa: E402  (the corpus's helpers, beside its cases)

from autograd_doctor import doctor_notes, is_version_error  # noqa: E402

# Cases where the doctor falls short today, found by this corpus and reported, not fixed here (strict: an xfail
# that starts passing fails, so the entry goes when the doctor is fixed).
KNOWN: dict[str, str] = {}
PATHS = _corpus.case_paths()
RESULTS: dict[str, str] = {}  # case -> the verdict on its note ("named", "unknown", "wrong", "none")
PLAIN: dict[str, str] = {}  # case -> PyTorch's message without the doctor, from the plain test (not run twice)


def case_param(path):
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN[path.stem])] if path.stem in KNOWN else []
    return pytest.param(path, id=path.stem, marks=marks)


def test_the_corpus_has_at_least_20_cases_each_with_a_source_and_a_culprit():
    assert len(PATHS) >= 20
    for path in PATHS:
        case = _corpus.load(path)
        assert "https://" in case.__doc__ and isinstance(case.RAISES, bool) and callable(case.run), path.stem
        assert _corpus.culprit_lines(path), path.stem


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem) for p in PATHS])
def test_plain_pytorch_raises_the_version_error_iff_the_case_says_so(path):
    case = _corpus.load(path)
    plain = _corpus.plain_error(case)
    if plain is not None:
        PLAIN[path.stem] = str(plain)
    assert (plain is not None) == case.RAISES


@pytest.mark.parametrize("path", [case_param(p) for p in PATHS])
def test_under_explain_the_version_error_names_only_culprit_lines(path):
    case = _corpus.load(path)
    plain = PLAIN.get(path.stem) or (str(_corpus.plain_error(case)) if case.RAISES else None)
    error = _corpus.explained_error(case)
    assert error is not None and is_version_error(error), repr(error)
    if case.RAISES:
        assert str(error) == plain
    note = doctor_notes(error)
    kind, lines = _corpus.verdict(path.resolve(), note)
    RESULTS[path.stem] = kind
    assert kind in ("named", "unknown"), f"{kind} {sorted(lines)}\n{note}"


def test_summary_named_and_unknown(capsys):
    """Prints "named N / unknown M of K" for the cases the test above judged (all of them in a whole-file run)."""
    named = sum(kind == "named" for kind in RESULTS.values())
    unknown = sum(kind == "unknown" for kind in RESULTS.values())
    others = sorted(f"{case}: {kind}" for case, kind in RESULTS.items() if kind not in ("named", "unknown"))
    with capsys.disabled():
        print(f"\nreal bugs: named {named} / unknown {unknown} of {len(PATHS)}"
              + (f" (also {', '.join(others)})" if others else "")
              + (f" ({len(PATHS) - len(RESULTS)} not judged: no note to judge or not run)"
                 if len(RESULTS) < len(PATHS) else ""))
    assert all(case in KNOWN for case, kind in RESULTS.items() if kind not in ("named", "unknown"))
