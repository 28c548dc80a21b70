"""In-place ops on views: CopySlices hides the op's own backward node, so the doctor never calls such a graph intact
when that memory was written again, and explains the error by the ops it saw."""

import pytest
import torch
from source_lines import site_of

import autograd_doctor


def relu_then_scale_a_slice():
    """torchvision's MLP on a 1-D input, reduced: an in-place activation on a view, then another in-place op."""
    a = torch.randn(3, 4, requires_grad=True)
    b = a * 2
    v = b[:, :2]
    v.relu_()  # ReluBackward0 saves its output: the view
    v.mul_(3)  # writes that output again
    return b.sum()


def one_write_through_a_slice():
    a = torch.randn(3, 4, requires_grad=True)
    b = a * 2
    b[:, 0] = 0.0
    return b.sum()


def test_pytorch_raises_for_the_view_case():
    with pytest.raises(RuntimeError, match="output 0 of Relu"):
        relu_then_scale_a_slice().backward()


def test_the_view_case_is_not_intact_and_names_the_op_and_the_later_write():
    report = autograd_doctor.diagnose_forward(relu_then_scale_a_slice)
    assert report.verdict == "unverifiable"
    [hidden] = report.unverifiable
    assert "CopySlices" in hidden.reason and "no Python API reaches" in hidden.reason
    assert [(e.op, e.site) for e in hidden.changed_by] == [("mul_", site_of(relu_then_scale_a_slice, "v.mul_(3)"))]


def test_a_slice_written_once_is_intact_and_backward_runs():
    report = autograd_doctor.diagnose_forward(one_write_through_a_slice)
    assert report.verdict == "intact"
    one_write_through_a_slice().backward()


def test_explain_says_the_save_is_inside_copy_slices_and_names_both_ops():
    with pytest.raises(RuntimeError) as error:
        with autograd_doctor.explain():
            relu_then_scale_a_slice().backward()
    notes = autograd_doctor.doctor_notes(error.value)
    assert "inside a CopySlices node" in notes and "backward already ran and released" not in notes
    assert site_of(relu_then_scale_a_slice, "v.relu_()") in notes
    assert site_of(relu_then_scale_a_slice, "v.mul_(3)") in notes


def test_without_a_traced_forward_a_copy_slices_node_is_unverifiable():
    loss = relu_then_scale_a_slice()
    report = autograd_doctor.diagnose(loss)
    assert report.verdict == "unverifiable" and "the forward was not traced" in report.unverifiable[0].reason
