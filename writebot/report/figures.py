"""The run's figures as plots (report/plots draws them), and the PNGs `writebot report` writes beside the run."""

from __future__ import annotations

from pathlib import Path

from writebot.errors import InputError
from writebot.report.analysis import load_history
from writebot.report.words import NO_LEARNING_LABEL, _baseline_note, _unit
from writebot.store.run_folder import RunStore


def learning_curve_figure(run: RunStore, history=None, title: str = ""):
    """The learning curve of a run, its steps named as the run names them (epochs, or online rounds)."""
    from writebot.report import plots

    history = load_history(run) if history is None else history
    return plots.learning_curve(history, title=title, xlabel=_unit(run))


def style_size_figure(run: RunStore):
    """STYLE.md's characters and rules per version (a version per epoch, or online per round)."""
    from writebot.report import plots
    from writebot.report.analysis import style_sizes

    return plots.style_size(style_sizes(run), title=f"STYLE.md size per {_unit(run)}", xlabel=_unit(run))


def cost_figure(run: RunStore, usage):
    """USD per epoch (or online round) split by purpose; `usage`: load_usage(run)."""
    from writebot.report import plots

    return plots.cost_per_epoch(usage, title=f"LLM cost per {_unit(run)}", xlabel=_unit(run))


def cumulative_cost_figure(run: RunStore, history=None):
    """PRELUDE's figure for one run: the train words the user edited, summed over epochs (or online rounds), beside
    the no-learning baseline (analysis.no_learning_costs: the starting guide replayed on the same topics, offline
    runs only; the figure says so when it is not drawn). None before any train topic was reviewed. `history`: the
    run's, if already loaded."""
    import pandas as pd

    from writebot.report import plots
    from writebot.report.analysis import no_learning_costs

    history = load_history(run) if history is None else history
    engine = run.config.get("engine") or "unknown"
    label = "this run (" + {"claude": "Claude", "replay": "Claude, replayed"}.get(engine, f"{engine} engine") + ")"
    train_rows = history[history["split"] == "train"].assign(learner=label)
    if not len(train_rows):
        return None
    baseline = no_learning_costs(run)
    costs = train_rows[["learner", "epoch", "word_edit_distance"]]
    if baseline is not None:
        costs = pd.concat([costs, baseline.assign(learner=NO_LEARNING_LABEL)[list(costs.columns)]])
    return plots.cumulative_cost(costs, title=f"Cumulative train word edits per {_unit(run)}", xlabel=_unit(run),
                                 note=_baseline_note(run, baseline))


def run_figures(run: RunStore) -> dict:
    """A run's figures by file name: learning_curve.png, style_size.png, cumulative_cost.png (PRELUDE's figure: the
    words the user edited so far, beside no learning) and, when there were LLM calls, cost_per_epoch.png. Reads
    only."""
    from writebot.report.analysis import load_usage

    if not run.draft_records:
        raise InputError(f"{run.path}: no drafts recorded yet; run 'writebot resume {run.path}' first")
    history = load_history(run)
    figures = {"learning_curve.png": learning_curve_figure(run, history, title=f"writebot run: {run.path.name}"),
               "style_size.png": style_size_figure(run),
               "cumulative_cost.png": cumulative_cost_figure(run, history)}
    usage = load_usage(run)
    if not usage.empty:
        figures["cost_per_epoch.png"] = cost_figure(run, usage)
    figures["val_by_posts.png"] = val_by_posts_figure(run, history)
    figures["cost_per_kind.png"] = kind_figure(run, history)
    return {name: figure for name, figure in figures.items() if figure is not None}


def kind_figure(run: RunStore, history=None):
    """The words to edit per post, a line per kind of post (docs/FORMATS.md §11); None for a run without kinds."""
    from writebot.report.analysis import kind_summary
    from writebot.report.plots import kind_curves

    found = kind_summary(load_history(run) if history is None else history)
    if found is None:
        return None
    table, per_epoch = found
    split = "val" if "val" in table.columns[1] else "train"
    return kind_curves(per_epoch, title=f"{split.capitalize()} words to edit per post, by kind of post",
                       xlabel=_unit(run))


def val_by_posts_figure(run: RunStore, history=None):
    """An online run with val drafted every --val-every rounds: val words to edit against posts corrected (None
    for a run with val at fewer than three rounds: two points are no curve)."""
    from writebot.report import plots
    from writebot.report.selection_comparison import val_by_posts

    if not run.config.get("online"):
        return None
    curve = val_by_posts(load_history(run) if history is None else history)
    if len(curve) < 3:
        return None
    select = run.config.get("select") or "order"
    return plots.val_by_posts({f"--select {select}": curve}, title=f"Val words to edit per posts corrected: "
                              f"{run.path.name}")


def save_figures(run: RunStore, folder: Path) -> list[Path]:
    """run_figures saved as PNG files in `folder` (the run folder for writebot report); the files written."""
    from writebot.report import plots

    written = []
    for name, figure in run_figures(run).items():
        plots.save(figure, folder / name)
        written.append(folder / name)
    return written


def write_plots(run: RunStore) -> Path:
    """The run's figures (run_figures) beside its files; returns learning_curve.png."""
    return save_figures(run, run.path)[0]


# -- the run's page: notebook 04, and `writebot share` (docs/FORMATS.md §9), written for a reader of the run ------
