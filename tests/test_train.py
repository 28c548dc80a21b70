"""What each residual variant really does in training, on torch as pinned."""

import pytest
import torch

from minigpt.runs import RunDir, read_grads
from minigpt.train import train

SILENT = [["ln=unchecked"], ["via_data=true"], ["saved_tensors=save_on_cpu", "device=cpu"]]  # see test_cuda


def run(cfg, tmp_path):
    record, _ = RunDir.create(tmp_path, "run")
    return train(cfg, record), record.path


@pytest.mark.parametrize("anomaly", ["false", "true"])
def test_inplace_residual_raises_at_first_backward(tiny_config, anomaly):
    result = train(tiny_config("inplace=true", f"detect_anomaly={anomaly}"))
    assert result.status == "crashed"
    assert result.summary["failed_step"] == 0 and result.summary["failed_in"] == "backward"
    assert "modified by an inplace operation" in result.summary["error_message"]


def test_without_anomaly_mode_there_is_no_forward_traceback(tiny_config):
    summary = train(tiny_config("inplace=true")).summary
    assert summary["forward_traceback"] is None
    assert "enable anomaly detection" in summary["error_message"]


def test_with_anomaly_mode_the_forward_traceback_names_the_inplace_line_of_block_py(tiny_config):
    summary = train(tiny_config("inplace=true", "detect_anomaly=true")).summary
    block_lines = [line for line in summary["forward_traceback"].splitlines() if "block.py" in line]
    assert block_lines, summary["forward_traceback"]
    line_number = int(block_lines[-1].split("line ")[1].split(",")[0])
    source = open(block_lines[-1].split('"')[1]).read().splitlines()[line_number - 1]
    assert ".add_(" in source


@pytest.mark.parametrize("variant", SILENT, ids=" ".join)
def test_silent_variant_trains_to_the_end_with_different_step0_gradients(tiny_config, tmp_path, variant):
    control, control_path = run(tiny_config(), tmp_path / "a")
    silent, silent_path = run(tiny_config("inplace=true", *variant), tmp_path / "b")
    assert control.status == silent.status == "ok"
    a, b = read_grads(control_path, 0), read_grads(silent_path, 0)
    assert a.keys() != b.keys() or any(not torch.equal(a[name], b[name]) for name in a)


def test_via_data_variant_leaves_every_block_without_gradients(tiny_config, tmp_path):
    _, path = run(tiny_config("inplace=true", "via_data=true"), tmp_path)
    grads = read_grads(path, 0)
    assert not any(name.startswith("blocks.") for name in grads)
    assert "token_embedding.weight" in grads


def test_allow_mutation_on_saved_tensors_gives_the_control_gradients(tiny_config, tmp_path):
    _, control_path = run(tiny_config(), tmp_path / "a")
    result, path = run(tiny_config("inplace=true", "saved_tensors=allow_mutation"), tmp_path / "b")
    assert result.status == "ok"
    a, b = read_grads(control_path, 0), read_grads(path, 0)
    assert a.keys() == b.keys() and all(torch.equal(a[name], b[name]) for name in a)


def test_same_seed_gives_the_same_gradients_bit_for_bit(tiny_config, tmp_path):
    _, first = run(tiny_config(), tmp_path / "a")
    _, second = run(tiny_config(), tmp_path / "b")
    a, b = read_grads(first, 0), read_grads(second, 0)
    assert all(torch.equal(a[name], b[name]) for name in a)


def test_text_mode_trains_on_a_file_the_test_writes(tiny_config, tmp_path):
    path = tmp_path / "texto.txt"
    path.write_text("en un lugar de la mancha, de cuyo nombre no quiero acordarme. " * 30, encoding="utf-8")
    result = train(tiny_config("data=text", f"data.path={path}", "data.block_size=16"))
    assert result.status == "ok" and result.summary["final_test_accuracy"] is not None
