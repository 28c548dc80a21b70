"""The GPT: shapes, and the forward pass every residual variant shares bit for bit."""

import pytest
import torch

from autograd_doctor import saved_tensors_context
from minigpt.data import make_splits
from minigpt.model import build_model

VARIANTS = [["inplace=true"], ["inplace=true", "ln=manual"], ["inplace=true", "ln=unchecked"],
            ["inplace=true", "via_data=true"], ["inplace=true", "saved_tensors=save_on_cpu"],
            ["inplace=true", "saved_tensors=allow_mutation"]]


def step0_logits(cfg):
    torch.manual_seed(cfg.seed)
    splits = make_splits(cfg.data, cfg.seed)
    model = build_model(cfg, len(splits.vocab))
    x, y = splits.batch(torch.Generator().manual_seed(cfg.seed), cfg.train.batch_size)
    with saved_tensors_context(cfg.saved_tensors):
        return model(x, y)


def test_logits_are_batch_by_time_by_vocabulary(tiny_config):
    cfg = tiny_config()
    logits, loss = step0_logits(cfg)
    assert logits.shape == (cfg.train.batch_size, cfg.data.block_size, len(make_splits(cfg.data, 0).vocab))
    assert loss.shape == ()


@pytest.mark.parametrize("variant", VARIANTS, ids=" ".join)
def test_forward_is_identical_in_place_and_out_of_place(tiny_config, variant):
    control_logits, control_loss = step0_logits(tiny_config())
    logits, loss = step0_logits(tiny_config(*variant))
    assert torch.equal(logits, control_logits) and torch.equal(loss, control_loss)
