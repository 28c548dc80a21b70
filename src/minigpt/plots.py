"""Training curves as a PNG: the loss every step, validation loss and test accuracy at each evaluation."""

from pathlib import Path
from typing import Optional

import matplotlib

matplotlib.use("Agg")  # files only, no window
import matplotlib.pyplot as plt  # noqa: E402


def plot_curves(runs: dict[str, list[dict]], path: Path, title: str, note: Optional[str] = None) -> None:
    """Loss (left) and test accuracy (right) of one or more runs' metrics records, overlaid."""
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for label, history in runs.items():
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
            ax.legend(fontsize=8)
    if note:
        fig.text(0.5, 0.5, note, ha="center", va="center", fontsize=11, color="firebrick",
                 bbox={"facecolor": "white", "edgecolor": "firebrick"})
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
