"""grad-compare: verdicts per parameter, exit status like diff, and one clear line for every bad input."""

import shutil

import pytest
from omegaconf import OmegaConf

from minigpt.cli import grad_compare
from minigpt.cli.common import load_config
from minigpt.config import Phase25Config
from minigpt.lab.compare import AGREE, REPORT, compare_runs, diff_lines, load_run, rounding_bound
from minigpt.runs import GRADS, RunDir, read_grads, read_summary
from minigpt.train import train
from tests.conftest import TINY

DEFAULT_TOKENS = Phase25Config().train.batch_size * Phase25Config().data.block_size  # B*T of the default run
ONE_STEP = [*TINY, "train.steps=1", "train.eval_every=1"]  # gradients are saved at step 0: one step is enough
RUNS = {
    "A": [],  # the control
    "A-again": [],  # the same config: bitwise the same gradients
    "manual": ["ln=manual"],  # the same maths, another float32 rounding
    "B": ["inplace=true", "ln=unchecked"],  # the silent break
    "data": ["inplace=true", "via_data=true"],  # the blocks drop out of the graph
    "loud": ["inplace=true"],  # raises at the first backward
    "seed1": ["seed=1"],
    "narrow": ["model.n_embd=16"],
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Every run the tests compare, trained once (tiny) under one temporary experiments dir."""
    out = tmp_path_factory.mktemp("experiments")
    for name, overrides in RUNS.items():
        cfg = load_config([*ONE_STEP, *overrides, f"run_name={name}", f"out_dir={out}"])
        run, _ = RunDir.create(out, name)
        run.write_config(OmegaConf.to_yaml(cfg, resolve=True))
        train(cfg, run)
    return out


def compare_cli(capsys, *argv) -> tuple[int, str, str]:
    """Run the entry point in a wide terminal; its exit status, stdout and stderr."""
    with pytest.MonkeyPatch.context() as mp, pytest.raises(SystemExit) as exit_info:
        mp.setenv("COLUMNS", "200")  # rich wraps at the terminal width: keep each printed line whole
        grad_compare.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def test_identical_runs_compare_as_identical_and_exit_0(runs, capsys):
    status, out, err = compare_cli(capsys, "A", "A-again", f"out_dir={runs}")
    assert status == 0, err
    n_params = len(read_grads(runs / "A", 0))  # every parameter got a gradient at step 0
    assert f"all {n_params} parameter gradients are identical (bitwise)" in out
    report = runs / "compare-A-vs-A-again"
    assert {p.name for p in report.iterdir()} == {"report.md", "relerr.png", "curves.png"}


def test_float32_rounding_alone_stays_within_the_bound(runs):
    step = compare_runs(load_run(runs / "A"), load_run(runs / "manual")).steps[0]
    assert step.agree and step.count("rounding") > 0
    cfg = load_config(ONE_STEP)  # these runs' own B*T, not the default config's
    assert max(p.rel_error for p in step.params) <= rounding_bound(cfg.train.batch_size * cfg.data.block_size)


def test_silent_variant_differs_in_the_layers_the_break_reaches_and_exits_1(runs, capsys):
    comparison = compare_runs(load_run(runs / "A"), load_run(runs / "B"))
    verdicts = {p.name: p.verdict for p in comparison.steps[0].params}
    for name in ["blocks.0.ln1.weight", "blocks.0.ln2.weight", "blocks.1.ln1.weight", "blocks.1.ln2.weight",
                 "token_embedding.weight", "position_embedding.weight"]:
        assert verdicts[name] == "differs", name
    assert verdicts["head.weight"] == "identical"  # after the last clobbered LayerNorm: untouched
    assert verdicts["ln_final.weight"] in AGREE
    assert diff_lines(comparison) == ["inplace: false → true", "ln: torch → unchecked", "run_name: A → B"]
    status, out, _ = compare_cli(capsys, runs / "A", runs / "B", f"out_dir={runs}")
    assert status == 1
    assert "parameter gradients differ; worst: blocks." in out


def test_via_data_variant_shows_missing_gradients(runs, capsys):
    step = compare_runs(load_run(runs / "A"), load_run(runs / "data")).steps[0]
    missing = {p.name for p in step.params if p.verdict == "missing"}
    assert missing == {p.name for p in step.params if p.name.startswith("blocks.")}
    status, out, _ = compare_cli(capsys, "A", "data", f"out_dir={runs}")
    assert status == 1
    assert f"{len(missing)} missing: {len(missing)} with no gradient in data" in out


def test_crashed_run_shows_its_recorded_error_and_exits_2(runs, capsys):
    summary = read_summary(runs / "loud")
    status, out, err = compare_cli(capsys, "A", "loud", f"out_dir={runs}")
    assert status == 2
    assert "loud crashed in loss.backward() at step 0" in out
    assert summary["error_message"][:80] in out  # PyTorch's own words, from the run's record
    assert err.strip() == ("phase-25-grad-compare: error: cannot compare: run 'loud' crashed in backward at "
                           "step 0, before saving gradients at any step 'A' saved (it saved: none)")


def corrupted_copy(runs):
    """A copy of run A whose step-0 gradients file is cut short."""
    path = runs / "corrupted"
    if not path.exists():
        shutil.copytree(runs / "A", path)
        grads = path / GRADS / "step_0.safetensors"
        grads.write_bytes(grads.read_bytes()[:100])
    return path


@pytest.mark.parametrize("argv, expected", [
    (["A", "no-such-run"], "cannot compare: no run directory at 'no-such-run'"),
    (["A", "{runs}"], "is not a run directory (no summary.json)"),
    (["A", "corrupted"], "grads/step_0.safetensors' is corrupted"),
    (["A", "narrow"], "the models differ: token_embedding.weight is [48, 32] in A and [48, 16] in narrow"),
    (["A", "seed1"], "the seeds differ (A: 0, seed1: 1); allowed: two runs of the same seed"),
    (["A"], "give two runs, got 1"),
    (["A", "B", "--colour"], "unknown option '--colour'; allowed: out_dir=DIR"),
    (["A", "B", "colour=red"], "unknown option 'colour'; allowed: out_dir=DIR"),
    (["A", "base-seed0-train.lr=0.1"], "no run directory at 'base-seed0-train.lr=0.1'"),  # a sweep job's name
])
def test_bad_input_is_one_line_and_exit_2(runs, capsys, argv, expected):
    corrupted_copy(runs)
    status, _, err = compare_cli(capsys, *[a.format(runs=runs) for a in argv], f"out_dir={runs}")
    assert status == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("phase-25-grad-compare: error: ")
    assert expected in err


def test_rerun_moves_the_earlier_report_aside(runs, capsys):
    compare_cli(capsys, "A", "A-again", f"out_dir={runs}")
    first = (runs / "compare-A-vs-A-again" / REPORT).read_text()
    status, out, _ = compare_cli(capsys, "A", "A-again", f"out_dir={runs}")
    assert status == 0 and "earlier report kept at" in out
    kept = [p for p in runs.glob("compare-A-vs-A-again@*") if (p / REPORT).read_text() == first]
    assert kept


def test_help_documents_the_arguments_verdicts_and_exit_status(capsys):
    grad_compare.main(["--help"])  # returns: exit status 0
    out = " ".join(capsys.readouterr().out.split())
    for text in ["usage: phase-25-grad-compare RUN_A RUN_B [out_dir=DIR]", "exit status, like diff",
                 "0 every gradient is identical or within rounding",
                 "1 some gradients differ or are missing", "2 the runs cannot be compared",
                 f"({rounding_bound(DEFAULT_TOKENS):.1e} at the default B*T = {DEFAULT_TOKENS})"]:
        assert text in out
