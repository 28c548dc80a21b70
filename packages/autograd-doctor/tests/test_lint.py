"""The static in-place lint: each rule and its severity, each safe context, the pragma, and agreement with PyTorch
(every high finding raises at backward)."""

import re
import textwrap

import pytest
import torch
import torch.nn.functional as F  # noqa: F401 - the high patterns run through it

from autograd_doctor import lint_report, lint_source, main
from autograd_doctor._lint import SAVES_OUTPUT


def codes(source: str) -> list[str]:
    return [f.code for f in lint_source(textwrap.dedent(source)).findings]


def severities(source: str) -> list[tuple[str, str]]:
    return [(f.code, f.severity) for f in lint_source(textwrap.dedent(source)).findings]


@pytest.mark.parametrize(("source", "found"), [
    ("h.add_(x)", ("INP001", "low")),
    ("torch.relu_(x)", ("INP001", "low")),
    ("h = f(x)\nh.masked_fill_(mask, 0.0)", ("INP001", "medium")),
    ("y = torch.sigmoid(x)\ny.mul_(2)", ("INP001", "high")),
    ("h = f(x)\nh += x", ("INP002", "medium")),
    ("h = layer(x)\nh += 1", ("INP002", "medium")),
    ("h = x @ w\nh *= 2", ("INP002", "medium")),
    ("h *= scale", ("INP002", "low")),
    ("y = torch.sigmoid(x)\ny *= 2", ("INP002", "high")),
    ("y = F.relu(x, inplace=True)", ("INP003", "low")),
    ("act = nn.ReLU(inplace=True)", ("INP003", "low")),
    ("s = x.softmax(-1)\nF.dropout(s, 0.1, inplace=True)", ("INP003", "high")),
    ("h.data.add_(x)", ("INP004", "medium")),
    ("w.data *= 2", ("INP004", "medium")),
    ("w.data = v", ("INP004", "medium")),
    ("buf = torch.zeros(4, 16)\nbuf[:, :8] = x", ("INP005", "medium")),
    ("y = f(x)\ny[y == pad] = ignore", ("INP005", "medium")),
    ("e = torch.exp(x)\ne[0] = 0.0", ("INP005", "high")),
    ("out[:, :8] = x", ("INP005", "low")),
])
def test_each_inplace_pattern_is_a_finding_with_its_code_and_severity(source, found):
    assert severities(source) == [found]


@pytest.mark.parametrize("op", sorted(SAVES_OUTPUT))
def test_every_high_pattern_raises_at_backward_in_pytorch(op):
    arguments = {"softmax": "x, -1", "log_softmax": "x, -1"}.get(op, "x.abs() + 1")  # + 1: sqrt, rsqrt defined
    source = f"x = torch.randn(4, 8, requires_grad=True)\ny = torch.{op}({arguments})\ny *= 2\n"
    assert severities(source) == [("INP002", "high")]
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        exec(source + "y.sum().backward()", {"torch": torch})


@pytest.mark.parametrize("source", [
    "n = 0\nn += 1",
    "lines = []\nlines += ['a']",
    "title = f'{x}'\ntitle += '!'",
    "total += loss.item()",
    "h = h + x",
    "model.requires_grad_(False)",
    "s = 'h.add_(x)'  # h.add_(x) in a string or comment is not code",
    "class Value:\n    def __init__(self, data):\n        self.data = data",
    "count += 1",
    "self.num_batches += 1",
    "lines = [title] + rest\nlines += [footer]",
    "d = {}\nd['a'] = 1",
    "cache[key] = value",
    "slots = [0] * n\nslots[k] = 1",
    "for i in range(3):\n    i += 1",
    "idx = operator.index(idx)\nidx %= len(self)",
    "stash = buf.setdefault(key, {})\nstash[which] = v",
    "self += other",
])
def test_plain_values_strings_and_out_of_place_code_are_not_findings(source):
    assert codes(source) == []


@pytest.mark.parametrize("source", [
    "with torch.no_grad():\n    h.add_(x)",
    "with torch.inference_mode():\n    h += x",
    "@torch.no_grad()\ndef update(h, x):\n    h.add_(x)",
    "class Mine(torch.optim.Optimizer):\n    def step(self):\n        p.add_(g)",
    "nn.init.normal_(w, std=0.02)",
    "class Scale(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n        out = x * 2\n"
    "        out.add_(1)\n        return out",
    "torch.nn.init.zeros_(b)",
])
def test_safe_contexts_are_reported_apart_not_as_findings(source):
    report = lint_source(source)
    assert report.findings == [] and len(report.safe) == 1


NO_GRAD_AFTER_SAVE = """
x = torch.randn(4, 8, requires_grad=True)
h = x * 2
y = F.layer_norm(h, (8,))  # saves h
with torch.no_grad():
    h.add_(1)
"""


def test_no_grad_on_a_tensor_computed_before_the_block_is_a_finding_and_pytorch_raises():
    [finding] = lint_source(NO_GRAD_AFTER_SAVE).findings
    assert (finding.line, finding.code, finding.severity) == (6, "INP001", "medium")
    assert "computed before torch.no_grad() (line 3)" in finding.message
    assert "does not switch off the version check" in finding.message
    namespace = {"torch": torch, "F": torch.nn.functional}
    exec(NO_GRAD_AFTER_SAVE, namespace)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        namespace["y"].sum().backward()


def test_a_chained_line_is_one_finding_with_the_highest_severity():
    [finding] = lint_source("y = torch.tanh(x)\ny.mul_(2).add_(1).clamp_(0, 1)\n").findings
    assert finding.severity == "high" and "mul_" in finding.message and "clamp_" in finding.message


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


def test_cli_exit_status_is_1_on_findings_0_when_clean_2_on_a_missing_path(tmp_path, capsys):
    dirty, clean = tmp_path / "dirty.py", tmp_path / "clean.py"
    dirty.write_text("h.add_(x)\n")
    clean.write_text("h = h + x\n")
    for paths, status in [([str(dirty)], 1), ([str(clean)], 0), ([str(tmp_path / "missing.py")], 2)]:
        assert main(["lint", *paths]) == status
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.py" in err and "Traceback" not in err


def test_a_virtual_env_given_by_name_is_linted_and_skipped_only_when_walked_into(tmp_path):
    package = tmp_path / ".venv" / "lib" / "site-packages" / "lib_under_test"
    package.mkdir(parents=True)
    (package / "model.py").write_text("h = f(x)\nh.add_(x)\n")
    (tmp_path / "train.py").write_text("h = h + x\n")
    assert lint_report([package]).files == 1 and len(lint_report([package]).findings) == 1
    assert lint_report([package / "model.py"]).files == 1
    assert lint_report([tmp_path]).files == 1  # only train.py: the walk skips .venv


def test_a_file_that_is_not_utf8_is_named_on_one_line_the_rest_is_linted_and_the_status_is_2(tmp_path, capsys):
    (tmp_path / "latin.py").write_bytes("s = 'caf\xe9'\n".encode("latin-1"))
    (tmp_path / "declared.py").write_bytes("# -*- coding: latin-1 -*-\ns = 'caf\xe9'\n".encode("latin-1"))
    (tmp_path / "model.py").write_text("h = f(x)\nh.add_(x)\n")
    status = main(["lint", str(tmp_path)])
    out, err = capsys.readouterr()
    assert status == 2 and err.count("\n") == 1 and "latin.py" in err and "Traceback" not in err
    assert "model.py:2:1: INP001" in out and "in 3 files" in out


def test_help_says_the_doctor_not_the_lint_gives_the_verdict(capsys):
    with pytest.raises(SystemExit):
        main(["lint", "--help"])
    assert "The verdict comes from the doctor, not from the lint" in " ".join(capsys.readouterr().out.split())



def test_a_sigmoid_output_scaled_in_place_on_the_same_line_is_high():
    [finding] = lint_source("y = torch.sigmoid(x); y *= 2\n").findings
    assert (finding.code, finding.severity, finding.col) == ("INP002", "high", 23)
