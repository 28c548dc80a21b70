"""The notes cannot rot: every generated block equals what its generator makes now."""

import json

import pytest

from minigpt.lab import docs


def test_no_generated_block_is_stale():
    stale = docs.stale_blocks()
    assert not stale, "stale generated blocks:\n" + "\n".join(map(str, stale))


def test_every_note_has_generated_blocks():
    notes = [p for p in docs.doc_files() if p.parent == docs.THEORY]
    assert notes, "no notes in theory/"
    for path in notes:
        assert docs.blocks_in(path.read_text()), f"{path.name} quotes no generated output"


def test_refreshed_rewrites_block_bodies_and_nothing_else(monkeypatch):
    monkeypatch.setattr(docs, "render", lambda name: f"made by {name}\n")
    text = "before\n<!-- generated:a -->\nold\n<!-- /generated:a -->\nafter\n"
    assert docs.refreshed(text) == "before\n<!-- generated:a -->\nmade by a\n<!-- /generated:a -->\nafter\n"


def test_unknown_block_name_is_reported_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(docs, "ROOT", tmp_path)
    note = tmp_path / "note.md"
    note.write_text("<!-- generated:no-such-block -->\n<!-- /generated:no-such-block -->\n")
    [stale] = docs.stale_blocks([note])
    assert "no-such-block" in str(stale) and "has no generator" in str(stale) and "just docs" in str(stale)


def test_measured_block_renders_committed_data(tmp_path, monkeypatch):
    monkeypatch.setattr(docs, "DATA", tmp_path)
    (tmp_path / "timings.json").write_text(json.dumps({
        "torch": "x", "machine": "m", "what": "w", "command": "just docs-measure",
        "ms_per_step": {"control": 2.0, "control, detect_anomaly=true": 5.0}}))
    block = docs.timings_block()
    assert "| control, detect_anomaly=true | 5.00 | 2.50× |" in block


def test_measured_block_without_data_names_the_command(tmp_path, monkeypatch):
    monkeypatch.setattr(docs, "DATA", tmp_path)
    assert "just docs-measure" in docs.timings_block()


def test_docs_cli_rejects_an_unknown_argument_in_one_line(capsys):
    from minigpt.cli.docs import main
    with pytest.raises(SystemExit) as exit_info:
        main(["--meassure"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == "docs: error: unknown argument '--meassure'; allowed: --measure, --check\n"


def test_docs_cli_check_exits_0_when_nothing_is_stale():
    from minigpt.cli.docs import main
    with pytest.raises(SystemExit) as exit_info:
        main(["--check"])
    assert exit_info.value.code == 0
