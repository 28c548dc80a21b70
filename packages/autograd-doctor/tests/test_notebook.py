"""In a notebook: IPython's traceback shows the doctor's note, and a report renders as a markdown table."""

import pytest
import torch
from source_lines import site_of

import autograd_doctor


def sigmoid_scaled_in_place():
    x = torch.randn(3, requires_grad=True) * 1.0
    y = x.sigmoid()
    y *= 2
    return y.sum()


def test_ipythons_traceback_shows_the_doctors_note(capsys):
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    shell = interactiveshell.InteractiveShell.instance()
    shell.run_cell("import torch, autograd_doctor")
    shell.run_cell("with autograd_doctor.explain():\n    x = torch.randn(3, requires_grad=True) * 1.0\n"
                   "    y = x.sigmoid()\n    y *= 2\n    y.sum().backward()\n")
    shown = capsys.readouterr().out
    assert "modified by an inplace operation" in shown and "autograd_doctor: the saved tensor is result" in shown


def test_a_report_renders_in_a_notebook_as_a_table_with_the_mutating_line():
    report = autograd_doctor.diagnose_forward(sigmoid_scaled_in_place)
    markdown = report._repr_markdown_()
    assert markdown.startswith(f"**autograd_doctor: {report.summary()}**")
    [row] = [line for line in markdown.splitlines() if line.startswith("| broken |")]
    assert "SigmoidBackward0" in row and site_of(sigmoid_scaled_in_place, "y *= 2") in row
