"""The doctor at its edges: culprits it cannot see, tensors that are not plain, losses that are not losses,
checkpoint, torch.compile and size."""

import subprocess
import sys
import time

import pytest
import torch
from shared_cases import mutation_through_detach
from source_lines import site_of
from torch import nn
from torch.utils.checkpoint import checkpoint

from autograd_doctor._doctor import CHECKPOINT_REASON, COMPILED_REASON, UNTRACED, diagnose, diagnose_forward
from autograd_doctor._tracer import trace_inplace


def index_mutated_after_embedding():
    emb = nn.Embedding(10, 4)
    idx = torch.tensor([1, 2, 3])
    out = emb(idx)  # embedding saves the indices for its backward
    idx.add_(1)  # a data tensor, no grad anywhere: still the saved one
    return out.sum()


def test_detach_mutation_is_named_and_the_harmless_relu_is_not_blamed():
    report = diagnose_forward(mutation_through_detach)
    [found] = report.breaks
    assert found.join == "exact"
    assert [(e.op, e.site) for e in found.bumped_by] == [("mul_", site_of(mutation_through_detach, ".mul_(2)"))]
    assert [e.op for e in report.harmless_events] == ["relu_"]


def test_an_index_tensor_mutated_after_a_save_is_the_named_culprit():
    report = diagnose_forward(index_mutated_after_embedding)
    [found] = report.breaks
    assert (found.node, found.join) == ("EmbeddingBackward0", "exact")
    assert [e.site for e in found.bumped_by] == [site_of(index_mutated_after_embedding, "idx.add_(1)")]


def test_a_bump_the_tracer_did_not_see_is_unknown_never_a_look_alike():
    ln = nn.LayerNorm(16)
    h = torch.randn(8, 16, requires_grad=True) * 1.0
    with trace_inplace() as events:
        z = ln(h)
        g = torch.randn(8, 16, requires_grad=True) * 1.0
        g.relu_()  # same shape, version 0 -> 1, like the real bump
        loss = z.sum() + g.sum()
    h.mul_(2)  # outside the trace
    [found] = diagnose(loss, events).breaks
    assert (found.bumped_by, found.join) == ([], "unknown")
    assert UNTRACED in str(found) and "relu_" not in str(found)


def test_in_place_on_a_sparse_coo_tensor_does_not_crash_the_tracer():
    def forward():
        sparse = torch.sparse_coo_tensor([[0, 1], [1, 0]], [1.0, 2.0], (2, 2), check_invariants=True)
        sparse.mul_(2)
        weight = torch.randn(2, 2, requires_grad=True)
        return torch.sparse.mm(sparse, weight).sum()
    report = diagnose_forward(forward)
    assert report.verdict == "intact" and [e.op for e in report.events] == ["mul_"]


def test_a_loss_with_no_graph_is_a_value_error_that_says_so():
    with pytest.raises(ValueError, match="no autograd graph"):
        diagnose_forward(lambda: torch.randn(4).sigmoid().sum())
    with pytest.raises(RuntimeError):  # what backward itself does with it
        torch.randn(4).sigmoid().sum().backward()


@pytest.mark.parametrize("loss", [1.5, (torch.ones(1, requires_grad=True),)], ids=["float", "tuple"])
def test_a_loss_that_is_not_a_tensor_is_a_type_error_naming_its_type(loss):
    with pytest.raises(TypeError, match=f"got {type(loss).__name__}"):
        diagnose_forward(lambda: loss)


def test_reentrant_checkpoint_is_intact_its_rng_state_is_not_a_save():
    lin = nn.Linear(8, 8)
    report = diagnose_forward(lambda: checkpoint(lambda t: lin(t).relu(), torch.randn(4, 8, requires_grad=True) * 1.0,
                                                 use_reentrant=True).sum())
    assert report.verdict == "intact"
    assert any(n.name == "CheckpointFunctionBackward" for n in report.nodes)


def test_non_reentrant_checkpoint_says_it_hides_the_saves_and_which_input_changed():
    lin = nn.Linear(8, 8)

    def forward():
        x = torch.randn(4, 8, requires_grad=True) * 1.0
        out = checkpoint(lambda t: lin(t).sin(), x, use_reentrant=False).sum()
        x.mul_(2)
        return out
    report = diagnose_forward(forward)
    assert report.verdict == "unverifiable"
    [*_, reason] = {u.reason for u in report.unverifiable}
    assert CHECKPOINT_REASON in reason and "its input [4, 8] was changed in place" in reason
    assert {e.site for u in report.unverifiable for e in u.changed_by} == {site_of(forward, "x.mul_(2)")}
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        forward().backward()  # what PyTorch does when it recomputes


def chain_of_sin(n: int):
    x = torch.randn(4, requires_grad=True) * 1.0
    for _ in range(n):
        x = x.sin()
    return x.sum()


def best_seconds(work, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


@pytest.mark.slow  # a timing ratio: kept out of the fast tier
def test_the_doctor_grows_linearly_with_the_graph():
    small, large = (best_seconds(lambda n=n: diagnose_forward(lambda: chain_of_sin(n))) for n in (500, 4000))
    assert large / small < 8 * 2  # 8x the nodes; a scan per slot would be 64x


def test_a_report_on_a_100k_node_chain_is_freed_without_crashing():
    # A report holds the graph and frees it root first. Anything that left the report in a reference cycle (a
    # node's lazy field closing over the node list did) hands it to the cyclic collector, which frees the chain
    # in no order: the release then recurses down it on the C stack and the process dies. So: a process of its own.
    script = ("import gc, torch\nfrom autograd_doctor import diagnose_forward\n"
              "def loss():\n    h = torch.randn(4, requires_grad=True) * 1.0\n"
              "    for _ in range(100_000):\n        h = h.sin()\n    return h.sum()\n"
              "report = diagnose_forward(loss)\nprint(report.verdict, len(report.nodes))\n"
              "del report\ngc.collect()\nprint('freed')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    verdict, nodes, freed = done.stdout.split() if done.returncode == 0 else ("crashed", 0, done.returncode)
    assert (verdict, int(nodes) > 100_000, freed) == ("intact", True, "freed"), done.stderr


@pytest.mark.slow
def test_torch_compile_region_is_unverifiable_and_the_later_add_is_named():
    compiled = torch.compile(lambda x, w: (x @ w).sum())
    w = torch.randn(4, 4, requires_grad=True)

    def forward():
        xx = torch.randn(4, 4, requires_grad=True) * 1.0
        loss = compiled(xx, w)
        xx.add_(1.0)
        return loss
    report = diagnose_forward(forward)
    assert report.verdict == "unverifiable"
    [region] = report.unverifiable
    assert region.node == "CompiledFunctionBackward" and COMPILED_REASON in region.reason
    assert [e.site for e in region.changed_by] == [site_of(forward, "xx.add_(1.0)")]
    forward().backward()  # inductor on CPU: no error, wrong w.grad; that is why it is not "intact"
