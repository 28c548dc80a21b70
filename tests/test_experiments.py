"""Every configs/experiment/*.yaml composes against the schema and trains a few steps."""

import pytest

from minigpt.lab.compose import CONFIG_DIR
from minigpt.train import train

EXPERIMENTS = sorted(p.stem for p in (CONFIG_DIR / "experiment").glob("*.yaml"))


def test_the_experiment_folder_is_found():
    assert len(EXPERIMENTS) >= 5  # a wrong path would make the test below run nothing


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_each_experiment_composes_and_trains_a_few_steps(tiny_config, experiment):
    cfg = tiny_config(f"experiment={experiment}", "train.steps=2", "train.eval_every=1")
    result = train(cfg)
    assert result.status == "ok", result.summary.get("error_message")
    assert result.summary["steps_completed"] == 2 and result.summary["final_val_loss"] is not None
