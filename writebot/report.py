"""What a finished (or interrupted) run shows: the per-epoch table, before/after posts, the plots."""

from __future__ import annotations

from pathlib import Path

from writebot.analysis import epoch_summary, load_history
from writebot.errors import InputError
from writebot.run_folder import RunStore


def _unit(run: RunStore) -> str:
    """What a step of the run is called: an epoch, or online a round (docs/FORMATS.md §1)."""
    return "round" if run.config.get("online") else "epoch"


def _cell(value: float, width: int, digits: int) -> str:
    """A number, or a dash where the epoch drafted none of that split (online rounds draft val only twice)."""
    return f"{'-':>{width}}" if value != value else f"{value:>{width}.{digits}f}"


def summary_table(run: RunStore) -> str:
    table = epoch_summary(load_history(run))
    rules = {e: len(run.load_version(e).style.rules) for e in run.versions()}
    has_val = "val_sim" in table.columns
    head = f"{_unit(run):>5}  {'train sim':>9}  {'train words':>11}"
    head += f"  {'val sim':>7}  {'val words':>9}" if has_val else ""
    head += f"  {'kept':>5}  {'lost':>4}  {'claims':>6}  {'rules':>5}  update"
    lines = [head, "-" * len(head)]
    for epoch, row in table.iterrows():
        verdict = run.verdict_for(epoch)
        status = ""
        if verdict:
            after = verdict["train_cost_after"]
            status = f"{verdict['status']} ({verdict['train_cost_before']} -> {'?' if after is None else after} words)"
        line = f"{epoch:>5}  {_cell(row['train_sim'], 9, 3)}  {_cell(row['train_words'], 11, 1)}"
        line += f"  {_cell(row['val_sim'], 7, 3)}  {_cell(row['val_words'], 9, 1)}" if has_val else ""
        kept = f"{'-':>5}" if row["kept"] != row["kept"] else f"{row['kept']:>5.0%}"
        line += f"  {kept}  {_cell(row['lost'], 4, 0)}  {_cell(row['claims'], 6, 1)}"
        lines.append(line + f"  {rules.get(epoch, 0):>5}  {status}".rstrip())
    if run.refused:
        shown = ", ".join(f"{r['topic_id']}@{r['epoch']}" for r in run.refused[:5])
        lines.append(f"\n{len(run.refused)} refused by Claude and left out of the scores (refusals.jsonl): {shown}"
                     + (", ..." if len(run.refused) > 5 else ""))
    cost = run.usage_cost()
    if cost:
        lines.append(f"\nLLM calls: {len(run.usage_rows())}, cost ${cost:.4f}")
    lines.append("\nkept: the share of the briefs' points the drafts keep; lost: points dropped that the user keeps;\n"
                 "claims: claims added per draft (-: the offline judge cannot tell; --judge claude counts them). "
                 "docs/FORMATS.md §10")
    if run.config.get("online"):
        lines.append("\nOnline: a round drafts one train topic (val only in the first and last rounds); its update's "
                     "words are that topic's, before and after the update.")
    return "\n".join(lines)


def before_after(run: RunStore) -> str:
    """The learned rules, and one val topic's draft before and after training: what a user wants to see."""
    last = max(run.versions())
    lines = ["", f"STYLE.md rules at epoch {last}:"] + [f"  - {r}" for r in run.load_version(last).style.rules]
    val = [r for r in run.records if r["split"] == "val"]
    if val:
        topic = val[0]["topic_id"]
        first = next(r for r in val if r["topic_id"] == topic and r["epoch"] == 0)
        final = next((r for r in val if r["topic_id"] == topic and r["epoch"] == last), None)
        for label, record in (("before training (epoch 0)", first), (f"after training (epoch {last})", final)):
            if record:
                lines += ["", f"Val topic '{topic}', {label}: {record['word_edit_distance']} words still to edit",
                          *("    " + line for line in record["draft"].rstrip().splitlines())]
    return "\n".join(lines)


def cumulative_cost_figure(run: RunStore, history=None):
    """PRELUDE's figure for one run: the train words the user edited, summed over epochs (or online rounds); None
    before any train topic was reviewed. `history`: the run's, if already loaded."""
    from writebot import plots

    history = load_history(run) if history is None else history
    train_rows = history[history["split"] == "train"].assign(learner=run.config.get("engine") or "this run")
    if not len(train_rows):
        return None
    return plots.cumulative_cost(train_rows, title=f"Cumulative train word edits per {_unit(run)}", xlabel=_unit(run))


def run_figures(run: RunStore) -> dict:
    """A run's figures by file name: learning_curve.png, style_size.png, cumulative_cost.png (PRELUDE's figure: the
    words the user edited so far) and, when there were LLM calls, cost_per_epoch.png. Reads only."""
    from writebot import plots
    from writebot.analysis import load_usage, style_sizes

    if not run.records:
        raise InputError(f"{run.path}: no drafts recorded yet; run 'writebot resume {run.path}' first")
    history = load_history(run)
    figures = {"learning_curve.png": plots.learning_curve(history, title=f"writebot run: {run.path.name}",
                                                          xlabel=_unit(run)),
               "style_size.png": plots.style_size(style_sizes(run)),
               "cumulative_cost.png": cumulative_cost_figure(run, history)}
    usage = load_usage(run)
    if not usage.empty:
        figures["cost_per_epoch.png"] = plots.cost_per_epoch(usage)
    return {name: figure for name, figure in figures.items() if figure is not None}


def save_figures(run: RunStore, folder: Path) -> list[Path]:
    """run_figures saved as PNG files in `folder` (the run folder for writebot report); the files written."""
    from writebot import plots

    written = []
    for name, figure in run_figures(run).items():
        plots.save(figure, folder / name)
        written.append(folder / name)
    return written


def write_plots(run: RunStore) -> Path:
    """The run's figures (run_figures) beside its files; returns learning_curve.png."""
    return save_figures(run, run.path)[0]
