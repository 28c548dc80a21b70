"""The GPU path (issue 8, item 5): with device=cuda the phase trains, breaks and compares as on the CPU.

Skipped on a machine without CUDA (CI has none); run on a lent GPU with `just test tests/test_cuda.py`.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from autograd_doctor import VERSION_ERROR
from minigpt.attention import CausalSelfAttention
from minigpt.config import Attention, GPTConfig
from minigpt.train import pick_device
from tests.conftest import TINY

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
ROOT = Path(__file__).resolve().parents[1]


def command(module: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "COLUMNS": "200"})


def summary(out_dir: Path, name: str) -> dict:
    return json.loads((out_dir / name / "summary.json").read_text())


def test_auto_means_cuda_here():
    assert pick_device("auto").type == "cuda"


def test_the_control_trains_on_cuda_and_the_inplace_run_breaks_with_the_doctors_lines(tmp_path):
    control = command("minigpt.cli.train", *TINY, f"out_dir={tmp_path}")
    assert control.returncode == 0, control.stderr
    assert summary(tmp_path, "25-A")["status"] == "ok" and summary(tmp_path, "25-A")["device"].startswith("cuda")
    broken = command("minigpt.cli.train", *TINY, f"out_dir={tmp_path}", "inplace=true")
    record = summary(tmp_path, "25-B")
    assert broken.returncode == 1 and record["status"] == "crashed" and record["device"].startswith("cuda")
    block = (ROOT / "src" / "minigpt" / "block.py").read_text().splitlines()
    add_lines = [f"block.py:{n}" for n, line in enumerate(block, start=1) if line.strip().startswith("h.add_(")]
    assert VERSION_ERROR in record["error_message"]
    assert any(line in record["doctor_explanation"] for line in add_lines), record["doctor_explanation"]


def test_step_0_gradients_on_cuda_and_on_the_cpu_agree_to_float32_rounding(tmp_path):
    for device in ("cpu", "cuda"):
        done = command("minigpt.cli.train", *TINY, f"out_dir={tmp_path}", f"device={device}", f"run_name={device}")
        assert done.returncode == 0, done.stderr
    compared = command("minigpt.cli.grad_compare", "cpu", "cuda", f"out_dir={tmp_path}")
    assert compared.returncode == 0, compared.stdout


def test_grad_compare_catches_the_silent_variant_on_cuda(tmp_path):
    for overrides in ([], ["inplace=true", "ln=unchecked"]):
        assert command("minigpt.cli.train", *TINY, f"out_dir={tmp_path}", *overrides).returncode == 0
    assert command("minigpt.cli.grad_compare", "25-A", "25-B", f"out_dir={tmp_path}").returncode == 1


def test_save_on_cpu_is_no_break_on_cuda_its_pack_hook_copies_before_the_add(tmp_path):
    """The opposite of the CPU, where save_on_cpu keeps the very storage add_ then changes (silent)."""
    for name, overrides in (("control", []), ("save_on_cpu", ["inplace=true", "saved_tensors=save_on_cpu"])):
        done = command("minigpt.cli.train", *TINY, f"out_dir={tmp_path}", f"run_name={name}", *overrides)
        assert done.returncode == 0, done.stderr
    assert command("minigpt.cli.grad_compare", "control", "save_on_cpu", f"out_dir={tmp_path}").returncode == 0


def test_explicit_attention_matches_scaled_dot_product_attention_on_cuda():
    torch.manual_seed(0)
    attn = CausalSelfAttention(GPTConfig(10, block_size=12, n_head=4, n_embd=32, attention=Attention.explicit)).cuda()
    x = torch.randn(2, 12, 32, device="cuda")
    q, k, v = (t.view(2, 12, 4, 8).transpose(1, 2) for t in attn.qkv(x).split(32, dim=2))
    reference = attn.proj(F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(2, 12, 32))
    torch.testing.assert_close(attn(x), reference, rtol=1e-5, atol=1e-6)
