"""The picture of the backward graph (igraph's layout, matplotlib's drawing): what each box says, and that it
is readable and written with no system package."""

import itertools
import xml.etree.ElementTree as ET

import torch
import torch.nn.functional as F
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.image import imread

from autograd_doctor import diagnose_forward
from autograd_doctor._picture import draw
from autograd_doctor._render import PICTURE_LEGEND, picture_graph, write_graph_files
from minigpt.lab.graph import diagnose_model
from minigpt.model import build_model


def inplace_after_layer_norm() -> torch.Tensor:
    w = torch.randn(16, 16, requires_grad=True)
    h = torch.randn(4, 16, requires_grad=True) * 1.0
    z = F.layer_norm(h, (16,))  # saves h
    h.add_(1.0)
    return (F.linear(z, w) + h).view(-1).sum()


MUTATION_LINE = inplace_after_layer_norm.__code__.co_firstlineno + 4


class KeptAsAttribute(torch.autograd.Function):
    """A custom Function that keeps its input as a ctx attribute: no version check will see it."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        return grad * 2


def boxes_by_style(boxes) -> dict[str, list]:
    styles: dict[str, list] = {}
    for box in boxes:
        styles.setdefault(box.style, []).append("\n".join(box.lines))
    return styles


def test_a_clobbered_save_is_a_red_box_with_its_versions_and_the_mutating_line():
    boxes, arrows = picture_graph(diagnose_forward(inplace_after_layer_norm))
    styles = boxes_by_style(boxes)
    [broken] = styles["broken"]
    assert "NativeLayerNormBackward0" in broken and "saved input [4, 16] at v0, now v1" in broken
    assert f"bumped by add_ at test_render.py:{MUTATION_LINE}" in broken
    [culprit] = styles["culprit"]
    assert culprit == f"add_ at tests/test_render.py:{MUTATION_LINE}\nv0->v1"
    [dashed] = [a for a in arrows if a.style == "culprit"]
    assert "NativeLayerNormBackward0" in boxes[dashed.target].lines[0]


def test_views_transposes_and_parameters_are_folded_out_of_the_picture():
    report = diagnose_forward(inplace_after_layer_norm)
    boxes, arrows = picture_graph(report)
    names = [box.lines[0] for box in boxes if box.style != "culprit"]
    assert not [n for n in names if "View" in n or "TBackward" in n or "AccumulateGrad" in n]
    assert len(boxes) < len(report.nodes)
    assert all(0 <= a.source < len(boxes) and 0 <= a.target < len(boxes) for a in arrows)


def test_an_unverifiable_save_is_a_yellow_box_with_its_reason_and_what_changed_it():
    def forward():
        h = torch.randn(4, 16, requires_grad=True) * 1.0
        y = KeptAsAttribute.apply(h)
        h.mul_(2)
        return y.sum()

    styles = boxes_by_style(picture_graph(diagnose_forward(forward))[0])
    [yellow] = styles["unverifiable"]
    assert "tensors kept outside save_for_backward" in yellow.replace("\n", " ")
    assert "ctx.x [4, 16]" in yellow and "changed by mul_ at test_render.py:" in yellow.replace("\n", " ")


def test_no_two_labels_overlap_in_the_picture_of_a_default_size_block(tiny_config):
    cfg = tiny_config("inplace=true", "model.n_embd=64", "model.n_layer=2", "attention=explicit")  # phase-25-graph
    torch.manual_seed(0)
    model = build_model(cfg, 16)
    x = torch.randint(0, 16, (2, cfg.data.block_size))
    report, region = diagnose_model(model, x, x)
    figure = draw(*picture_graph(report, region), "block 0", PICTURE_LEGEND)
    renderer = FigureCanvasAgg(figure).get_renderer()  # the PNG's renderer: text sizes as drawn
    texts = [t.get_window_extent(renderer) for t in figure.axes[0].texts]
    assert len(texts) > 15
    assert not [(a, b) for a, b in itertools.combinations(texts, 2) if a.overlaps(b)]
    assert all(figure.bbox.contains(t.x0, t.y0) and figure.bbox.contains(t.x1, t.y1) for t in texts)


def test_png_and_svg_are_written_with_no_graphviz_on_the_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot`, no system program at all
    paths = write_graph_files(diagnose_forward(inplace_after_layer_norm), tmp_path, "title")
    assert [p.name for p in paths] == ["graph.png", "graph.svg", "graph.dot", "graph.mmd"]
    height, width, _ = imread(tmp_path / "graph.png").shape
    assert height > 200 and width > 200
    svg = ET.parse(tmp_path / "graph.svg").getroot()
    words = " ".join(t.text or "" for t in svg.iter() if t.tag.endswith("text"))
    assert f"add_ at tests/test_render.py:{MUTATION_LINE}" in words
