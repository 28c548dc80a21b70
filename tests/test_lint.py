"""The static in-place lint: each rule, each safe context, the pragma, and agreement with the tracer."""

import re
import textwrap
from pathlib import Path

import pytest
import torch

from minigpt.cli.lint import main
from autograd_doctor.tracer import trace_inplace
from autograd_doctor.lint import lint_paths, lint_report, lint_source
from tests import inplace_cases
from tests.inplace_cases import GROUND_TRUTH

SRC = Path(__file__).resolve().parents[1] / "src" / "minigpt"
CASES_FILE = Path(inplace_cases.__file__)


def codes(source: str) -> list[str]:
    return [f.code for f in lint_source(textwrap.dedent(source)).findings]


@pytest.mark.parametrize(("source", "code"), [
    ("h.add_(x)", "INP001"),
    ("torch.relu_(x)", "INP001"),
    ("h.masked_fill_(mask, 0.0)", "INP001"),
    ("h = f(x)\nh += x", "INP002"),
    ("h *= scale", "INP002"),
    ("y = F.relu(x, inplace=True)", "INP003"),
    ("act = nn.ReLU(inplace=True)", "INP003"),
    ("h.data.add_(x)", "INP004"),
    ("w.data *= 2", "INP004"),
    ("w.data = v", "INP004"),
])
def test_each_inplace_pattern_is_a_finding_with_its_code(source, code):
    assert codes(source) == [code]


@pytest.mark.parametrize("source", [
    "n = 0\nn += 1",
    "lines = []\nlines += ['a']",
    "title = f'{x}'\ntitle += '!'",
    "total += loss.item()",
    "h = h + x",
    "model.requires_grad_(False)",
    "s = 'h.add_(x)'  # h.add_(x) in a string or comment is not code",
    "class Value:\n    def __init__(self, data):\n        self.data = data",
])
def test_plain_values_strings_and_out_of_place_code_are_not_findings(source):
    assert codes(source) == []


@pytest.mark.parametrize("source", [
    "with torch.no_grad():\n    h.add_(x)",
    "with torch.inference_mode():\n    h += x",
    "@torch.no_grad()\ndef update(h, x):\n    h.add_(x)",
    "class Mine(torch.optim.Optimizer):\n    def step(self):\n        p.add_(g)",
    "nn.init.normal_(w, std=0.02)",
    "torch.nn.init.zeros_(b)",
])
def test_safe_contexts_are_reported_apart_not_as_findings(source):
    report = lint_source(source)
    assert report.findings == [] and len(report.safe) == 1


def test_a_step_method_of_a_class_that_is_no_optimizer_is_not_safe():
    assert codes("class Trainer:\n    def step(self):\n        p.add_(g)") == ["INP001"]


def test_a_pragma_with_a_reason_silences_its_line_and_one_without_is_a_finding():
    report = lint_source("h.add_(x)  # lint: allow[inplace] the break this phase teaches\n"
                         "h.add_(y)  # lint: allow[inplace]\n")
    assert [f.code for f in report.allowed] == ["INP001"]
    assert [(f.line, f.code) for f in report.findings] == [(2, "INP900")]


def test_findings_print_like_a_linter():
    [finding] = lint_source("x = 1\nh.add_(x)\n", path="model.py").findings
    assert re.fullmatch(r"model\.py:2:1: INP001 .+", str(finding))


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


def test_cli_exit_status_is_1_on_findings_0_when_clean_2_on_a_missing_path(tmp_path, capsys):
    dirty, clean = tmp_path / "dirty.py", tmp_path / "clean.py"
    dirty.write_text("h.add_(x)\n")
    clean.write_text("h = h + x\n")
    for paths, status in [([str(dirty)], 1), ([str(clean)], 0), ([str(tmp_path / "missing.py")], 2)]:
        with pytest.raises(SystemExit) as exit_info:
            main(paths)
        assert exit_info.value.code == status
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.py" in err and "Traceback" not in err


def test_lint_paths_returns_the_findings_only():
    assert lint_paths([CASES_FILE]) == lint_report([CASES_FILE]).findings
