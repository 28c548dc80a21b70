"""Shared fixtures: tiny configs that train in a fraction of a second."""

from pathlib import Path

import pytest
from tools import docs

from minigpt.cli.common import load_config

docs.use_repo(Path(__file__).resolve().parents[1])  # the notes generator takes its repository explicitly

TINY = ["train.steps=6", "train.eval_every=3", "train.batch_size=16", "data.n_train=256",
        "data.n_eval=64", "model.n_embd=32", "model.n_layer=2", "model.n_head=4"]


@pytest.fixture
def tiny_config(tmp_path):
    """load_config(overrides) with the tiny sizes and runs written under tmp_path."""
    return lambda *overrides: load_config([*TINY, f"out_dir={tmp_path}", *overrides])
