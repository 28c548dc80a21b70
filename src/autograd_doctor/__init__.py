"""autograd_doctor: find every saved tensor an in-place op clobbered, and name the line that did it.

A tool for any PyTorch model; it imports nothing from the course (minigpt).

    import autograd_doctor
    with autograd_doctor.explain():        # in your training loop: silent unless backward's version error comes
        loss = model(x).sum()
        loss.backward()                    # the error then also names the node, its module and each mutating line

    report = autograd_doctor.diagnose_forward(lambda: model(x).sum())   # before backward, every break at once
    print(report.summary())
    for found in report.breaks:
        print(found)   # the node, its saved slot, the versions, and the op and file:line that bumped it

From a shell: `python -m autograd_doctor run train.py [args]` runs a script with explain() active.
"""

from autograd_doctor.doctor import (Break, DoctorReport, NodeReport, SavedSlot, Unverifiable, diagnose,
                                    diagnose_forward)
from autograd_doctor.explain import explain, split_explanation
from autograd_doctor.tracer import InplaceEvent, trace_inplace

__all__ = ["Break", "DoctorReport", "InplaceEvent", "NodeReport", "SavedSlot", "Unverifiable", "diagnose",
           "diagnose_forward", "explain", "split_explanation", "trace_inplace"]
