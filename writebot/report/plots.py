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
    the points they lost (bars) and, where the judge can tell, the claims they added per draft. A split measured only
    at some of the run's steps (online, val is drafted in the first and the last round) is drawn as the measurements
    it is, markers without a line between them, each labelled with its value."""
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=figsize, constrained_layout=True)
    bars = right.twinx()
    steps = sorted(history["epoch"].unique()) if len(history) else []
    for split, rows in history.groupby("split"):
        per_epoch = rows.groupby("epoch").agg(similarity=("similarity", "mean"),
                                              words=("word_edit_distance", "mean"))
        sparse = measured_only_at_some(per_epoch.index, steps)
        style = {"marker": "o", "color": COLOURS.get(split), "label": split}
        if sparse:
            style = {**style, "linestyle": "none", "marker": "D", "markersize": 8,
                     "label": f"{split} ({_steps_words(per_epoch.index, xlabel)} only)"}
        left.plot(per_epoch.index, per_epoch["similarity"], **style)
        middle.plot(per_epoch.index, per_epoch["words"], **style)
        if sparse and len(per_epoch) <= 5:
            for ax, column, digits in ((left, "similarity", 3), (middle, "words", 1)):
                for n, (step, value) in enumerate(per_epoch[column].items()):  # beside the marker, inward
                    inward = n < len(per_epoch) - 1
                    ax.annotate(f"{value:.{digits}f}", (step, value), textcoords="offset points",
                                xytext=(9 if inward else -9, -3), ha="left" if inward else "right", va="top",
                                fontsize=9, fontweight="bold", color=COLOURS.get(split))
        faith = _faithfulness(rows)
        if faith is not None:
            right.plot(faith.index, faith["kept"], **{**style, "label": f"{style['label']}: points kept"})
            offset = -0.18 if split == "train" else 0.18
            bars.bar(faith.index + offset, faith["lost"], width=0.34, alpha=0.35, color=COLOURS.get(split),
                     label=f"{split}: points lost")
            if faith["claims"].notna().any():
                bars.plot(faith.index, faith["claims"], marker="x", linestyle="none" if sparse else "--",
                          color=COLOURS.get(split), label=f"{split}: claims added / draft")
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


def measured_only_at_some(measured, steps) -> bool:
    """Was a split measured at only some of the run's steps between its first and its last measurement (online
    val: the first and the last round)? Then a line between its points would draw figures nobody measured."""
    measured = set(measured)
    return bool(measured) and any(min(measured) < s < max(measured) and s not in measured for s in steps)


def _steps_words(measured, unit: str) -> str:
    """"rounds 0 and 48", or "4 rounds" when there are many."""
    steps = [str(int(s)) for s in measured]
    if len(steps) > 3:
        return f"{len(steps)} {unit}s"
    return f"{unit}{'s' * (len(steps) > 1)} " + (" and ".join(steps) if len(steps) < 3 else
                                                 f"{steps[0]}, {steps[1]} and {steps[2]}")


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


NO_LEARNING = "no learning"  # a learner whose label starts so is the baseline: drawn grey and dashed, behind


def cumulative_cost(costs, title: str = "Cumulative word edit cost", xlabel: str = "epoch", note: str = "") -> Figure:
    """The PRELUDE figure: cumulative user edit cost per round, one line per learner (and per persona if given);
    a learner labelled "no learning..." is the baseline the others are read against. `costs`: DataFrame with
    columns learner, epoch, word_edit_distance (and optionally persona). `note`: a line or two on the figure (what
    is not shown, and why)."""
    fig, ax = plt.subplots(figsize=(8, 4.5), constrained_layout=True)
    keys = ["learner", "persona"] if "persona" in costs.columns else ["learner"]
    summed = costs.groupby(["learner", "epoch"])["word_edit_distance"].sum().reset_index()
    learners = sorted(summed["learner"].unique(), key=lambda name: str(name).startswith(NO_LEARNING))
    top = 0
    for learner in learners:
        rows = summed[summed["learner"] == learner].sort_values("epoch")
        style = ({"color": "#7f7f7f", "linestyle": "--", "marker": "o", "markersize": 3, "zorder": 1}
                 if str(learner).startswith(NO_LEARNING) else {"marker": "o", "zorder": 2})
        cumulative = rows["word_edit_distance"].cumsum()
        ax.plot(rows["epoch"], cumulative, label=learner, **style)
        top = max(top, float(cumulative.max()) if len(cumulative) else 0)
    ax.set(title=title + (" (summed over personas)" if len(keys) > 1 else ""), xlabel=xlabel,
           ylabel="cumulative word edits")
    ax.set_ylim(0, max(1.0, top) * 1.1)  # a flat curve (nothing left to edit) should look flat, not like noise
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")  # cumulative curves rise to the right: the upper left stays clear
    if note:  # under the axes, where it hides no curve
        ax.annotate(note, xy=(0, 0), xycoords="axes fraction", xytext=(0, -34), textcoords="offset points",
                    va="top", fontsize=8.5, color="#555")
    return fig


def val_by_posts(curves: dict, floor: float | None = None, title: str = "Val words to edit per posts corrected",
                 note: str = "") -> Figure:
    """How fast the bot learns for the person: val words to edit (summed over the val topics) against the posts
    corrected so far, one line per label (a selection, say). `curves`: label -> Series indexed by posts corrected
    (selection_comparison.val_by_posts); several Series under one label (random's seeds) are drawn as their mean
    with their range shaded. `floor`: the oracle's val, drawn as a line."""
    import pandas as pd

    fig, ax = plt.subplots(figsize=(8, 4.5), constrained_layout=True)
    for label, curve in curves.items():
        if isinstance(curve, list):  # several runs: their mean, and the band they span
            frame = pd.concat(curve, axis=1)
            line = ax.plot(frame.index, frame.mean(axis=1), marker="o", markersize=3, label=f"{label} (mean of "
                           f"{frame.shape[1]})")
            ax.fill_between(frame.index, frame.min(axis=1), frame.max(axis=1), alpha=0.15, color=line[0].get_color())
        else:
            ax.plot(curve.index, curve.values, marker="o", markersize=3, label=label)
    if floor is not None:
        ax.axhline(floor, color="black", linewidth=1, linestyle="--", label="oracle (the floor for rules)")
    ax.set(title=title, xlabel="posts corrected", ylabel="val words to edit (summed)")
    ax.set_ylim(bottom=0)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right")
    if note:
        ax.annotate(note, xy=(0, 0), xycoords="axes fraction", xytext=(0, -34), textcoords="offset points",
                    va="top", fontsize=8.5, color="#555")
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


def kind_curves(per_epoch, title: str = "Words to edit per post, by kind of post", xlabel: str = "epoch",
                ylabel: str = "words to edit per post") -> Figure:
    """One line per kind of post (docs/FORMATS.md §11): the mean words to edit per post at each epoch (or online
    round: `xlabel`). `per_epoch`: DataFrame indexed by epoch, a column per kind."""
    fig, ax = plt.subplots(figsize=(7, 3.5), constrained_layout=True)
    for kind in per_epoch.columns:
        series = per_epoch[kind].dropna()
        ax.plot(series.index, series.values, marker="o", label=str(kind))
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.set_ylim(bottom=0)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(title="kind")
    return fig


def style_size(sizes, title: str = "STYLE.md size per epoch", xlabel: str = "epoch") -> Figure:
    """Characters and rules in STYLE.md per epoch (or online round: `xlabel`). `sizes`: DataFrame with epoch,
    characters, rules."""
    fig, ax = plt.subplots(figsize=(7, 3.5), constrained_layout=True)
    ax.bar(sizes["epoch"], sizes["characters"], color="#9ecae1", label="characters")
    ax.set(title=title, xlabel=xlabel, ylabel="characters")
    ax.xaxis.get_major_locator().set_params(integer=True)
    twin = ax.twinx()
    twin.plot(sizes["epoch"], sizes["rules"], color="#08519c", marker="o", label="rules")
    twin.set_ylabel("rules")
    twin.set_ylim(0, max(1, sizes["rules"].max()) * 1.25)
    ax.set_ylim(0, max(1, sizes["characters"].max()) * 1.25)
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], loc="upper left")
    return fig


def cost_per_epoch(usage, title: str = "LLM cost per epoch", xlabel: str = "epoch") -> Figure:
    """USD per epoch (or online round: `xlabel`) split by purpose. `usage`: DataFrame of usage.csv rows with epoch,
    purpose, cost_usd."""
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
    ax.set(title=title, xlabel=xlabel, ylabel="USD")
    ax.legend()
    return fig
