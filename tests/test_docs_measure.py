"""docs-measure never quietly publishes less than the notes quote: a smaller sweep is refused unless asked for."""

import json

import pytest
from tools import docs as docs_cli


def sweep(runs_per_variant: dict[str, int]) -> dict:
    """A finished sweep's summary.json with these variants and run counts (the figures do not matter here)."""
    empty = {"n": 0, "mean": None, "std": None, "min": None, "max": None}
    variants = [{"variant": v, "runs": n, "ok": n, "final_test_accuracy": empty, "final_val_loss": empty,
                 "grad_rel_error": empty} for v, n in runs_per_variant.items()]
    jobs = sum(runs_per_variant.values())
    return {"overrides": ["seed=range(5)"], "torch_version": "2.13.0", "variants": variants,
            "jobs": [{}] * jobs, "jobs_planned": jobs}


@pytest.fixture
def published(tmp_path, monkeypatch):
    """theory/data and experiments/25-sweep moved into tmp_path, with a published five-seed sweep."""
    data, summary = tmp_path / "theory" / "data", tmp_path / "experiments" / "25-sweep" / "summary.json"
    data.mkdir(parents=True)
    summary.parent.mkdir(parents=True)
    (data / "sweep.json").write_text(json.dumps(sweep({"control": 5, "silent_unchecked": 5})))
    monkeypatch.setattr(docs_cli, "ROOT", tmp_path)
    monkeypatch.setattr(docs_cli, "DATA", data)
    monkeypatch.setattr(docs_cli, "SWEEP_SUMMARY", summary)
    return data / "sweep.json", summary


def test_a_two_seed_sweep_does_not_replace_the_published_five_seed_table(published, capsys):
    table, summary = published
    before = table.read_text()
    summary.write_text(json.dumps(sweep({"control": 2, "silent_unchecked": 2})))
    docs_cli.copy_sweep(allow_smaller=False)
    assert table.read_text() == before
    out = capsys.readouterr().out
    assert "control: 2 runs where the published table has 5" in out and "--allow-smaller-sweep" in out


def test_a_dropped_variant_is_named(published, capsys):
    published[1].write_text(json.dumps(sweep({"control": 5})))
    docs_cli.copy_sweep(allow_smaller=False)
    assert "silent_unchecked: not in the new sweep" in capsys.readouterr().out


def test_the_smaller_sweep_is_published_when_asked_for(published):
    table, summary = published
    summary.write_text(json.dumps(sweep({"control": 2})))
    docs_cli.copy_sweep(allow_smaller=True)
    assert json.loads(table.read_text())["variants"][0]["runs"] == 2


def test_a_sweep_as_large_is_published(published):
    table, summary = published
    summary.write_text(json.dumps(sweep({"control": 5, "silent_unchecked": 5, "silent_via_data": 5})))
    docs_cli.copy_sweep(allow_smaller=False)
    assert len(json.loads(table.read_text())["variants"]) == 3


def test_allow_smaller_sweep_without_measure_is_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        docs_cli.main(["--allow-smaller-sweep"])
    assert exit_info.value.code == 2 and capsys.readouterr().err.count("\n") == 1
