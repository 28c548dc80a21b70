"""The notes cannot rot: every generated block equals what its generator makes now."""

import json

import pytest
from tools import docs


def test_no_generated_block_is_stale():
    stale = docs.stale_blocks()
    assert not stale, "stale generated blocks:\n" + "\n".join(map(str, stale))


def test_every_numbered_note_has_generated_blocks():
    """The numbered theory notes (NN-name.md) quote generated output; a page like exercises.md need not."""
    notes = [p for p in docs.doc_files() if p.parent == docs.THEORY and p.name[:2].isdigit()]
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
    from tools.docs import main
    with pytest.raises(SystemExit) as exit_info:
        main(["--meassure"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == ("docs: error: unknown argument '--meassure'; "
                                       "allowed: --allow-smaller-sweep, --check, --measure, --repo\n")


def test_docs_cli_check_exits_0_when_nothing_is_stale():
    from tools.docs import main
    with pytest.raises(SystemExit) as exit_info:
        main(["--check"])
    assert exit_info.value.code == 0


def test_spanish_table_has_spanish_headers_and_the_same_numbers(tmp_path, monkeypatch):
    monkeypatch.setattr(docs, "DATA", tmp_path)
    (tmp_path / "timings.json").write_text(json.dumps({
        "torch": "x", "machine": "m", "what": "w", "command": "just docs-measure",
        "ms_per_step": {"control": 2.0, "control, detect_anomaly=true": 5.0}}))
    english, spanish = docs.render.__wrapped__("timings"), docs.render.__wrapped__("timings.es")
    assert "| configuración |" in spanish and "Medido con" in spanish and "| setting |" in english
    assert "| control, detect_anomaly=true | 5.00 | 2.50× |" in spanish


def test_spanish_snippet_block_renders_the_spanish_comments_of_the_one_source_and_no_output_of_its_own():
    known = docs.registry()
    assert "residual_error.es" in known and "residual_error.es.out" not in known
    assert "# los mismos pesos" in known["residual_error.es"]() and "# the same weights" in known["residual_error"]()
    assert "# es:" not in known["residual_error.es"]() + known["residual_error"]()


def test_a_bilingual_snippet_renders_each_comment_kind_in_each_language():
    source = ('def f(x):\n    """Doubles x."""\n    # es: Duplica x.\n    # en: the rule\n    # es: la regla\n'
              '    return 2 * x  # en: twice\n    # es: el doble\ny = f(1)  # (B, T)\n')
    assert docs.snippet_in_language(source, "en") == ('def f(x):\n    """Doubles x."""\n    # the rule\n'
                                              '    return 2 * x  # twice\ny = f(1)  # (B, T)\n')
    assert docs.snippet_in_language(source, "es") == ('def f(x):\n    """Duplica x."""\n    # la regla\n'
                                              '    return 2 * x  # el doble\ny = f(1)  # (B, T)\n')


def test_an_english_comment_without_its_spanish_line_is_refused():
    with pytest.raises(ValueError, match="without its '# es:' line"):
        docs.snippet_in_language("x = 1  # en: one\n", "es")


def test_the_generator_finds_the_repository_by_its_argument_not_by_its_own_location(tmp_path, capsys):
    (tmp_path / "theory").mkdir()
    (tmp_path / "theory" / "note.md").write_text("<!-- generated:nothing -->\n<!-- /generated:nothing -->\n")
    try:
        with pytest.raises(SystemExit) as exit_info:
            docs.main(["--repo", str(tmp_path), "--check"])
        assert exit_info.value.code == 1 and "note.md: block 'nothing' has no generator" in capsys.readouterr().out
    finally:
        docs.use_repo(docs.Path(__file__).resolve().parents[1])


def test_measured_snippet_output_comes_from_committed_data_not_from_running_it(tmp_path, monkeypatch):
    monkeypatch.setattr(docs, "DATA", tmp_path)
    (tmp_path / "compile_faces.json").write_text(json.dumps(
        {"torch": "t", "machine": "m", "command": "just docs-measure", "output": "cached line\n"}))
    assert docs.registry()["compile_faces.out"]().startswith("```text\ncached line\n```")
    assert "Salida guardada en" in docs.registry()["compile_faces.out.es"]()


def test_the_cuda_block_says_not_measured_without_its_file_and_shows_every_phase_with_it(tmp_path, monkeypatch):
    monkeypatch.setattr(docs, "CUDA_FIGURES", tmp_path / "measured_cuda.json")
    assert "just bench-cuda" in docs.cuda_figures_block() and "—" in docs.cuda_figures_block()
    monkeypatch.undo()
    data = json.loads(docs.CUDA_FIGURES.read_text())
    for lang in docs.LANGUAGES:
        block = docs.cuda_figures_block(lang)
        assert all(docs.figure_text(f["name"], lang) in block for f in data["figures"]) and data["gpu"] in block
        assert all(name in block for name in docs.TEXT[lang]["phases"].values())
