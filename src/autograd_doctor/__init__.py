"""autograd_doctor: find every saved tensor an in-place op clobbered, before backward, and name the line.

A tool for any PyTorch model; it imports nothing from the course (minigpt).

    from autograd_doctor import diagnose_forward
    report = diagnose_forward(lambda: model(x).sum())
    print(report.summary())
    for found in report.breaks:
        print(found)   # the node, its saved slot, the versions, and the op and file:line that bumped it
"""

from autograd_doctor.doctor import Break, DoctorReport, Unverifiable, diagnose, diagnose_forward
from autograd_doctor.tracer import InplaceEvent, trace_inplace

__all__ = ["Break", "DoctorReport", "InplaceEvent", "Unverifiable", "diagnose", "diagnose_forward", "trace_inplace"]
