"""The doctor's report as pictures: a rich tree for the terminal, DOT, SVG (when `dot` exists), Mermaid."""

import shutil
import subprocess
from pathlib import Path
from typing import Optional

from rich.text import Text
from rich.tree import Tree

from autograd_doctor.doctor import Region, DoctorReport, NodeReport, SavedSlot, bumped_phrase

DOT_MISSING = ("graph.svg not written: the `dot` program of Graphviz is not installed "
               "(apt-get install graphviz, or brew install graphviz; `pip install graphviz` "
               "is only the Python binding and does not ship `dot`)")
BROKEN_FILL, UNVERIFIABLE_FILL = "#ffd6d6", "#fff3c4"


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


def rich_tree(report: DoctorReport, root: int, stop: frozenset[int] = frozenset(), title: str = "") -> Tree:
    """The backward graph from node `root` as a tree. Chains of plumbing nodes share one line; a node
    met twice is referred back to; parameters are one line each."""
    tree = Tree(Text(title or "backward graph", style="bold"))
    shown: set[int] = set()

    def add(parent: Tree, i: int) -> None:
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
        color = ', fillcolor="%s", color=red, penwidth=2' % BROKEN_FILL if node.clobbered else \
            ', fillcolor="%s", color=orange' % UNVERIFIABLE_FILL if node.unverifiable_reason else ""
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


def culprit_events(report: DoctorReport) -> list:
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


def write_graph_files(report: DoctorReport, directory: Path, title: str) -> tuple[list[Path], Optional[str]]:
    """graph.dot, graph.mmd and (when `dot` is installed) graph.svg; returns the paths and a note if no SVG."""
    dot_path, mermaid_path = directory / "graph.dot", directory / "graph.mmd"
    dot_path.write_text(to_dot(report, title), encoding="utf-8")
    mermaid_path.write_text(to_mermaid(report), encoding="utf-8")
    dot = shutil.which("dot")
    if dot is None:
        return [dot_path, mermaid_path], DOT_MISSING
    svg_path = directory / "graph.svg"
    subprocess.run([dot, "-Tsvg", str(dot_path), "-o", str(svg_path)], check=True, capture_output=True)
    return [dot_path, svg_path, mermaid_path], None
