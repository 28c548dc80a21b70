"""Optimizer steps between two backward passes over one graph, the most common cause in public reports: recorded
wherever the step runs, named in the user's terms; and the fused hole, where PyTorch itself is silent."""

import contextlib

import pytest
import torch
from source_lines import site_of
from torch import nn

import autograd_doctor


def gan_step(fused: bool, explain_whole_loop: bool = False, seed: int = 0):
    """One GAN iteration with the classic mistake: the discriminator steps between two backward passes over the
    graph of D(fake). Returns netD and the first layer weight's gradient of the second backward."""
    torch.manual_seed(seed)
    netG = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4))
    netD = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    optD = torch.optim.Adam(netD.parameters(), lr=0.1, fused=fused)
    around = autograd_doctor.explain() if explain_whole_loop else contextlib.nullcontext()
    with around:
        fake = netG(torch.randn(16, 4))
        d_fake = netD(fake)
        loss_d = d_fake.mean()
        loss_d.backward(retain_graph=True)
        optD.step()  # the step between the two backward passes
        netG.zero_grad()
        loss_g = -d_fake.mean()
        loss_g.backward()
    return netG, fake


@pytest.fixture
def plain_pytorch():
    """Optimizer steps as PyTorch alone makes them: the doctor's watch off (an earlier explain() turned it on)."""
    autograd_doctor.watch_optimizer_steps().stop()


def test_for_loop_and_foreach_steps_bump_versions_and_fused_ones_do_not_in_pytorch(plain_pytorch):
    for fused, bumps in ((False, True), (True, False)):
        p = nn.Parameter(torch.randn(3))
        p.grad = torch.ones(3)
        before = p._version
        torch.optim.Adam([p], lr=0.1, fused=fused).step()
        assert (p._version != before) == bumps, fused


def test_fused_gan_loop_is_silent_in_pytorch_and_its_gradients_are_not_the_graphs(plain_pytorch):
    net_g, _ = gan_step(fused=True)  # no error: PyTorch says nothing
    silent = net_g[0].weight.grad.clone()
    # The truth for this graph: the same second backward with the discriminator as it was when the graph saved it.
    torch.manual_seed(0)
    net_g2 = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4))
    net_d2 = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    (-net_d2(net_g2(torch.randn(16, 4))).mean()).backward()
    assert not torch.allclose(silent, net_g2[0].weight.grad, rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize("fused", [False, True])
def test_explain_around_the_whole_loop_names_the_steps_call_line(fused):
    with pytest.raises(RuntimeError, match="modified by an inplace operation") as error:
        gan_step(fused, explain_whole_loop=True)
    notes = autograd_doctor.doctor_notes(error.value)
    step_line = site_of(gan_step, "optD.step()")
    assert f"optD.step() (Adam{', fused' if fused else ''}) at {step_line} changed netD." in notes
    assert "after this graph saved it: step after every backward that uses this graph, or recompute the forward" \
        in notes


def test_a_step_outside_explain_is_named_when_forward_and_backward_are_inside():
    def loop_with_step_outside():
        torch.manual_seed(0)
        critic, actor = nn.Linear(4, 1), nn.Linear(4, 4)
        opt_critic = torch.optim.SGD(critic.parameters(), lr=0.1)
        with autograd_doctor.explain():
            q = critic(actor(torch.randn(8, 4)))
            q.mean().backward(retain_graph=True)
        opt_critic.step()
        with autograd_doctor.explain():
            (-q.mean()).backward()

    with pytest.raises(RuntimeError) as error:
        loop_with_step_outside()
    notes = autograd_doctor.doctor_notes(error.value)
    assert f"opt_critic.step() (SGD) at {site_of(loop_with_step_outside, 'opt_critic.step()')} changed critic.weight" \
        in notes


def test_two_models_of_one_class_are_told_apart_by_their_variable_names():
    class Critic(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))

        def forward(self, x):
            return self.net(x)

    def sac_like():
        torch.manual_seed(0)
        qf1, qf2 = Critic(), Critic()
        qf1_optimizer = torch.optim.Adam(qf1.parameters(), lr=0.1)
        obs = torch.randn(8, 4, requires_grad=True)
        q1, q2 = qf1(obs), qf2(obs)
        (q1 + q2).mean().backward(retain_graph=True)
        qf1_optimizer.step()
        torch.min(q1, q2).mean().backward()

    with pytest.raises(RuntimeError) as error:
        with autograd_doctor.explain():
            sac_like()
    notes = autograd_doctor.doctor_notes(error.value)
    assert "changed qf1.net.2.weight" in notes or "changed qf1.net.0.weight" in notes
    assert "qf2.net" not in notes.split("changed")[-1]


def test_autograd_doctor_run_names_the_step_of_a_fused_loop(tmp_path, capsys):
    script = tmp_path / "train.py"
    script.write_text(
        "import torch\nfrom torch import nn\n"
        "net = nn.Linear(4, 4)\nopt = torch.optim.Adam(net.parameters(), lr=0.1, fused=True)\n"
        "x = torch.randn(8, 4, requires_grad=True)\ny = net(x).pow(2).sum()\n"
        "y.backward(retain_graph=True)\nopt.step()\ny.backward()\n")
    assert autograd_doctor.main(["run", str(script)]) == 1
    err = capsys.readouterr().err
    assert "modified by an inplace operation" in err
    assert f"opt.step() (Adam, fused) at {script}:8 changed net.weight in place" in err
    assert "autograd_doctor/_" not in err  # the traceback shows the script's frames, none of the doctor's


def test_a_step_that_raises_does_not_stop_the_tracer():
    autograd_doctor.watch_optimizer_steps()
    p = nn.Parameter(torch.randn(3))
    p.grad = torch.ones(3)
    with pytest.raises(ZeroDivisionError):
        torch.optim.SGD([p], lr=0.1).step(lambda: 1 / 0)  # its post-hook never runs
    with autograd_doctor.explain() as tracer:
        x = torch.randn(3, requires_grad=True) * 1.0
        with torch.no_grad():
            x.add_(1)
    assert [e.op for e in tracer.log.on_storage(x)] == ["add_"]


def test_a_fused_step_under_the_watch_bumps_exactly_the_parameters_it_changed():
    autograd_doctor.watch_optimizer_steps()
    stepped, skipped = nn.Parameter(torch.randn(3)), nn.Parameter(torch.randn(3))
    stepped.grad = torch.ones(3)
    before = (stepped._version, skipped._version)
    torch.optim.AdamW([stepped, skipped], lr=0.1, fused=True).step()
    assert (stepped._version, skipped._version) == (before[0] + 1, before[1])


class RecordingSGD(torch.optim.SGD):
    """SGD that notes which function mode its step ran under."""

    modes_seen: list = []

    def step(self, closure=None):
        RecordingSGD.modes_seen.append(torch._C._len_torch_function_stack())
        return super().step(closure)


def test_inside_explain_a_step_runs_outside_the_tracer_and_tracing_resumes_after_it():
    # the step's own kernels cost a Python call each under a function mode and break nothing it does not record
    net = nn.Linear(4, 4)
    opt = RecordingSGD(net.parameters(), lr=0.1)
    RecordingSGD.modes_seen.clear()
    depth = torch._C._len_torch_function_stack()
    with autograd_doctor.explain() as tracer:
        net(torch.randn(2, 4)).sum().backward()
        opt.step()
        h = net(torch.randn(2, 4)).sigmoid()
        h.mul_(2)
    assert RecordingSGD.modes_seen == [depth]  # the doctor's mode was off the stack during the step
    assert [e.op for e in tracer.log.on_storage(h)] == ["mul_"]  # and back on after it
    assert any(e.step is not None for e in autograd_doctor._steps.STEPS.log.events_on_key(
        autograd_doctor._events.storage_key(net.weight)))  # the step itself is recorded


def test_a_step_with_a_closure_stays_traced():
    # LBFGS-style: the closure runs a forward and a backward inside step(), where an in-place bug is the user's
    net = nn.Linear(4, 1)
    opt = RecordingSGD(net.parameters(), lr=0.1)
    RecordingSGD.modes_seen.clear()

    def closure():
        opt.zero_grad()
        y = net(torch.randn(3, 4)).sigmoid()
        y.mul_(2)
        y.sum().backward()
        return y.sum()

    with pytest.raises(RuntimeError) as error, autograd_doctor.explain():
        opt.step(closure)
    assert RecordingSGD.modes_seen == [torch._C._len_torch_function_stack() + 1]
    assert f"mul_ (v0->v1) at {site_of(closure, 'y.mul_(2)')}" in autograd_doctor.doctor_notes(error.value)


@pytest.mark.parametrize("then_call_a_module", [True, False])
def test_a_step_that_raises_inside_explain_leaves_the_tracer_on(then_call_a_module):
    class FailingSGD(torch.optim.SGD):
        def step(self, closure=None):
            raise ValueError("a step that fails")

    net = nn.Linear(4, 4)
    opt = FailingSGD(net.parameters(), lr=0.1)
    depth = torch._C._len_torch_function_stack()

    def loop():
        with autograd_doctor.explain():
            with contextlib.suppress(ValueError):
                opt.step()  # its post-hook never runs
            x = net(torch.randn(2, 4)) if then_call_a_module else torch.randn(2, 4, requires_grad=True) * 1.0
            y = x.sigmoid()
            y.mul_(2)
            y.sum().backward()

    with pytest.raises(RuntimeError) as error:
        loop()
    assert torch._C._len_torch_function_stack() == depth  # explain() left the stack as it found it
    notes = autograd_doctor.doctor_notes(error.value)
    if then_call_a_module:  # the next root module call put the tracer back
        assert f"mul_ (v0->v1) at {site_of(loop, 'y.mul_(2)')}" in notes
    else:  # the limit, as _steps says: no module call, no step, so the tracer is off until the block ends
        assert notes is None and "modified by an inplace operation" in str(error.value)


def test_a_differentiable_step_stays_traced():
    # differentiable=True runs the step's kernels with grad on: they build a graph, so the tracer stays on
    p = torch.randn(3, requires_grad=True).clone()  # a differentiable step updates a non-leaf, as meta-learning does
    p.grad = torch.ones(3)
    opt = RecordingSGD([p], lr=0.1, differentiable=True)
    RecordingSGD.modes_seen.clear()
    with autograd_doctor.explain():
        opt.step()
    assert RecordingSGD.modes_seen == [torch._C._len_torch_function_stack() + 1]
