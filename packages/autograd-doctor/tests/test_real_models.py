"""The doctor on real models nobody here wrote, built from configs with random weights (no downloads): intact where
PyTorch's backward runs, and after one in-place edit of a real block, every break found (counted apart from the
doctor, by the LayerNorms' own input versions) with the line of the edit. `pip install -e .[real-models]`."""

import importlib
import re

import pytest
import torch
from torch import nn

from autograd_doctor import diagnose_forward
from source_lines import sites_of

pytestmark = pytest.mark.real_models
VERSIONS = re.compile(r"is at version (\d+); expected version (\d+) instead")


def import_or_skip(name: str):
    """The module, or a skip that says why: timm needs torchvision, whose wheel must match the torch build."""
    try:
        return importlib.import_module(name)
    except Exception as e:  # a broken torchvision raises RuntimeError, not ImportError
        pytest.skip(f"{name} cannot be imported: {type(e).__name__}: {str(e).splitlines()[0]}")


def clobbered_layer_norms(model: nn.Module, forward) -> set[str]:
    """The LayerNorms whose saved input changed after they saved it, from version counters alone (LayerNorm
    saves its input): run `forward` with a hook noting each input's version, then compare."""
    seen = {}

    def note(name: str):
        def hook(module, args) -> None:  # a pre-hook that returned a value would replace the input
            seen.setdefault(name, (args[0], args[0]._version))
        return hook

    hooks = [m.register_forward_pre_hook(note(name)) for name, m in model.named_modules() if isinstance(m, nn.LayerNorm)]
    try:
        forward()
    finally:
        for hook in hooks:
            hook.remove()
    return {name for name, (tensor, version) in seen.items() if tensor._version != version}


def assert_intact_and_backward_runs(model: nn.Module, forward) -> None:
    report = diagnose_forward(forward, dict(model.named_parameters()))
    assert report.verdict == "intact", [str(b) for b in report.breaks] + [str(u) for u in report.unverifiable]
    forward().backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


def assert_every_break_found_with_its_line(model: nn.Module, forward, edited) -> None:
    expected = clobbered_layer_norms(model, forward)
    report = diagnose_forward(forward, dict(model.named_parameters()))
    assert expected and {b.module for b in report.breaks} == expected
    edit_lines = sites_of(edited, ".add_(")
    for found in report.breaks:
        assert found.join == "exact" and {e.site for e in found.bumped_by} <= edit_lines, str(found)
    with pytest.raises(RuntimeError) as error:
        forward().backward()
    found, saved = (int(v) for v in VERSIONS.search(str(error.value)).groups())
    assert (found, saved) in {(b.found_version, b.saved_version) for b in report.breaks}  # PyTorch's first


def tiny_gpt2():
    transformers = import_or_skip("transformers")
    config = transformers.GPT2Config(n_layer=2, n_head=2, n_embd=32, vocab_size=64, n_positions=16, bos_token_id=0,
                                     eos_token_id=0, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    torch.manual_seed(0)
    model = transformers.GPT2LMHeadModel(config)
    x = torch.randint(0, 64, (2, 8))
    return model, lambda: model(x, labels=x).loss


def gpt2_block_with_inplace_residuals(self, hidden_states, past_key_values=None, attention_mask=None,
                                      encoder_hidden_states=None, encoder_attention_mask=None, use_cache=False,
                                      **kwargs):
    """GPT2Block.forward without cross-attention, its two residual adds made in place."""
    attn_output, _ = self.attn(self.ln_1(hidden_states), past_key_values=past_key_values,
                               attention_mask=attention_mask, use_cache=use_cache, **kwargs)
    hidden_states.add_(attn_output)
    hidden_states.add_(self.mlp(self.ln_2(hidden_states)))
    return hidden_states


def test_gpt2_from_a_config_is_intact_and_its_backward_runs():
    assert_intact_and_backward_runs(*tiny_gpt2())


def test_gpt2_with_inplace_residuals_every_clobbered_layer_norm_is_found_with_the_add_line(monkeypatch):
    model, forward = tiny_gpt2()
    block_class = type(model.transformer.h[0])
    monkeypatch.setattr(block_class, "forward", gpt2_block_with_inplace_residuals)
    assert_every_break_found_with_its_line(model, forward, gpt2_block_with_inplace_residuals)


def test_bert_from_a_config_is_intact_and_its_backward_runs():
    transformers = import_or_skip("transformers")
    config = transformers.BertConfig(num_hidden_layers=2, num_attention_heads=2, hidden_size=32, intermediate_size=64,
                                     vocab_size=64, max_position_embeddings=16, hidden_dropout_prob=0.0,
                                     attention_probs_dropout_prob=0.0)
    torch.manual_seed(0)
    model = transformers.BertForMaskedLM(config)
    x = torch.randint(0, 64, (2, 8))
    assert_intact_and_backward_runs(model, lambda: model(input_ids=x, labels=x).loss)


@pytest.mark.parametrize("name", ["resnet18", "vit_tiny_patch16_224"])
def test_timm_models_from_configs_are_intact_and_their_backward_runs(name):
    timm = import_or_skip("timm")
    torch.manual_seed(0)
    size = 32 if name == "resnet18" else 224
    model = timm.create_model(name, pretrained=False, num_classes=4, img_size=size) if name.startswith("vit") \
        else timm.create_model(name, pretrained=False, num_classes=4)
    x = torch.randn(2, 3, size, size)
    assert_intact_and_backward_runs(model, lambda: model(x).logsumexp(-1).mean())


def encoder_layer_with_inplace_residuals(self, src, *args, **kwargs):
    """nn.TransformerEncoderLayer.forward (norm_first), its two residual adds made in place."""
    src.add_(self._sa_block(self.norm1(src), None, None))
    src.add_(self._ff_block(self.norm2(src)))
    return src


def test_torch_transformer_encoder_with_inplace_residuals_every_break_found_with_the_add_line(monkeypatch):
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(32, 2, 64, dropout=0.0, batch_first=True, norm_first=True)
    model = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    x = torch.randn(2, 8, 32)
    forward = lambda: model(x * 1.0).pow(2).mean()  # noqa: E731  (x * 1.0: add_ needs a non-leaf)
    assert_intact_and_backward_runs(model, forward)
    monkeypatch.setattr(nn.TransformerEncoderLayer, "forward", encoder_layer_with_inplace_residuals)
    assert_every_break_found_with_its_line(model, forward, encoder_layer_with_inplace_residuals)
