"""The break matrix classifies each in-place variant by what really happens (tiny model)."""

import pytest
import torch
from tools.docs import break_matrix_block, doctor_verdicts_block, quoted_matrix_rows

from minigpt.cli.matrix import main
from minigpt.lab.matrix import VARIANTS

EXPECTED = {  # every outcome here was measured on torch 2.13.0; the test keeps the notes honest
    "residual add_": "loud",
    "mul_ on a LayerNorm output": "safe",
    "relu_ in the feed-forward": "safe",
    "exp_ in a hand-written softmax": "safe",
    "exp_ then /= in a hand-written softmax": "loud",
    "masked_fill_ on attention scores": "safe",
    "residual through .data": "silent",
    "unchecked LayerNorm": "silent",
    "residual add_ under save_on_cpu": "silent",
    "residual add_ under allow_mutation": "safe",
    "residual add_ through views under allow_mutation": "silent",
    "optimizer step": "safe",
    "optimizer step before backward": "loud",
    "no_grad inference": "safe",
}


@pytest.fixture(scope="module")
def rows():
    """The very rows the phase note quotes (measured once, shared with the staleness test)."""
    return {r.variant: r for r in quoted_matrix_rows()}


def test_matrix_covers_every_variant_of_the_issue():
    assert [v.name for v in VARIANTS] == list(EXPECTED)


@pytest.mark.parametrize("variant", EXPECTED)
def test_variant_outcome_is_measured_as_expected(rows, variant):
    assert rows[variant].outcome == EXPECTED[variant], rows[variant]


def test_loud_rows_carry_pytorchs_error_and_no_relative_error(rows):
    for row in rows.values():
        if row.outcome == "loud":
            assert row.relative_error is None and "is at version" in row.error


def test_silent_rows_differ_by_far_more_than_rounding(rows):
    assert all(r.relative_error > 1e-3 for r in rows.values() if r.outcome == "silent")


def test_markdown_tables_have_one_line_per_variant_in_both_languages():
    for lang in ("en", "es"):
        assert sum(line.startswith("| ") for line in break_matrix_block(lang).splitlines()) == 1 + len(EXPECTED)
        assert sum(line.startswith("| ") for line in doctor_verdicts_block(lang).splitlines()) == 1 + len(EXPECTED)


def test_doctor_calls_every_saved_tensor_hooks_variant_unverifiable_never_intact(rows):
    """allow_mutation's view hole is silent: a doctor that said `intact` there would vouch for wrong gradients."""
    for name in ("residual add_ under save_on_cpu", "residual add_ under allow_mutation",
                 "residual add_ through views under allow_mutation"):
        assert rows[name].doctor == "unverifiable", rows[name]


def test_matrix_cli_rejects_a_bad_override_in_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["model.n_layers=2"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("phase-25-matrix: error: unknown key 'model.n_layers'")


def test_sgd_update_differs_from_out_of_place_update_only_by_rounding():
    torch.manual_seed(0)
    p, g = torch.randn(10_000), torch.randn(10_000)
    in_place, out_of_place = p.clone().add_(g, alpha=-0.1), p - 0.1 * g
    scale = p.abs() + 0.1 * g.abs()  # one rounding of each term: a few eps of this, even where p - 0.1 g cancels
    assert not torch.equal(in_place, out_of_place)
    assert ((in_place - out_of_place).abs() <= 2 * torch.finfo(torch.float32).eps * scale).all()


@pytest.mark.slow
def test_matrix_cli_prints_every_variant_at_default_size(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # wide enough that rich wraps no variant name
    main([])
    out = capsys.readouterr().out
    assert all(variant in out for variant in EXPECTED)
