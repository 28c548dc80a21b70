"""PNG plots: training curves, per-parameter gradient errors of a comparison, mean curves of a sweep."""

from pathlib import Path
from typing import Optional

import matplotlib

matplotlib.use("Agg")  # files only, no window
import matplotlib.pyplot as plt  # noqa: E402

from minigpt.lab.compare.parameters import block_of  # noqa: E402


def plot_curves(runs: dict[str, list[dict]], path: Path, title: str, note: Optional[str] = None) -> None:
    """Loss (left) and test accuracy (right) of one or more runs' metrics records, overlaid."""
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for label, history in runs.items():
        if not history:
            continue  # a run that crashed before its first step: the note says so
        steps = [r["step"] for r in history]
        (line,) = ax_loss.plot(steps, [r["loss"] for r in history], alpha=0.5, label=f"{label} train")
        evals = [r for r in history if "val_loss" in r]
        ax_loss.plot([r["step"] for r in evals], [r["val_loss"] for r in evals], "o-",
                     color=line.get_color(), label=f"{label} validation")
        ax_acc.plot([r["step"] for r in evals], [r["test_accuracy"] for r in evals], "o-",
                    color=line.get_color(), label=label)
    ax_loss.set(xlabel="step", ylabel="cross-entropy loss", title="loss")
    ax_acc.set(xlabel="step", ylabel="accuracy", title="test accuracy (rule positions)", ylim=(0, 1.02))
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        if ax.has_data():
            ax.legend(fontsize=8, loc="center right")
    if note:
        fig.text(0.5, 0.5, note, ha="center", va="center", fontsize=11, color="firebrick",
                 bbox={"facecolor": "white", "edgecolor": "firebrick"})
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


VERDICT_COLORS = {"identical": "tab:green", "rounding": "tab:gray", "differs": "firebrick", "missing": "tab:orange"}


def plot_relative_errors(steps: dict[int, list[tuple[str, Optional[float], str]]], bound: float, path: Path,
                         title: str) -> None:
    """Relative gradient error per parameter on a log scale, one panel per step.

    steps: step -> (parameter name, relative error or None, verdict) rows in model order, drawn top
    to bottom with a line between blocks; identical rows have no bar, missing ones a hatched bar.
    """
    names = [name for name, _, _ in next(iter(steps.values()))]
    errors = [rel for rows in steps.values() for _, rel, _ in rows if rel]
    left = min([bound / 100, *[e / 3 for e in errors]])
    right = max([10.0, *[e * 3 for e in errors if e != float("inf")]])
    label_width = 0.3 + 0.065 * max(map(len, names))  # inches of 8-point tick labels
    width, height = label_width + 4.5 * len(steps), 1.3 + 0.25 * len(names)
    fig, axes = plt.subplots(1, len(steps), figsize=(width, height), sharey=True, squeeze=False)
    # fixed margins: tight_layout would lay the text out several times and double the drawing time
    fig.subplots_adjust(left=label_width / width, right=1 - 0.2 / width, top=1 - 0.65 / height,
                        bottom=0.85 / height, wspace=0.08)
    for ax, (step, rows) in zip(axes[0], steps.items()):
        for verdict in ("rounding", "differs"):
            ys = [y for y, row in enumerate(rows) if row[2] == verdict]
            ax.barh(ys, [min(rows[y][1], right) - left for y in ys], left=left, color=VERDICT_COLORS[verdict])
        missing = [y for y, row in enumerate(rows) if row[2] == "missing"]
        ax.barh(missing, right - left, left=left, color="white", edgecolor=VERDICT_COLORS["missing"], hatch="//")
        for y, (_, _, verdict) in enumerate(rows):
            if verdict in ("identical", "missing"):
                ax.text(left * 1.5, y, verdict if verdict == "identical" else "missing: no gradient in one run",
                        va="center", fontsize=7, color=VERDICT_COLORS[verdict] if verdict == "identical" else "black",
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
        for y in range(1, len(rows)):
            if block_of(rows[y][0]) != block_of(rows[y - 1][0]):
                ax.axhline(y - 0.5, color="black", linewidth=0.6)
        ax.axvline(bound, color="black", linestyle="--", linewidth=1)
        ax.set(xscale="log", xlim=(left, right), title=f"step {step}",
               xlabel="relative error ‖g_B − g_A‖ / ‖g_A‖")
        ax.grid(axis="x", alpha=0.3)
    axes[0][0].set_yticks(range(len(names)), names, fontsize=8)
    axes[0][0].set_ylim(len(names) - 0.5, -0.5)  # first parameter on top
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in VERDICT_COLORS.values()]
    handles.append(plt.Line2D([], [], color="black", linestyle="--", linewidth=1))
    fig.legend(handles, [*VERDICT_COLORS, f"float32 rounding bound ({bound:.1e})"], loc="lower center", ncol=5,
               fontsize=8)
    fig.suptitle(title)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_mean_curves(variants: dict[str, list[list[dict]]], path: Path, title: str) -> None:
    """Validation loss and test accuracy per variant: the mean over its runs, with the min-max band."""
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4.5))
    styles = ["-", "--", ":", "-.", (0, (5, 1, 1, 1))]  # variants that train alike overlap: keep each one visible
    for i, (label, histories) in enumerate(variants.items()):
        evals = [[r for r in h if "val_loss" in r] for h in histories]
        evals = [e for e in evals if e]
        if not evals:
            continue
        n = min(len(e) for e in evals)  # a run cut short contributes the evaluations it has
        steps = [r["step"] for r in evals[0][:n]]
        for ax, key in [(ax_loss, "val_loss"), (ax_acc, "test_accuracy")]:
            values = [[e[i][key] for e in evals] for i in range(n)]
            (line,) = ax.plot(steps, [sum(v) / len(v) for v in values], marker="o", markersize=3,
                              linestyle=styles[i % len(styles)], linewidth=1.8, label=f"{label} (n={len(evals)})")
            ax.fill_between(steps, [min(v) for v in values], [max(v) for v in values], color=line.get_color(),
                            alpha=0.2)
    ax_loss.set(xlabel="step", ylabel="cross-entropy loss", title="validation loss: mean, band = min–max")
    ax_acc.set(xlabel="step", ylabel="accuracy", title="test accuracy: mean, band = min–max", ylim=(0, 1.02))
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        if ax.has_data():
            ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
