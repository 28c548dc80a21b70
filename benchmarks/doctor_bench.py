"""The doctor's speed figures: its time against plain forward and backward as graphs grow, and explain()'s
cost on a whole training step beside anomaly mode's, on the default model and on Llama and ViT configs. Each
function returns figure dicts shaped like benchmarks/bench.py's (name and detail in both languages).

    python benchmarks/doctor_bench.py      # prints the figures
"""

import contextlib
import statistics
import time

import torch
from torch import nn
from torch.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook
from torch.overrides import TorchFunctionMode

from autograd_doctor import diagnose_forward, explain, watch_optimizer_steps
from minigpt.cli.common import load_config
from minigpt.data import make_splits
from minigpt.language import LANGUAGES, in_language, say
from minigpt.model import build_model
from minigpt.train import make_optimizer, training_step

SCALE_TARGET, EXPLAIN_TARGET = 2.5, 1.15  # issue 15: the doctor at scale, explain() on a step


def seconds(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def linear_relu_stack(layers: int) -> tuple:
    """nn.Sequential of `layers` x (Linear(8, 8), ReLU(inplace=True)), in both languages, and its loss function on a
    (16, 8) batch."""
    torch.manual_seed(0)
    model = nn.Sequential(*[m for _ in range(layers) for m in (nn.Linear(8, 8), nn.ReLU(inplace=True))])
    x = torch.randn(16, 8)
    return ({"en": f"nn.Sequential of {layers} x (Linear(8, 8), ReLU(inplace=True))",
             "es": f"nn.Sequential de {layers} x (Linear(8, 8), ReLU(inplace=True))"}, lambda: model(x).sum())


def sin_chain(length: int) -> tuple:
    """A chain of `length` sin calls on a (16,) tensor with history, named in both languages."""
    x = torch.randn(16, requires_grad=True)

    def loss():
        h = x * 1.0
        for _ in range(length):
            h = h.sin()
        return h.sum()
    return {"en": f"chain of {length:,} sin", "es": f"cadena de {length:,} sin"}, loss


def scale_figure(name: dict[str, str], loss, repeats: int = 3) -> dict:
    """diagnose_forward's time over a plain forward and backward of the same graph, interleaved, medians."""
    plain, doctor = [], []
    for _ in range(repeats):
        plain.append(seconds(lambda: loss().backward()))
        doctor.append(seconds(lambda: diagnose_forward(loss)))
    p, d = statistics.median(plain), statistics.median(doctor)
    return {"name": {lang: say(lang, f"graph doctor / plain forward+backward, {name[lang]}",
                               f"doctor del grafo / forward+backward normal, {name[lang]}") for lang in LANGUAGES},
            "value": round(d / p, 2), "unit": "x", "target": SCALE_TARGET, "better": "lower", "command": "just bench",
            "detail": {"en": f"{d:.2f} s with the doctor, {p:.2f} s plain, medians of {repeats}",
                       "es": f"{d:.2f} s con el doctor, {p:.2f} s sin él, medianas de {repeats}"}}


def scale_figures() -> list[dict]:
    """The doctor at the sizes of issue 10: 8000 and 16000 Linear+ReLU layers, 100k sin nodes."""
    return [scale_figure(*case) for case in (linear_relu_stack(8000), linear_relu_stack(16000), sin_chain(100_000))]


def default_model_step():
    """The course's default model and one training step of it (forward, backward, AdamW step); its name and sizes
    in both languages."""
    cfg = load_config([])
    splits = make_splits(cfg.data, cfg.seed)
    torch.manual_seed(cfg.seed)
    model = build_model(cfg, len(splits.vocab))
    optimizer = make_optimizer(model, cfg.train)
    x, y = splits.batch(torch.Generator().manual_seed(0), cfg.train.batch_size)
    sizes = f"B={cfg.train.batch_size}, T={cfg.data.block_size}, C={cfg.model.n_embd}"
    return ({"en": "default model", "es": "modelo por defecto"}, lambda: training_step(model, x, y, lambda: optimizer),
            {"en": f"{sizes}, {cfg.model.n_layer} layers", "es": f"{sizes}, {cfg.model.n_layer} capas"})


def hugging_face_steps() -> list[tuple]:
    """Llama and ViT built from small configs (random weights, no download), each with an AdamW step, named in both
    languages; [] without transformers (the real-models extra)."""
    try:
        import transformers
    except ImportError:
        return []
    torch.manual_seed(0)
    llama = transformers.LlamaForCausalLM(transformers.LlamaConfig(
        vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=64))
    vit = transformers.ViTForImageClassification(transformers.ViTConfig(
        image_size=32, patch_size=8, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_labels=10))
    tokens, images, labels = torch.randint(0, 256, (8, 32)), torch.randn(8, 3, 32, 32), torch.randint(0, 10, (8,))
    steps = []
    for name, model, batch in (({"en": "Llama (2 layers, C=64, T=32, B=8)", "es": "Llama (2 capas, C=64, T=32, B=8)"},
                                llama, {"input_ids": tokens, "labels": tokens}),
                               ({"en": "ViT (2 layers, C=64, 32x32 images, B=8)",
                                 "es": "ViT (2 capas, C=64, imágenes de 32x32, B=8)"},
                                vit, {"pixel_values": images, "labels": labels})):
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)

        def step(model=model, batch=batch, optimizer=optimizer):
            optimizer.zero_grad()
            model(**batch).loss.backward()
            optimizer.step()
        steps.append((name, step, dict.fromkeys(LANGUAGES, "transformers " + transformers.__version__)))
    return steps


class PassThrough(TorchFunctionMode):
    """A function mode that only calls through: what any tracer of this kind costs before doing anything. As
    explain() does, it steps off the mode stack for an optimizer step (torch's global step hooks)."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        return func(*args, **(kwargs or {}))

    def __enter__(self):
        self.popped = []

        def before(optimizer, args, kwargs):
            stack = torch.overrides._get_current_function_mode_stack()
            if stack and stack[-1] is self and not (args[1:] or kwargs.get("closure")):
                self.popped.append(torch.overrides._pop_mode())

        def after(optimizer, args, kwargs):
            if self.popped:
                torch.overrides._push_mode(self.popped.pop())
        self.hooks = [register_optimizer_step_pre_hook(before), register_optimizer_step_post_hook(after)]
        return super().__enter__()

    def __exit__(self, *exc):
        for hook in self.hooks:
            hook.remove()
        return super().__exit__(*exc)


def explain_and_anomaly(name: dict[str, str], step, detail: dict[str, str], rounds: int = 7,
                        steps: int = 10) -> list[dict]:
    """A whole training step under explain(), and under anomaly mode, over a plain one: the three alternate step by
    step within each round, so a busy moment hits all alike; each figure is the median round's ratio."""
    def explained():
        with explain():
            step()
        watch_optimizer_steps().stop()  # explain() leaves the step watch on: the other steps here run without it

    def anomaly():
        with torch.autograd.detect_anomaly(check_nan=False):
            step()

    def under_an_empty_mode():  # the floor of any TorchFunctionMode: one Python call per forward or backward torch
        # call, nothing else
        with PassThrough():
            step()

    def one_round() -> tuple[float, ...]:
        times = [(seconds(step), seconds(explained), seconds(anomaly), seconds(under_an_empty_mode))
                 for _ in range(steps)]
        return tuple(sum(t[i] for t in times) for i in range(4))

    one_round()  # warm-up
    times = [one_round() for _ in range(rounds)]
    plain_ms = statistics.median(t[0] for t in times) / steps * 1e3
    figures = []
    modes = ((dict.fromkeys(LANGUAGES, "explain()"), EXPLAIN_TARGET),
             ({"en": "anomaly mode", "es": "detección de anomalías"}, None),
             ({"en": "a TorchFunctionMode that does nothing, the step outside it (the floor)",
               "es": "un TorchFunctionMode que no hace nada, con el paso del optimizador fuera de él (el suelo)"},
              None))
    for k, (label, target) in enumerate(modes, start=1):
        ratios = sorted(t[k] / t[0] for t in times)
        figures.append({"name": {lang: say(lang, f"training step under {label[lang]} / plain step ({name[lang]})",
                                           f"paso de entrenamiento bajo {label[lang]} / paso normal ({name[lang]})")
                                 for lang in LANGUAGES},
                        "value": round(statistics.median(ratios), 2), "unit": "x", "target": target,
                        "better": "lower", "command": "just bench",
                        "detail": {lang: say(lang, f"rounds {ratios[0]:.2f}–{ratios[-1]:.2f}; plain {plain_ms:.1f} ms "
                                                   f"per step; {detail[lang]}",
                                             f"rondas {ratios[0]:.2f}–{ratios[-1]:.2f}; {plain_ms:.1f} ms por paso "
                                             f"normal; {detail[lang]}") for lang in LANGUAGES}})
    return figures


def per_call_figures(calls: int = 20_000, rounds: int = 7) -> list[dict]:
    """The profile behind the step ratios: microseconds one torch call gains under a mode that does nothing and
    under explain(), for three kinds of call (medians of alternated rounds)."""
    x, w, c = torch.randn(4, requires_grad=True), torch.randn(4, 4, requires_grad=True), torch.randn(4)
    kinds = [({"en": "a metadata read (x.shape)", "es": "una lectura de metadatos (x.shape)"}, lambda: x.shape),
             ({"en": "an op on tensors without history (c + c)",
               "es": "una operación sobre tensores sin historial (c + c)"}, lambda: c + c),
             ({"en": "an op that makes a node (w @ x)", "es": "una operación que crea un nodo (w @ x)"}, lambda: w @ x)]
    figures = []
    for kind, call in kinds:
        def us(context, call=call) -> float:
            with context:
                return seconds(lambda: [call() for _ in range(calls)]) / calls * 1e6
        rows = [(us(contextlib.nullcontext()), us(PassThrough()), us(explain())) for _ in range(rounds)]
        plain, empty, explained = (statistics.median(r[i] for r in rows) for i in range(3))
        figures.append({"name": {lang: say(lang, f"one torch call under explain(), over a plain call: {kind[lang]}",
                                           f"lo que añade explain() a una llamada de torch: {kind[lang]}")
                                 for lang in LANGUAGES},
                        "value": round(explained - plain, 2), "unit": "us", "target": None, "better": "lower",
                        "command": "just bench",
                        "detail": {"en": f"plain {plain:.2f} us; a mode that does nothing adds "
                                         f"{empty - plain:.2f} us (the floor), explain()'s own work "
                                         f"{explained - empty:.2f} us",
                                   "es": f"llamada normal {plain:.2f} us; un modo que no hace nada añade "
                                         f"{empty - plain:.2f} us (el suelo), el trabajo propio de explain() "
                                         f"{explained - empty:.2f} us"}})
    return figures


def explain_figures() -> list[dict]:
    """explain() and anomaly mode on the default model and on the Llama and ViT configs."""
    return [*(f for case in (default_model_step(), *hugging_face_steps()) for f in explain_and_anomaly(*case)),
            *per_call_figures()]


if __name__ == "__main__":
    for figure in [*explain_figures(), *scale_figures()]:
        print(f"{in_language(figure['name'], 'en')}: {figure['value']} {figure['unit']} (target {figure['target']}); "
              f"{in_language(figure['detail'], 'en')}")
