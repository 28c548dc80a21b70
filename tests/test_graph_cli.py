"""phase-25-graph as a learner meets it, the files it writes, and the graph a crashed training run keeps."""

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from minigpt.cli import graph, train
from tests.conftest import TINY

SMALL = [*TINY, "model.n_layer=1"]  # one block keeps the picture and the walk small


def run_graph(tmp_path, *overrides) -> int:
    with pytest.raises(SystemExit) as exit_info:
        graph.main([*SMALL, f"out_dir={tmp_path}", *overrides])
    return exit_info.value.code


def test_inplace_graph_prints_the_tree_with_the_clobbered_slot_and_the_add_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    assert run_graph(tmp_path, "inplace=true") == 1
    out = capsys.readouterr().out
    assert "backward graph of block 0" in out
    assert re.search(r"saved input \[8, 12, 32\]: saved at v\d, now v\d, bumped by add_", out)
    assert re.search(r"broken: 2 breaks, 0 unverifiable", out)
    summary = json.loads((tmp_path / "25-graph-B" / "summary.json").read_text())
    assert summary["verdict"] == "broken" and len(summary["breaks"]) == 2


def test_control_graph_is_intact_and_exits_0(tmp_path, capsys):
    assert run_graph(tmp_path) == 0
    assert "intact: 0 breaks, 0 unverifiable" in capsys.readouterr().out


def test_unchecked_layer_norm_graph_is_unverifiable_not_intact(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    assert run_graph(tmp_path, "ln=unchecked") == 1
    out = capsys.readouterr().out
    assert "unverifiable: 0 breaks, 3 unverifiable" in out  # ln1, ln2 and ln_final
    assert "cannot verify: tensors kept outside save_for_backward" in out


def test_a_second_graph_run_keeps_the_first(tmp_path, capsys):
    run_graph(tmp_path, "inplace=true")
    run_graph(tmp_path, "inplace=true")
    assert len(list(tmp_path.glob("25-graph-B*"))) == 2


def test_dot_and_mermaid_files_are_well_formed_and_highlight_the_breaks(tmp_path, capsys):
    run_graph(tmp_path, "inplace=true")
    run = tmp_path / "25-graph-B"
    dot_text, mermaid = (run / "graph.dot").read_text(), (run / "graph.mmd").read_text()
    assert dot_text.startswith("digraph backward {") and dot_text.rstrip().endswith("}")
    assert dot_text.count("color=red, penwidth=2") == 2  # the two clobbered LayerNorm nodes
    declared = set(re.findall(r"^  (\w+) \[", dot_text, re.M))
    assert all(a in declared and b in declared for a, b in re.findall(r"^  (\w+) -> (\w+)", dot_text, re.M))
    assert mermaid.startswith("flowchart TD") and mermaid.count(":::broken") == 2 + 2  # nodes + add_ events
    defined = set(re.findall(r"^  (\w+)[\[(]", mermaid, re.M))
    assert all(a in defined and b in defined for a, b in re.findall(r"^  (\w+) -.?->? (\w+)", mermaid, re.M))


def test_the_block_picture_is_written_as_png_and_svg_with_no_graphviz(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` to fall back on
    run_graph(tmp_path, "inplace=true")
    run = tmp_path / "25-graph-B"
    assert (run / "graph.png").stat().st_size > 10_000
    svg = (run / "graph.svg").read_text()
    assert ET.fromstring(svg).tag.endswith("svg") and "bumped by add_ at block.py:" in svg
    assert "graph.png, graph.svg" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "words"), [
    (["block=5"], ["block=5", "0 to model.n_layer-1=0"]),
    (["block=x"], ["block=x", "block number"]),
    (["--block=1"], ["'--block=1' is not an override", "block=1"]),
    (["colour=red"], ["unknown key 'colour'"]),
])
def test_bad_input_gets_one_line_and_exit_status_2(tmp_path, capsys, args, words):
    with pytest.raises(SystemExit) as exit_info:
        graph.main([*SMALL, f"out_dir={tmp_path}", *args])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1
    assert all(w in err for w in words)


def test_a_crashed_inplace_training_run_keeps_the_graph_of_its_failing_step(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        train.main([*SMALL, f"out_dir={tmp_path}", "inplace=true", "train.steps=2"])
    assert exit_info.value.code == 1
    run = tmp_path / "25-B"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "crashed" and summary["graph_verdict"] == "broken"
    assert len(summary["graph_breaks"]) == 2
    assert all((run / name).is_file() for name in ["graph.png", "graph.svg", "graph.dot", "graph.mmd"])


@pytest.mark.slow  # a fresh interpreter through just: ~3 s
def test_graph_recipe_runs_through_just(tmp_path):
    just = shutil.which("just")
    if just is None:
        pytest.skip("just is not installed")
    done = subprocess.run([just, "phase-25-graph", *SMALL, f"out_dir={tmp_path}"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
