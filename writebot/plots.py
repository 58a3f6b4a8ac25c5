"""Figures. Each function takes data and returns a matplotlib Figure; `writebot report` uses the same ones."""

from __future__ import annotations

import io
import sys

import matplotlib

from writebot.files import write_atomic

if "ipykernel" not in sys.modules:
    matplotlib.use("Agg")  # headless on the command line; a notebook keeps its inline backend
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

COLOURS = {"train": "#1f77b4", "val": "#d62728"}


def learning_curve(history, title: str = "", figsize: tuple[float, float] = (14, 4), xlabel: str = "epoch") -> Figure:
    """Per epoch (or online round: `xlabel`), train vs val (means over topics): similarity, the words the user still
    had to edit, and what edit cost cannot see (docs/FORMATS.md §10): the share of the briefs' points the drafts keep,
    the points they lost (bars) and, where the judge can tell, the claims they added per draft."""
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=figsize, constrained_layout=True)
    bars = right.twinx()
    for split, rows in history.groupby("split"):
        per_epoch = rows.groupby("epoch").agg(similarity=("similarity", "mean"),
                                              words=("word_edit_distance", "mean"))
        style = {"marker": "o", "color": COLOURS.get(split), "label": split}
        left.plot(per_epoch.index, per_epoch["similarity"], **style)
        middle.plot(per_epoch.index, per_epoch["words"], **style)
        faith = _faithfulness(rows)
        if faith is not None:
            right.plot(faith.index, faith["kept"], **{**style, "label": f"{split}: points kept"})
            offset = -0.18 if split == "train" else 0.18
            bars.bar(faith.index + offset, faith["lost"], width=0.34, alpha=0.35, color=COLOURS.get(split),
                     label=f"{split}: points lost")
            if faith["claims"].notna().any():
                bars.plot(faith.index, faith["claims"], marker="x", linestyle="--", color=COLOURS.get(split),
                          label=f"{split}: claims added / draft")
    left.set(title="Similarity to ground truth", xlabel=xlabel, ylabel="mean similarity (0-1)", ylim=(0, 1.02))
    middle.set(title="Words the user still had to edit", xlabel=xlabel, ylabel="mean word edit distance")
    middle.set_ylim(bottom=0)
    right.set(title="What edit cost cannot see", xlabel=xlabel, ylabel="share of the brief's points kept",
              ylim=(0, 1.05))
    bars.set_ylabel("points lost (bars), claims added per draft")
    bars.set_ylim(bottom=0, top=max(1.0, bars.get_ylim()[1]))
    last = int(history["epoch"].max()) if len(history) else 0
    for ax in (left, middle, right):
        ax.set_xlim(-0.5, last + 0.5)  # one epoch of data still gets a readable axis
        if last < 20:
            ax.set_xticks(range(last + 1))
        else:  # online rounds: let matplotlib space whole-number ticks
            ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
    left.legend()
    middle.legend()
    handles = right.get_legend_handles_labels()[0] + bars.get_legend_handles_labels()[0]
    if handles:
        right.legend(handles, [h.get_label() for h in handles], loc="lower left", fontsize=8)
    else:
        right.text(0.5, 0.5, "no faithfulness recorded\n(a run from before the judge)", ha="center", va="center",
                   transform=right.transAxes, color="#777")
    if title:
        fig.suptitle(title)
    return fig


def _faithfulness(rows):
    """Per epoch: mean points_kept, summed points_lost, mean claims_added; None when none were recorded."""
    import pandas as pd

    if "points_kept" not in rows or pd.to_numeric(rows["points_kept"], errors="coerce").isna().all():
        return None
    numbers = rows.assign(**{c: pd.to_numeric(rows[c], errors="coerce")
                             for c in ("points_kept", "points_lost", "claims_added") if c in rows})
    grouped = numbers.groupby("epoch")
    return pd.DataFrame({"kept": grouped["points_kept"].mean(), "lost": grouped["points_lost"].sum(),
                         "claims": grouped["claims_added"].mean()})


def show(fig: Figure) -> None:
    """Display a figure once in a notebook and free it (so the inline backend does not show it twice)."""
    from IPython.display import display

    display(fig)
    plt.close(fig)


def save(fig: Figure, path) -> None:
    """Write the figure as PNG atomically and free it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    write_atomic(path, buffer.getvalue())


def cumulative_cost(costs, title: str = "Cumulative word edit cost", xlabel: str = "epoch") -> Figure:
    """The PRELUDE figure: cumulative user edit cost per round, one line per learner (and per persona if given).
    `costs`: DataFrame with columns learner, epoch, word_edit_distance (and optionally persona)."""
    fig, ax = plt.subplots(figsize=(8, 4.5), constrained_layout=True)
    keys = ["learner", "persona"] if "persona" in costs.columns else ["learner"]
    summed = costs.groupby(["learner", "epoch"])["word_edit_distance"].sum().reset_index()
    for learner, rows in summed.groupby("learner"):
        rows = rows.sort_values("epoch")
        ax.plot(rows["epoch"], rows["word_edit_distance"].cumsum(), marker="o", label=learner)
    ax.set(title=title + (" (summed over personas)" if len(keys) > 1 else ""), xlabel=xlabel,
           ylabel="cumulative word edits")
    ax.set_ylim(bottom=0)  # a flat curve (nothing left to edit) should look flat, not like noise
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def oracle_share(table, column: str = "val % of oracle", title: str = "") -> Figure:
    """Each learner's reduction over no learning as a share of the oracle's, per persona (bars); `table`: the
    outcome table of learner_comparison.run_all (index persona, learner)."""
    shares = table[column].unstack("learner").drop(columns=["no learning", "oracle"], errors="ignore")
    fig, ax = plt.subplots(figsize=(max(6.0, 0.7 * len(shares)), 4), constrained_layout=True)
    shares.plot.bar(ax=ax, rot=30)
    ax.axhline(100, color="black", linewidth=1, linestyle="--", label="oracle")
    ax.set(title=title or f"Reduction over no learning, as a share of the oracle's ({column})", xlabel="",
           ylabel="% of the oracle's reduction", ylim=(min(0, float(shares.min().min()) - 5), 110))
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3, axis="y")
    return fig


def style_size(sizes, title: str = "STYLE.md size per epoch") -> Figure:
    """Characters and rules in STYLE.md per epoch. `sizes`: DataFrame with epoch, characters, rules."""
    fig, ax = plt.subplots(figsize=(7, 3.5), constrained_layout=True)
    ax.bar(sizes["epoch"], sizes["characters"], color="#9ecae1", label="characters")
    ax.set(title=title, xlabel="epoch", ylabel="characters")
    ax.xaxis.get_major_locator().set_params(integer=True)
    twin = ax.twinx()
    twin.plot(sizes["epoch"], sizes["rules"], color="#08519c", marker="o", label="rules")
    twin.set_ylabel("rules")
    twin.set_ylim(0, max(1, sizes["rules"].max()) * 1.25)
    ax.set_ylim(0, max(1, sizes["characters"].max()) * 1.25)
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], loc="upper left")
    return fig


def cost_per_epoch(usage, title: str = "LLM cost per epoch") -> Figure:
    """USD per epoch split by purpose. `usage`: DataFrame of usage.csv rows with epoch, purpose, cost_usd."""
    fig, ax = plt.subplots(figsize=(7, 3.5), constrained_layout=True)
    if usage.empty:
        ax.text(0.5, 0.5, "no LLM calls in this run (rules engine)", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    if "epoch" not in usage.columns or usage["epoch"].isna().all():  # runs recorded before usage rows had epochs
        usage = usage.assign(epoch="all")
    usage = usage.assign(epoch=usage["epoch"].astype(str).str.replace(r"\.0$", "", regex=True))
    table = usage.pivot_table(index="epoch", columns="purpose", values="cost_usd", aggfunc="sum").fillna(0)
    bottom = None
    for purpose in table.columns:
        ax.bar(table.index, table[purpose], bottom=bottom, label=purpose)
        bottom = table[purpose] if bottom is None else bottom + table[purpose]
    ax.set(title=title, xlabel="epoch", ylabel="USD")
    ax.legend()
    return fig
