"""The doctor's report as pictures: a rich tree for the terminal, PNG and SVG (no system package), DOT, Mermaid."""

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from autograd_doctor._doctor import UNTRACED, DoctorReport, NodeReport, Region, SavedSlot, bumped_phrase
from autograd_doctor._events import InplaceEvent
from autograd_doctor._picture import BROKEN_FILL, UNVERIFIABLE_FILL, Arrow, Box, draw, save

if TYPE_CHECKING:
    from rich.tree import Tree

WRAP = 46  # characters per line in a picture's box
PICTURE_LEGEND = ("red: a saved tensor an in-place op changed after it was saved (backward will raise there),\n"
                  "     with its versions and the line that bumped it; dashed red arrows come from that op.\n"
                  "yellow: saved tensors the version check cannot see (unverifiable). grey dashed: where the walk\n"
                  "     stops (the part's inputs). Views and transposes are folded into their arrows; parameters and\n"
                  "     other leaves are left out (graph.dot has every node).")


def slot_text(slot: SavedSlot) -> str:
    """One saved slot in words: "input [8, 12, 64]: saved at v1, now v4, bumped by add_ at ...". """
    shape = f" {list(slot.shape)}" if slot.shape is not None else ""
    if slot.status == "clobbered":
        return (f"{slot.name}{shape}: saved at v{slot.saved_version}, now v{slot.found_version}"
                f"{bumped_phrase(slot.bumped_by, slot.join)}")
    if slot.status == "unverifiable":
        changed = "; changed in place by " + ", ".join(map(str, slot.changed_by)) if slot.changed_by else ""
        return f"{slot.name}{shape}: {slot.message}{changed}"
    return f"{slot.name}{shape} v{slot.saved_version}"


def node_title(node: NodeReport) -> str:
    """"#12 NativeLayerNormBackward0 [blocks.0.ln2] (block.py:28 > layer_norm.py:64)"."""
    title = f"#{node.index} {node.name}"
    if node.leaf_name:
        title += f" -> {node.leaf_name}"
    elif node.module:
        title += f" [{node.module}]"
    if node.stack:
        title += f"  ({' > '.join(Path(frame).name for frame in node.stack[-2:])})"
    return title


def is_plumbing(node: NodeReport) -> bool:
    """A node with no saved tensor and one input (view, transpose, clone): a link in a chain, not a stop."""
    return not node.slots and len(node.next_indices) == 1 and not node.leaf_name


def is_leaf(node: NodeReport) -> bool:
    """A node that accumulates into a leaf tensor (a parameter, or an input that requires grad)."""
    return bool(node.leaf_name) or node.name.endswith("AccumulateGrad")


def node_style(node: NodeReport) -> str:
    """Red for a node with a clobbered slot, yellow for an unverifiable one."""
    return "bold red" if node.clobbered else "yellow" if node.unverifiable_reason else ""


def region_nodes(report: DoctorReport, region: Region) -> list[int]:
    """The nodes of one region (a layer): reachable from its output, stopping at the nodes that made its inputs."""
    order, seen, stack = [], set(region.input_indices), [region.output_index]
    while stack:
        i = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        order.append(i)
        stack.extend(reversed(report.nodes[i].next_indices))
    return order


def rich_tree(report: DoctorReport, root: int, stop: frozenset[int] = frozenset(), title: str = "") -> "Tree":
    """The backward graph from node `root` as a tree. Chains of plumbing nodes share one line; a node
    met twice is referred back to; parameters are one line each. Needs rich (the `rich` extra)."""
    from rich.text import Text  # rich only when a tree is drawn: the doctor itself needs torch alone
    from rich.tree import Tree
    tree = Tree(Text(title or "backward graph", style="bold"))
    shown: set[int] = set()

    def add(parent: "Tree", i: int) -> None:
        chain = []
        while is_plumbing(report.nodes[i]) and i not in stop and i not in shown:
            shown.add(i)
            chain.append(report.nodes[i].name)
            i = report.nodes[i].next_indices[0]
        node, prefix = report.nodes[i], "".join(f"{name} > " for name in chain)
        if i in stop:
            parent.add(Text(f"{prefix}#{i} {node.name}  (made the block's input: the walk stops here)", style="dim"))
        elif i in shown:
            parent.add(Text(f"{prefix}#{i} {node.name}  (see above)", style="dim"))
        elif node.leaf_name:
            shown.add(i)
            parent.add(Text(f"{prefix}parameter {node.leaf_name}", style="dim"))
        else:
            shown.add(i)
            branch = parent.add(Text(prefix, style="dim") + Text(node_title(node), style=node_style(node)))
            if node.unverifiable_reason:
                branch.add(Text(node.unverifiable_reason, style="yellow"))
            for slot in node.slots:
                style = {"clobbered": "red", "unverifiable": "yellow"}.get(slot.status, "dim")
                branch.add(Text("saved " + slot_text(slot), style=style))
            for child in node.next_indices:
                add(branch, child)

    add(tree, root)
    return tree


def dot_escape(text: str) -> str:
    """Text safe inside a double-quoted DOT label."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_dot(report: DoctorReport, title: str = "backward graph") -> str:
    """The whole backward graph in Graphviz DOT: broken nodes red, unverifiable yellow, culprit ops linked."""
    lines = ["digraph backward {", f'  label="{dot_escape(title)}"; labelloc=t; rankdir=TB;',
             '  node [shape=box, style="rounded,filled", fillcolor=white, fontname="Helvetica", fontsize=10];']
    for node in report.nodes:
        label = "\\n".join([dot_escape(node_title(node))]
                           + [dot_escape(slot_text(s)) for s in node.slots if s.status != "ok"])
        color = f', fillcolor="{BROKEN_FILL}", color=red, penwidth=2' if node.clobbered else \
            f', fillcolor="{UNVERIFIABLE_FILL}", color=orange' if node.unverifiable_reason else ""
        lines.append(f'  n{node.index} [label="{label}"{color}];')
    for node in report.nodes:
        lines += [f"  n{node.index} -> n{child};" for child in node.next_indices]
    for k, event in enumerate(culprit_events(report)):
        lines.append(f'  e{k} [label="{dot_escape(str(event))}\\nv{event.version_before} -> '
                     f'v{event.version_after}", shape=ellipse, fillcolor="{BROKEN_FILL}", color=red];')
        for node in report.nodes:
            if any(event in s.bumped_by or event in s.changed_by for s in node.slots):
                lines.append(f'  e{k} -> n{node.index} [style=dashed, color=red];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def culprit_events(report: DoctorReport) -> list[InplaceEvent]:
    """The in-place events that bumped or changed a saved slot, each once, in the order they ran."""
    culprits = {id(e) for n in report.nodes for s in n.slots for e in s.bumped_by + s.changed_by}
    return [e for e in report.events or [] if id(e) in culprits]


def mermaid_escape(text: str) -> str:
    """Text safe inside a quoted Mermaid label (entity codes for quotes and angle brackets)."""
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def to_mermaid(report: DoctorReport) -> str:
    """The backward graph as a Mermaid flowchart, for markdown viewers; same highlighting as the DOT."""
    lines = ["flowchart TD",
             f"  classDef broken fill:{BROKEN_FILL},stroke:#c00,stroke-width:2px",
             f"  classDef unverifiable fill:{UNVERIFIABLE_FILL},stroke:#e90"]
    for node in report.nodes:
        label = "<br/>".join(mermaid_escape(t) for t in
                             [node_title(node)] + [slot_text(s) for s in node.slots if s.status != "ok"])
        css = ":::broken" if node.clobbered else ":::unverifiable" if node.unverifiable_reason else ""
        lines.append(f'  n{node.index}["{label}"]{css}')
    for node in report.nodes:
        lines += [f"  n{node.index} --> n{child}" for child in node.next_indices]
    for k, event in enumerate(culprit_events(report)):
        lines.append(f'  e{k}(["{mermaid_escape(str(event))}"]):::broken')
        for node in report.nodes:
            if any(event in s.bumped_by or event in s.changed_by for s in node.slots):
                lines.append(f"  e{k} -.-> n{node.index}")
    return "\n".join(lines) + "\n"


def picture_graph(report: DoctorReport, region: Region | None = None) -> tuple[list[Box], list[Arrow]]:
    """The boxes and arrows of a picture of `region` (the whole graph when None): every node but plumbing
    chains (folded into their arrows) and leaves (left out), and one box per in-place op and line that
    bumped a saved tensor shown."""
    stop = set(region.input_indices) if region else set()
    shown = region_nodes(report, region) if region else range(len(report.nodes))
    kept = [i for i in shown if not is_plumbing(report.nodes[i]) and not is_leaf(report.nodes[i])]
    kept += sorted(stop)
    box_of = {i: k for k, i in enumerate(kept)}
    boxes = [node_box(report.nodes[i], i in stop) for i in kept]
    arrows = []
    for i in kept:
        for child in [] if i in stop else report.nodes[i].next_indices:
            while is_plumbing(report.nodes[child]) and child not in stop:
                child = report.nodes[child].next_indices[0]
            arrow = Arrow(box_of[i], box_of[child]) if child in box_of else None
            if arrow and arrow not in arrows:  # q, k and v reach the same split through three chains
                arrows.append(arrow)
    culprits: dict[tuple[str, str], list[InplaceEvent]] = {}  # (op, line) -> its events: one box per line of code
    for i in kept:
        for event in (e for s in report.nodes[i].slots for e in s.bumped_by + s.changed_by):
            events = culprits.setdefault((event.op, event.site), [])
            if event not in events:
                events.append(event)
            arrow = Arrow(len(boxes) + list(culprits).index((event.op, event.site)), box_of[i], "culprit")
            if arrow not in arrows:
                arrows.append(arrow)
    for (op, site), events in culprits.items():
        versions = ", ".join(f"v{e.version_before}->v{e.version_after}" for e in events)
        boxes.append(Box([f"{op} at {site}", *textwrap.wrap(versions, WRAP)], "culprit"))
    return boxes, arrows


def node_box(node: NodeReport, boundary: bool) -> Box:
    """The box of one node: its name, module and line, then every slot that is not ok, wrapped."""
    where = " · ".join(filter(None, [node.module, Path(node.source).name if node.source else None]))
    lines = [f"#{node.index} {node.name}"] + ([where] if where else [])
    if boundary:
        return Box(lines + ["(an input: the walk stops here)"], "boundary")
    for slot in node.clobbered:
        lines += [f"saved {slot.name}{shape_text(slot)} at v{slot.saved_version}, now v{slot.found_version}",
                  *textwrap.wrap(f"bumped by {short_sites(slot.bumped_by, slot.join)}", WRAP)]
    unverifiable = [s for s in node.slots if s.status == "unverifiable"]
    for reason in dict.fromkeys(s.message for s in unverifiable):  # one reason often covers every slot
        slots = [s for s in unverifiable if s.message == reason]
        changed = short_sites([e for s in slots for e in s.changed_by])
        lines += [*textwrap.wrap(f"unverifiable: {reason}", WRAP),
                  *textwrap.wrap("saves " + ", ".join(s.name + shape_text(s) for s in slots), WRAP),
                  *(textwrap.wrap(f"changed by {changed}", WRAP) if changed else [])]
    return Box(lines, "broken" if node.clobbered else "unverifiable" if node.unverifiable_reason else "op")


def shape_text(slot: SavedSlot) -> str:
    """" [8, 12, 64]", or nothing when the shape is unknown (a hook packed the tensor)."""
    return f" {list(slot.shape)}" if slot.shape is not None else ""


def short_sites(events: list[InplaceEvent], join: str | None = "exact") -> str:
    """"add_ at block.py:29, add_ at block.py:28": each op and line once, file names without their folders;
    with an incomplete join, the steps the tracer did not see are said to be unknown, never guessed."""
    named = list(dict.fromkeys(f"{e.op} at {Path(e.site).name}" for e in events))
    if join != "exact":
        named.append(UNTRACED)
    return ", ".join(named)


def write_graph_files(report: DoctorReport, directory: Path, title: str,
                      region: Region | None = None) -> list[Path]:
    """graph.png and graph.svg (the picture of `region`, or of the whole graph), graph.dot and graph.mmd (the
    whole graph) in `directory`; returns their paths."""
    dot_path, mermaid_path = directory / "graph.dot", directory / "graph.mmd"
    dot_path.write_text(to_dot(report, title), encoding="utf-8")
    mermaid_path.write_text(to_mermaid(report), encoding="utf-8")
    boxes, arrows = picture_graph(report, region)
    return [*save(draw(boxes, arrows, title, PICTURE_LEGEND), directory), dot_path, mermaid_path]
