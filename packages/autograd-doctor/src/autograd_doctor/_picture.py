"""Boxes and arrows as PNG and SVG with what `pip install` brings: igraph's Sugiyama layout, drawn by matplotlib.

igraph places each box on a layer and orders every layer to cut crossings; it treats boxes as points,
so the horizontal unit is the widest box. A fixed-width font (DejaVu Sans Mono, shipped with matplotlib)
gives each box its size before anything is drawn.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FONT: dict[str, Any] = {"family": "DejaVu Sans Mono", "size": 9}
CHAR_WIDTH = 0.602 * FONT["size"] / 72  # inches: DejaVu Sans Mono advances 0.602 em per character
LINE_HEIGHT = 1.3 * FONT["size"] / 72
PAD = 0.08  # inches of box around the text
HGAP, VGAP = 0.35, 0.45  # inches between neighbouring boxes, and between layers
MARGIN = 0.3
DPI = 120  # 9 pt text is 15 px tall: readable without zooming
BROKEN_FILL, UNVERIFIABLE_FILL = "#ffd6d6", "#fff3c4"
STYLES: dict[str, dict[str, Any]] = {
    "op": {"facecolor": "white", "edgecolor": "#555555", "linewidth": 1.0},
    "broken": {"facecolor": BROKEN_FILL, "edgecolor": "#cc0000", "linewidth": 2.2},
    "unverifiable": {"facecolor": UNVERIFIABLE_FILL, "edgecolor": "#e69500", "linewidth": 2.2},
    "boundary": {"facecolor": "#eeeeee", "edgecolor": "#999999", "linewidth": 1.0, "linestyle": "--"},
    "culprit": {"facecolor": BROKEN_FILL, "edgecolor": "#cc0000", "linewidth": 1.4},
}
EDGE_STYLES: dict[str, dict[str, Any]] = {"flow": {"color": "#777777", "linewidth": 1.0},
               "culprit": {"color": "#cc0000", "linewidth": 1.3, "linestyle": (0, (4, 3))}}


@dataclass
class Box:
    """One box: its lines of text and one of STYLES."""

    lines: list[str]
    style: str = "op"

    @property
    def size(self) -> tuple[float, float]:
        """Width and height in inches, text and padding."""
        return (max(map(len, self.lines)) * CHAR_WIDTH + 2 * PAD, len(self.lines) * LINE_HEIGHT + 2 * PAD)


@dataclass
class Arrow:
    """An arrow from box `source` to box `target` (indices), in one of EDGE_STYLES."""

    source: int
    target: int
    style: str = "flow"


def draw(boxes: list[Box], arrows: list[Arrow], title: str, legend: str) -> "Figure":
    """The boxes on layers, top to bottom along the arrows, with the title above and the legend below: a
    matplotlib Figure."""
    # igraph and matplotlib load in ~0.5 s each: only when a picture is drawn
    import igraph
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    layers = layer_numbers(len(boxes), arrows)
    graph = igraph.Graph(n=len(boxes), edges=[(a.source, a.target) for a in arrows], directed=True)
    layout = graph.layout_sugiyama(layers=layers)
    unit = max(box.size[0] for box in boxes) + HGAP  # igraph spaces points 1 apart: one widest box per unit
    heights = [max((b.size[1] for b, layer in zip(boxes, layers, strict=False) if layer == k), default=0)
               for k in range(max(layers) + 1)]
    tops = [sum(heights[:k]) + k * VGAP for k in range(len(heights))]  # inches down from the first layer
    centre_y = [-(tops[k] + heights[k] / 2) for k in range(len(heights))]
    xs = [x * unit for x, _ in layout.coords]
    routes = [[(x * unit, centre_y[round(y)]) for x, y in bends] for bends in layout.edge_routing]
    bend_xs = [x for route in routes for x, _ in route]
    left, right = min(xs + bend_xs) - unit / 2, max(xs + bend_xs) + unit / 2
    bottom = -(tops[-1] + heights[-1])
    title_height, legend_height = 2 * LINE_HEIGHT, (legend.count("\n") + 2) * LINE_HEIGHT
    width, height = right - left + 2 * MARGIN, -bottom + title_height + legend_height + 2 * MARGIN
    figure = Figure(figsize=(width, height))
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(left - MARGIN, right + MARGIN)
    axes.set_ylim(bottom - legend_height - MARGIN, title_height + MARGIN)
    axes.axis("off")
    centres = [(xs[i], centre_y[layers[i]]) for i in range(len(boxes))]
    for arrow, route in zip(arrows, routes, strict=False):
        draw_arrow(axes, arrow, boxes, centres, route)
    for box, (x, y) in zip(boxes, centres, strict=False):
        w, h = box.size
        axes.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.06",
                                      zorder=2, **STYLES[box.style]))
        axes.text(x, y, "\n".join(box.lines), ha="center", va="center", zorder=3, linespacing=1.3, **FONT)
    axes.text(left, title_height / 2 + MARGIN / 2, title, ha="left", va="center", weight="bold",
              family=FONT["family"], size=FONT["size"] + 2)
    axes.text(left, bottom - MARGIN / 2, legend, ha="left", va="top", color="#333333", linespacing=1.3, **FONT)
    return figure


def layer_numbers(count: int, arrows: list[Arrow]) -> list[int]:
    """Layer of each box: flow arrows go one layer down at least (longest path from the top); a culprit box
    sits one layer above the highest box it points at."""
    layers = [0] * count
    flow = [a for a in arrows if a.style == "flow"]
    for _ in range(count):  # relax until stable: at most one pass per box in a DAG
        moved = False
        for a in flow:
            if layers[a.target] < layers[a.source] + 1:
                layers[a.target], moved = layers[a.source] + 1, True
        if not moved:
            break
    for source in {a.source for a in arrows if a.style == "culprit"}:
        layers[source] = min(layers[a.target] for a in arrows if a.source == source) - 1
    lowest = min(layers, default=0)
    return [layer - lowest for layer in layers]


def draw_arrow(axes: "Axes", arrow: Arrow, boxes: list[Box], centres: list[tuple[float, float]],
               bends: list[tuple[float, float]]) -> None:
    """One arrow from the bottom of its source box, through igraph's bend points, to the top of its target."""
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path as CurvePath

    (sx, sy), (tx, ty) = centres[arrow.source], centres[arrow.target]
    points = [(sx, sy - boxes[arrow.source].size[1] / 2), *bends, (tx, ty + boxes[arrow.target].size[1] / 2)]
    codes = [CurvePath.MOVETO] + [CurvePath.LINETO] * (len(points) - 1)
    axes.add_patch(FancyArrowPatch(path=CurvePath(points, codes), arrowstyle="-|>", mutation_scale=10,
                                   zorder=1, **EDGE_STYLES[arrow.style]))


def save(figure: "Figure", directory: Path, stem: str = "graph") -> list[Path]:
    """<stem>.png and <stem>.svg in `directory`; returns both paths."""
    paths = [directory / f"{stem}.png", directory / f"{stem}.svg"]
    from matplotlib import rc_context

    figure.savefig(paths[0], dpi=DPI, pil_kwargs={"compress_level": 1})  # faster than zlib's default, a bit bigger
    with rc_context({"svg.fonttype": "none"}):  # text stays text: searchable, and a tenth of the size of glyph paths
        figure.savefig(paths[1])
    return paths
