"""Places in the user's terms: modules by their path in the root model the user named, a built-in module with
where it was built, a node's creation line, the user's own line beside a library's, a notebook cell as a cell."""

import sysconfig
from pathlib import Path

import pytest
import torch
from source_lines import file_as_named, path_as_named, site_of
from torch import nn

import autograd_doctor


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 4), nn.Sigmoid(), nn.Dropout(0.5, inplace=True))  # the culprit

    def forward(self, x):
        return self.body(x) * 2


def version_error(function) -> str:
    """The doctor's note on the version error `function` raises under explain()."""
    with pytest.raises(RuntimeError, match="modified by an inplace operation") as error:
        with autograd_doctor.explain():
            function()
    return autograd_doctor.doctor_notes(error.value)


def test_a_builtin_module_that_ran_the_op_is_named_by_its_path_with_where_it_was_built(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(f"import sys\nsys.path.insert(0, {str(Path(__file__).parent)!r})\n"
                      "import torch\nfrom test_where import Head\ntorch.manual_seed(0)\n"
                      "head = Head()\nhead(torch.randn(2, 4)).sum().backward()\n")
    notes = run_script_notes(script)
    built = site_of(Head.__init__, "nn.Dropout")
    assert f"dropout(inplace=True) (v0->v1) at {built} (where head.body.2, Dropout(p=0.5, inplace=True), was built; " \
           f"run from {site_of(Head.forward, 'self.body(x)')})" in notes


def run_script_notes(script: Path) -> str:
    """The note `autograd-doctor run` prints for `script`'s version error."""
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert autograd_doctor.main(["run", str(script)]) == 1
    text = err.getvalue()
    return text[text.index("autograd_doctor:"):]


def test_a_node_with_no_parameter_is_placed_by_the_line_that_created_it():
    def sigmoid_then_scaled():
        x = torch.randn(3, requires_grad=True) * 1.0
        y = x.sigmoid()
        y *= 2
        y.sum().backward()

    notes = version_error(sigmoid_then_scaled)
    assert f"of SigmoidBackward0 (created at {site_of(sigmoid_then_scaled, 'x.sigmoid()')})" in notes


def test_an_op_run_by_a_library_names_the_library_line_and_the_users_own_line():
    library = Path(sysconfig.get_paths()["purelib"]) / "fakelib" / "precision.py"  # compiled, never written
    code = compile("def optimizer_step(optimizer):\n    optimizer.step()\n", str(library), "exec")
    namespace: dict = {}
    exec(code, namespace)

    def manual_optimisation():
        torch.manual_seed(0)
        net = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 1))
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        y = net(torch.randn(2, 4)).sum()
        y.backward(retain_graph=True)
        namespace["optimizer_step"](opt)
        y.backward()

    notes = version_error(manual_optimisation)
    user_line = site_of(manual_optimisation, 'namespace["optimizer_step"](opt)')
    assert f"opt.step() (SGD) at {file_as_named(str(library))}:2 (called from {user_line}) changed net.1.weight" \
        in notes


def test_a_notebook_cell_is_named_as_ipython_names_it():
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    shell = interactiveshell.InteractiveShell.instance()
    shell.run_cell("import torch, autograd_doctor", store_history=True)
    result = shell.run_cell(
        "try:\n    with autograd_doctor.explain():\n        x = torch.randn(3, requires_grad=True) * 1.0\n"
        "        y = x.sigmoid()\n        y *= 2\n        y.sum().backward()\n"
        "except RuntimeError as e:\n    notes = autograd_doctor.doctor_notes(e)\n", store_history=True)
    assert result.success
    cell = shell.execution_count - 1
    assert f"mul_ (v0->v1) at Cell In[{cell}], line 5" in shell.user_ns["notes"]


def test_module_paths_are_qualified_by_the_root_models_name():
    def two_roots():
        encoder, decoder = nn.Linear(4, 4), nn.Sequential(nn.Linear(4, 4), nn.Sigmoid())
        y = decoder(encoder(torch.randn(2, 4)))
        y.mul_(2)
        y.sum().backward()

    notes = version_error(two_roots)
    assert "in decoder.1 (Sigmoid()" not in notes  # the op ran in two_roots, not inside a module
    assert path_as_named(two_roots) in notes
