"""The lint on the course: its ground-truth cases, its own model files, the phase-25-lint alias."""

from pathlib import Path

import pytest
import torch

import autograd_doctor
from autograd_doctor import lint_paths, lint_report, trace_inplace
from minigpt.cli.lint import main
from tests import inplace_cases
from tests.inplace_cases import GROUND_TRUTH

SRC = Path(__file__).resolve().parents[1] / "src" / "minigpt"
CASES_FILE = Path(inplace_cases.__file__)


def test_our_block_and_model_have_only_pragma_lines_and_init_calls():
    report = lint_report([SRC / "block.py", SRC / "model.py"])
    assert report.findings == []
    assert len(report.allowed) == 4  # the two add_ and the two .data.add_ residual lines
    assert all("nn.init" in f.message for f in report.safe)


def test_lint_findings_are_the_lines_where_the_tracer_saw_autograd_record_an_op_or_a_data_one():
    traced = set()
    for case in GROUND_TRUTH:
        torch.manual_seed(0)
        with trace_inplace() as events:
            case()
        traced |= {int(e.site.rpartition(":")[2]) for e in events
                   if (e.in_graph or e.via_data) and e.site.startswith("tests/inplace_cases.py:")}
    report = lint_report([CASES_FILE])
    assert {f.line for f in report.findings} == traced
    safe_lines = {f.line for f in report.safe}
    assert safe_lines and not safe_lines & traced  # optimizer step and no_grad code: safe in both


def test_lint_paths_returns_the_findings_only():
    assert lint_paths([CASES_FILE]) == lint_report([CASES_FILE]).findings



def test_the_course_alias_is_autograd_doctor_lint_on_src_by_default(monkeypatch, capsys):
    monkeypatch.chdir(SRC.parents[1])
    with pytest.raises(SystemExit) as exit_info:
        main([])
    alias = capsys.readouterr().out
    assert exit_info.value.code == autograd_doctor.main(["lint", "src/"]) and capsys.readouterr().out == alias
