"""The doctor on real models nobody here wrote, built from configs with random weights (no downloads): intact where
PyTorch's backward runs, and after one in-place edit of a real block, every break found (counted apart from the
doctor, by the LayerNorms' own input versions) with the line of the edit. `pip install -e .[real-models]`."""

import importlib
import inspect
import re
import textwrap

import pytest
import torch
from source_lines import sites_of
from torch import nn

from autograd_doctor import diagnose_forward

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

    hooks = [m.register_forward_pre_hook(note(name)) for name, m in model.named_modules()
             if isinstance(m, nn.LayerNorm)]
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


def tiny_llama():
    transformers = import_or_skip("transformers")
    config = transformers.LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                      num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=16,
                                      bos_token_id=0, eos_token_id=0, pad_token_id=0, attention_dropout=0.0)
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(config)
    x = torch.randint(0, 64, (2, 8))
    return model, lambda: model(input_ids=x, labels=x).loss


def tiny_vit():
    transformers = import_or_skip("transformers")
    config = transformers.ViTConfig(image_size=16, patch_size=8, num_channels=3, hidden_size=32, num_hidden_layers=2,
                                    num_attention_heads=2, intermediate_size=64, hidden_dropout_prob=0.0,
                                    attention_probs_dropout_prob=0.0, num_labels=3)
    torch.manual_seed(0)
    model = transformers.ViTForImageClassification(config)
    x, labels = torch.randn(2, 3, 16, 16), torch.tensor([0, 2])
    return model, lambda: model(pixel_values=x, labels=labels).loss


def tiny_convnext():
    transformers = import_or_skip("transformers")
    config = transformers.ConvNextConfig(num_channels=3, patch_size=2, num_stages=2, hidden_sizes=[8, 16],
                                         depths=[1, 1], drop_path_rate=0.0, image_size=16)
    torch.manual_seed(0)
    model = transformers.ConvNextModel(config)
    x = torch.randn(2, 3, 16, 16)
    return model, lambda: model(pixel_values=x).pooler_output.pow(2).mean()


@pytest.mark.parametrize("build", [tiny_llama, tiny_vit, tiny_convnext], ids=["llama", "vit", "convnext"])
def test_llama_vit_convnext_from_configs_are_intact_and_their_backward_runs(build):
    assert_intact_and_backward_runs(*build())


def llama_layer_forward_with_inplace_residuals(tmp_path):
    """LlamaDecoderLayer.forward from transformers' own source, its two residual adds made in place
    (`hidden_states = residual.add_(hidden_states)`), compiled from a file so the doctor can name its lines."""
    from transformers.models.llama import modeling_llama
    source = textwrap.dedent(inspect.getsource(modeling_llama.LlamaDecoderLayer.forward))
    source = "\n".join(line for line in source.splitlines() if not line.startswith("@"))  # no decorators
    assert source.count("hidden_states = residual + hidden_states") == 2, "transformers' LlamaDecoderLayer changed"
    source = source.replace("hidden_states = residual + hidden_states", "hidden_states = residual.add_(hidden_states)")
    path = tmp_path / "patched_llama_decoder_layer.py"
    path.write_text(source + "\n")
    namespace = dict(vars(modeling_llama))
    exec(compile(source, str(path), "exec"), namespace)  # noqa: S102 - transformers' own source, one line changed
    return namespace["forward"], path


def clobbered_saves(loss: torch.Tensor) -> int:
    """How many saved tensors of `loss`'s graph PyTorch itself would refuse (reading one raises the version error),
    found by reading every `_saved_*` tensor of every node: no doctor involved."""
    count, seen, stack = 0, set(), [loss.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        for name in dir(node):
            if name.startswith("_saved_"):
                try:
                    getattr(node, name)
                except RuntimeError as e:
                    count += "modified by an inplace operation" in str(e)
        stack.extend(next_node for next_node, _ in node.next_functions)
    return count


def saves_in_note(note: str) -> int:
    """The saves a note prints: its first line's one or N, plus its "N more clobbered saved tensor(s)" line."""
    first = re.search(r"autograd_doctor: (\d+) saved tensors fail", note)
    more = re.search(r"autograd_doctor: (\d+) more clobbered saved tensor", note)
    return (int(first[1]) if first else 1) + (int(more[1]) if more else 0)


def test_llama_with_inplace_residuals_every_clobbered_save_is_in_the_explain_note(monkeypatch, tmp_path):
    import autograd_doctor
    model, forward = tiny_llama()
    from transformers.models.llama import modeling_llama
    patched, path = llama_layer_forward_with_inplace_residuals(tmp_path)
    monkeypatch.setattr(modeling_llama.LlamaDecoderLayer, "forward", patched)
    seen = {}

    def note(name: str):
        def hook(module, args) -> None:
            seen.setdefault(name, (args[0], args[0]._version))
        return hook

    hooks = [m.register_forward_pre_hook(note(name)) for name, m in model.named_modules()
             if isinstance(m, modeling_llama.LlamaRMSNorm)]
    try:
        loss = forward()
    finally:
        for hook in hooks:
            hook.remove()
    clobbered_norms = {name for name, (tensor, version) in seen.items() if tensor._version != version}
    expected_saves = clobbered_saves(loss)
    assert len(clobbered_norms) == 4 and expected_saves >= len(clobbered_norms)  # 2 layers x 2 RMSNorms
    with pytest.raises(RuntimeError) as error:
        with autograd_doctor.explain():
            forward().backward()
    note_text = autograd_doctor.doctor_notes(error.value)
    assert note_text is not None
    assert saves_in_note(note_text) == expected_saves, note_text
    # The note sites each save by the layer line that called its RMSNorm (the norm's own code is transformers'):
    # both saves (pow's and mul's input) of every clobbered norm are printed, each with only the add_ lines.
    lines = path.read_text().splitlines()
    call_line = {kind: next(k for k, line in enumerate(lines, 1) if f"self.{kind}(" in line)
                 for kind in ("input_layernorm", "post_attention_layernorm")}
    for kind, line in call_line.items():
        printed = len(re.findall(rf"\(created at \S*{path.name}:{line}\)", note_text))
        assert printed == 2 * sum(name.endswith(kind) for name in clobbered_norms), (kind, note_text)
    add_lines = {k for k, line in enumerate(lines, 1) if ".add_(" in line}
    changed_at = {int(k) for k in re.findall(rf"add_ \(v\d+->v\d+\) at \S*{path.name}:(\d+)", note_text)}
    assert changed_at == add_lines, note_text
