"""Figures. Each function takes data and returns a matplotlib Figure; `writebot report` uses the same ones."""

from __future__ import annotations

import io

import matplotlib

from writebot.files import write_atomic

matplotlib.use("Agg")  # headless by default; notebooks switch backends themselves
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

COLOURS = {"train": "#1f77b4", "val": "#d62728"}


def learning_curve(history, title: str = "") -> Figure:
    """Similarity and word edit cost per epoch, train vs val (means over topics)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for split, rows in history.groupby("split"):
        per_epoch = rows.groupby("epoch").agg(similarity=("similarity", "mean"),
                                              words=("word_edit_distance", "mean"))
        style = {"marker": "o", "color": COLOURS.get(split), "label": split}
        left.plot(per_epoch.index, per_epoch["similarity"], **style)
        right.plot(per_epoch.index, per_epoch["words"], **style)
    left.set(title="Similarity to ground truth", xlabel="epoch", ylabel="mean similarity (0-1)", ylim=(0, 1.02))
    right.set(title="Words the user still had to edit", xlabel="epoch", ylabel="mean word edit distance")
    right.set_ylim(bottom=0)
    for ax in (left, right):
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return fig


def save(fig: Figure, path) -> None:
    """Write the figure as PNG atomically and free it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    write_atomic(path, buffer.getvalue())
