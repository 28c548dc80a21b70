"""The graph doctor and the in-place tracer against ground truth, and against what torch really does."""

import re
from pathlib import Path

import pytest
import torch

from autograd_doctor import diagnose, diagnose_forward, trace_inplace
from minigpt.data import make_splits
from minigpt.lab.graph import diagnose_model
from minigpt.model import build_model
from tests import inplace_cases
from tests.inplace_cases import GROUND_TRUTH

BLOCK_SOURCE = Path(__file__).resolve().parents[1] / "src" / "minigpt" / "block.py"


def mini_gpt(tiny_config, *overrides):
    """The tiny mini-GPT of the config and a batch of 4 sentences."""
    cfg = tiny_config(*overrides)
    torch.manual_seed(cfg.seed)
    splits = make_splits(cfg.data, cfg.seed)
    return cfg, build_model(cfg, len(splits.vocab)), splits.train_x[:4], splits.train_y[:4]


def source_lines(path: Path, needle: str) -> set[str]:
    """"src/minigpt/block.py:NN" for every line of `path` containing `needle`."""
    text = path.read_text().splitlines()
    return {f"src/minigpt/{path.name}:{i}" for i, line in enumerate(text, start=1) if needle in line}


@pytest.mark.parametrize("case", list(GROUND_TRUTH), ids=[case.__name__ for case in GROUND_TRUTH])
def test_doctor_verdict_and_break_count_match_ground_truth(case):
    verdict, breaks = GROUND_TRUTH[case]
    report = diagnose_forward(case)
    assert (report.verdict, len(report.breaks)) == (verdict, breaks)


def test_inplace_residual_in_the_mini_gpt_breaks_both_layer_norms_of_every_block(tiny_config):
    _, model, x, y = mini_gpt(tiny_config, "inplace=true")
    report, _ = diagnose_model(model, x, y)
    # h is one tensor through the whole stack: each LayerNorm inside a block saved it before a later add_
    # bumped it; ln_final saves it after the last add_, so it is intact.
    assert {b.module for b in report.breaks} == {f"blocks.{i}.ln{j}" for i in range(2) for j in (1, 2)}
    assert [b.saved_version for b in report.breaks] == [3, 2, 1, 0]  # newest node first, as backward goes
    assert {b.found_version for b in report.breaks} == {4}
    ln_final = next(n for n in report.nodes if n.module == "ln_final")
    assert [s.status for s in ln_final.slots if s.name == "input"] == ["ok"]


def test_every_break_names_all_the_add_lines_of_block_py_that_bumped_it(tiny_config):
    _, model, x, y = mini_gpt(tiny_config, "inplace=true")
    report, _ = diagnose_model(model, x, y)
    add_lines = source_lines(BLOCK_SOURCE, "h.add_(")
    for found in report.breaks:
        assert found.join == "exact"
        assert len(found.bumped_by) == found.found_version - found.saved_version  # all of them, not the first
        assert {e.site for e in found.bumped_by} <= add_lines
        assert all(e.op == "add_" for e in found.bumped_by)


def test_a_clobbered_slot_carries_the_error_backward_raises_and_backward_meets_the_first(tiny_config):
    _, model, x, y = mini_gpt(tiny_config, "inplace=true")
    _, loss = model(x, y)
    report = diagnose(loss)  # no tracer, no anomaly mode: PyTorch's plain check
    with pytest.raises(RuntimeError) as error:
        loss.backward()
    assert report.breaks[0].message == str(error.value)
    assert len(report.breaks) == 4 and report.breaks[0].bumped_by == []  # untraced: no culprit named


def test_out_of_place_control_is_intact_with_no_inplace_event_in_the_graph(tiny_config):
    _, model, x, y = mini_gpt(tiny_config)
    report, bounds = diagnose_model(model, x, y)
    assert report.verdict == "intact" and not [e for e in report.events if e.in_graph]
    assert bounds is not None


@pytest.mark.parametrize("saved_tensors", ["save_on_cpu", "allow_mutation"])
def test_saved_tensor_hooks_make_the_graph_unverifiable_never_intact(tiny_config, saved_tensors):
    _, model, x, y = mini_gpt(tiny_config, f"saved_tensors={saved_tensors}")
    report, _ = diagnose_model(model, x, y, saved_tensors)
    assert report.verdict == "unverifiable"
    assert all("saved-tensor hooks active" in u.reason for u in report.unverifiable)


def test_save_on_cpu_really_skips_the_check_so_backward_runs_on_a_clobbered_tensor():
    def ln_weight_gradient(inplace: bool) -> torch.Tensor:  # inplace_cases.save_on_cpu_residual, and its twin
        torch.manual_seed(0)
        ln, attn = torch.nn.LayerNorm(inplace_cases.C), torch.nn.Linear(inplace_cases.C, inplace_cases.C)
        h = inplace_cases.residual_input()
        with torch.autograd.graph.save_on_cpu():
            if inplace:
                h.add_(attn(ln(h)))  # lint: allow[inplace] the case under test
            else:
                h = h + attn(ln(h))
        h.pow(2).mean().backward()  # the loud error of inplace_residual does not come: that is why "unverifiable"
        return ln.weight.grad

    right, clobbered = ln_weight_gradient(inplace=False), ln_weight_gradient(inplace=True)
    assert (clobbered - right).norm() / right.norm() > 0.1  # the backward read the tensor add_ had changed
    torch.manual_seed(0)
    inplace_cases.save_on_cpu_residual().backward()  # the shared case itself runs through too


def test_unchecked_layer_norm_is_unverifiable_and_names_the_add_that_changed_its_tensor():
    report = diagnose_forward(inplace_cases.unchecked_layer_norm_then_add_)
    [node] = report.unverifiable
    assert "tensors kept outside save_for_backward" in node.reason
    assert [e.op for e in node.changed_by] == ["add_"]


def test_mutation_through_data_is_unverifiable_and_the_tracer_sees_it():
    report = diagnose_forward(inplace_cases.residual_through_data)
    assert [e.op for e in report.events if e.via_data] == ["data.add_"]
    assert "through .data" in report.unverifiable[0].reason


def test_exp_on_a_tensor_matmul_saved_is_joined_exactly_by_storage():
    report = diagnose_forward(inplace_cases.exp_on_matmul_input)
    [found] = report.breaks
    assert (found.node, found.slot, found.join) == ("MmBackward0", "self", "exact")
    assert [e.op for e in found.bumped_by] == ["exp_"]


def test_relu_on_a_linear_output_is_traced_but_bumps_no_saved_tensor():
    report = diagnose_forward(inplace_cases.relu_on_linear_output)
    assert [e.op for e in report.harmless_events] == ["relu_"]


def test_tracer_puts_optimizer_steps_and_no_grad_code_outside_the_graph():
    with trace_inplace() as events:
        inplace_cases.optimizer_step()
        inplace_cases.no_grad_inference()
    adds = [e for e in events if e.op == "add_"]
    assert len(adds) == 3 and not any(e.in_graph for e in adds)  # weight and bias, and `hidden += 1`, under no_grad


def test_tracer_records_version_before_and_after_and_every_spelling_of_in_place():
    h = torch.randn(3, 4, requires_grad=True) * 1.0
    with trace_inplace() as events:
        h += 1
        h[0] = 0
        torch.nn.functional.relu(h, inplace=True)
    assert [(e.op, e.version_before, e.version_after) for e in events] == [
        ("add_", 0, 1), ("__setitem__", 1, 2), ("relu(inplace=True)", 2, 3)]
    assert all(e.in_graph and e.site.startswith("tests/test_doctor.py:") for e in events)


def test_each_node_gets_its_project_frames_without_torch_ones(tiny_config):
    _, model, x, y = mini_gpt(tiny_config, "inplace=true")
    report, _ = diagnose_model(model, x, y)
    frames = [frame for node in report.nodes for frame in node.stack]
    assert frames and not any("site-packages" in f or "/torch/" in f for f in frames)
    for found in report.breaks:  # each block LayerNorm was called from one of the block's residual lines
        node = report.nodes[found.node_index]
        assert re.fullmatch(r"src/minigpt/layer_norm\.py:\d+", node.source)
        assert set(node.stack) & source_lines(BLOCK_SOURCE, "h.add_(")


def test_non_tensor_saved_values_are_kept_as_plain_values():
    x = torch.randn(4, requires_grad=True) * 1.0
    report = diagnose(x.view(2, 2).sum())
    view = next(n for n in report.nodes if n.name == "ViewBackward0")
    assert view.values == {"self_sym_sizes": (4,)} and view.slots == []
