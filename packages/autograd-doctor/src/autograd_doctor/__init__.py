"""autograd_doctor: find every saved tensor an in-place op clobbered, and name the line that did it.

    import autograd_doctor
    with autograd_doctor.explain():       # silent unless backward raises PyTorch's version-check error;
        loss = model(x).sum()             # then the same error, with the doctor's lines as its notes
        loss.backward()

    report = autograd_doctor.diagnose_forward(lambda: model(x).sum())   # before backward: every break at once
    print(report.summary())

From a shell: `autograd-doctor run train.py [args]` runs a script under explain(); `autograd-doctor lint PATHS`
lists in-place tensor ops. Everything public is named here; modules with a leading underscore are internal.
"""

from autograd_doctor._cli import main
from autograd_doctor._doctor import (
    Break,
    DoctorReport,
    NodeReport,
    Region,
    SavedSlot,
    Unverifiable,
    diagnose,
    diagnose_forward,
    project_frames,
)
from autograd_doctor._events import InplaceEvent, OptimizerStep
from autograd_doctor._explain import doctor_notes, explain
from autograd_doctor._lint import SEVERITY_RANK, Finding, LintReport, lint_paths, lint_report, lint_source
from autograd_doctor._render import region_nodes, rich_tree, to_dot, to_mermaid, write_graph_files
from autograd_doctor._saved_tensors import SAVED_TENSOR_MODES, VERSION_ERROR, is_version_error, saved_tensors_context
from autograd_doctor._steps import watch_optimizer_steps
from autograd_doctor._tracer import trace_inplace

__version__ = "1.0.0"

__all__ = ["Break", "DoctorReport", "Finding", "InplaceEvent", "LintReport", "NodeReport", "OptimizerStep", "Region",
           "SAVED_TENSOR_MODES", "SEVERITY_RANK", "SavedSlot", "Unverifiable", "VERSION_ERROR", "diagnose",
           "diagnose_forward", "doctor_notes", "explain", "is_version_error", "lint_paths", "lint_report",
           "lint_source", "main", "project_frames", "region_nodes", "rich_tree", "saved_tensors_context", "to_dot",
           "to_mermaid", "trace_inplace", "watch_optimizer_steps", "write_graph_files"]
