"""What a finished (or interrupted) run shows: the per-epoch table, before/after posts, the plots."""

from __future__ import annotations

from pathlib import Path

from writebot.errors import InputError
from writebot.report.analysis import epoch_summary, load_history
from writebot.store.run_folder import RunStore


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
    has_effort = table["seconds"].notna().any()  # a person trained it (notebook 02)
    rows = list(_rows(run, table, has_val))
    labels = [str(e[0]) if len(e) == 1 else f"{e[0]}-{e[-1]}" for e, _, _ in rows]
    width = max([5, *map(len, labels)])
    head = f"{_unit(run):>{width}}  {'train sim':>9}  {'train words':>11}"
    head += f"  {'seconds':>7}  {'typed':>5}" if has_effort else ""
    head += f"  {'val sim':>7}  {'val words':>9}" if has_val else ""
    head += f"  {'kept':>5}  {'lost':>4}  {'claims':>6}  {'rules':>5}  update"
    lines = [head, "-" * len(head)]
    for (epochs, row, status), label in zip(rows, labels, strict=True):
        line = f"{label:>{width}}  {_cell(row['train_sim'], 9, 3)}  {_cell(row['train_words'], 11, 1)}"
        line += f"  {_cell(row['seconds'], 7, 0)}  {_cell(row['typed'], 5, 1)}" if has_effort else ""
        line += f"  {_cell(row['val_sim'], 7, 3)}  {_cell(row['val_words'], 9, 1)}" if has_val else ""
        kept = f"{'-':>5}" if row["kept"] != row["kept"] else f"{row['kept']:>5.0%}"
        line += f"  {kept}  {_cell(row['lost'], 4, 0)}  {_cell(row['claims'], 6, 1)}"
        lines.append(line + f"  {rules.get(epochs[0], 0):>5}  {status}".rstrip())
    if run.refusal_records:
        shown = ", ".join(f"{r['topic_id']}@{r['epoch']}" for r in run.refusal_records[:5])
        lines.append(f"\n{len(run.refusal_records)} refused by Claude and left out of the scores (refusals.jsonl): "
                     f"{shown}"
                     + (", ..." if len(run.refusal_records) > 5 else ""))
    if run.usage_rows():
        lines.append(f"\n{cost_line(run)[0].upper()}{cost_line(run)[1:]}")
    lines.append("\nkept: the share of the briefs' points the drafts keep; lost: points dropped that the user keeps;\n"
                 "claims: claims added per draft (-: the offline judge cannot tell; --judge claude counts them). "
                 "docs/FORMATS.md §10")
    lines.append(f"rules: the rule lines of the guide that wrote the {_unit(run)}'s drafts.")
    if has_effort:
        lines.append("seconds, typed: per draft, the person's time from the draft shown to Submit and the words they "
                     "typed or deleted\n(at least 'train words', the edit the post needed).")
    lines.append(update_footnote(run))
    if run.config.get("online"):
        rounds = max(run.versions())
        lines.append(f"\nOnline: a round drafts one train topic (val only in the first and last rounds, or every "
                     f"--val-every rounds);\nround {rounds}, the last row, is the val topics drafted with the last "
                     "version. A row 'a-b' is rounds in a row whose update left the guide\nunchanged: the means of "
                     "their figures.")
    return "\n".join(lines)


def _rows(run: RunStore, table, has_val: bool):
    """(epochs, row, update cell) per line of the table. Online, rounds in a row whose update left the guide
    unchanged and that drafted no val topic are one line: their range, the means of their figures, and how many
    rounds (a run of 49 rounds is not 45 lines of "unchanged")."""
    group: list[int] = []

    def flush():
        epochs = list(group)
        group.clear()
        if len(epochs) == 1:
            yield epochs, table.loc[epochs[0]], update_cell(run, epochs[0])
        elif epochs:
            yield epochs, table.loc[epochs].mean(numeric_only=True), f"unchanged, {len(epochs)} rounds"

    for epoch, row in table.iterrows():
        quiet = (run.config.get("online") and (run.verdict_for(epoch) or {}).get("status") == "unchanged"
                 and not (has_val and row["val_sim"] == row["val_sim"]))
        if quiet:
            group.append(epoch)
            continue
        yield from flush()
        yield [epoch], row, update_cell(run, epoch)
    yield from flush()


def update_cell(run: RunStore, epoch: int) -> str:
    """The update after `epoch`: its verdict and the two figures it was judged on, named (update_footnote)."""
    verdict = run.verdict_for(epoch)
    if not verdict:
        return ""
    status, before, after = verdict["status"], verdict["train_cost_before"], verdict["train_cost_after"]
    if status in ("pending", "failed", "recovered") or after is None:
        return status
    if "topics_compared" in verdict:  # a deferred gate: the next drafts, on the topics reviewed in both
        n = verdict["topics_compared"]
        if not n:
            return f"{status}: no topic in both {_unit(run)}s, nothing compared"
        return f"{status}: {before} -> {after} next {_unit(run)} ({n} topic{'s' * (n != 1)})"
    return f"{status}: {before} -> {after} replayed"


def update_footnote(run: RunStore) -> str:
    """What the update column's figures are: they are not the next row's train words."""
    unit = _unit(run)
    deferred = any("topics_compared" in v for e in run.versions() if (v := run.verdict_for(e)))
    lines = [f"update: the verdict on the update made after the {unit}; a -> b: a is the words the user edited in the "
             f"{unit}'s train",
             "drafts, summed ('train words' is their mean per draft), and b "]
    if deferred:
        lines[-1] += f"the words edited in the next {unit}'s drafts of the topics"
        lines.append(f"reviewed in both {unit}s (a counts those topics only; none in both: the update is kept, not "
                     "judged)")
    else:
        lines[-1] += "what the new version's drafts of the same topics need"
        lines.append(f"against the same ground truths (replayed: the next {unit}'s drafts are new, and reviewed anew)")
    return "\n" + "\n".join(lines)


def before_after(run: RunStore) -> str:
    """The learned rules, and one val topic's draft before and after training: what a user wants to see."""
    last = max(run.versions())
    lines = ["", f"STYLE.md rules at epoch {last}:"] + [f"  - {r}" for r in run.load_version(last).style.rules]
    val = [r for r in run.draft_records if r["split"] == "val"]
    if val:
        topic = val[0]["topic_id"]
        first = next(r for r in val if r["topic_id"] == topic and r["epoch"] == 0)
        final = next((r for r in val if r["topic_id"] == topic and r["epoch"] == last), None)
        for label, record in (("before training (epoch 0)", first), (f"after training (epoch {last})", final)):
            if record:
                lines += ["", f"Val topic '{topic}', {label}: {record['word_edit_distance']} words still to edit",
                          *("    " + line for line in record["draft"].rstrip().splitlines())]
    return "\n".join(lines)


NO_LEARNING_LABEL = "no learning: the starting guide, never updated"
NO_BASELINE = ("No-learning baseline not shown: it is computed only for offline (rules-engine)\n"
               "runs. For this run, replaying its starting guide would cost API calls; none are made.")


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


def _baseline_note(run: RunStore, baseline) -> str:
    """What the figure's no-learning line is, or why there is none."""
    if baseline is None:
        return NO_BASELINE
    if run.config.get("user") != "rules":  # a person, or Claude playing one: their edits answered other drafts
        return ("The no-learning line is an estimate: the user's edits answered the drafts\n"
                "the learner wrote, and a simulated user's edits are exact only when deterministic.")
    return ""


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


def kind_table(run: RunStore, history=None) -> str | None:
    """The cost per kind of post as a text table (writebot report); None for a run without kinds."""
    from writebot.report.analysis import kind_summary

    found = kind_summary(load_history(run) if history is None else history)
    if found is None:
        return None
    table = found[0]
    return "per kind of post (mean per post):\n" + table.to_string(float_format=lambda v: f"{v:.1f}")


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
_ENGINES = {
    "rules": "offline by the rules engine, which learns one-line rules from the user's edits",
    "rules-frozen": "offline by the rules engine with learning switched off (the no-learning baseline)",
    "rules-append-feedback": "offline by the rules engine, appending the user's feedback to the guide (a baseline)",
    "rules-oracle": "offline by the rules engine, handed the simulated user's own edits as rules (the oracle baseline)",
    "claude": "by Claude ({model}), which writes the drafts and edits the guide's files",
    "replay": "by the claude engine replaying the cassette `{cassette}`: its answers were recorded earlier (the "
              "shipped demo cassette's come from an offline stand-in, not from Claude), and no API call was made",
}


def _persona(run: RunStore) -> str:
    """The simulated user's persona name (its copy in inputs/, else the file it came from)."""
    import yaml

    try:
        name = (yaml.safe_load(run.input_path("persona.yaml").read_text("utf-8")) or {}).get("name")
    except (OSError, yaml.YAMLError, AttributeError):
        name = None
    return str(name or Path(run.config.get("persona_file") or "unknown").stem)


def _user(run: RunStore) -> str:
    user = run.config.get("user")
    if user == "rules":
        return f"a simulated user, the persona *{_persona(run)}*, who edits each draft as its persona file says"
    if user == "claude":
        return f"Claude playing the user the persona *{_persona(run)}* describes"
    if user == "human":
        return "a person, by hand (notebook 02)"
    return f"the user {user!r}"


def _status(run: RunStore) -> str:
    status = run.config.get("status") or "unknown"
    return {"complete": "complete", "repaired": "complete (repaired by writebot check)",
            "running": "not finished (still running, or cut short): this page shows what was recorded",
            "interrupted": "interrupted: this page shows what was recorded",
            "stopped": f"stopped ({run.config.get('reason') or 'its cost budget was reached'}): this page shows what "
                       "was recorded",
            "failed": f"failed ({run.config.get('error') or 'no error recorded'}): this page shows what was recorded",
            "closed": "trained by hand; its notebook session is closed (notebook 02 reopens it)",
            }.get(status, status)


def _replayed(run: RunStore) -> bool:
    """Were the run's LLM answers served from a cassette (no call sent)?"""
    from writebot.loop.registry import ENGINES

    kind = ENGINES.get(run.config.get("engine", ""))
    return kind is not None and kind.replays


def cost_line(run: RunStore) -> str:
    """What the run's LLM calls cost, in words: nothing was spent on calls a cassette replayed."""
    calls = run.usage_rows()
    if not calls:
        return "no LLM calls: it cost nothing"
    if _replayed(run):
        return (f"{len(calls)} LLM calls replayed from a cassette: nothing was sent and nothing spent (as recorded, "
                f"they would cost ${run.usage_cost():.4f})")
    return f"{len(calls)} LLM calls, ${run.usage_cost():.4f}"


def _steps(values) -> str:
    values = sorted(int(v) for v in values)
    return " and ".join(str(v) for v in values) if len(values) <= 2 else f"{values[0]}–{values[-1]}"


def run_header(run: RunStore) -> str:
    """What the run is, in words (Markdown): the guide, who wrote and who edited, the protocol (epochs; or online
    passes and rounds), the judge, the cost. Reads only."""
    config, unit = run.config, _unit(run)
    engine = _ENGINES.get(config.get("engine"), f"by the {config.get('engine')} engine").format(
        model=config.get("model"), cassette=Path(config.get("cassette") or "").name)
    pipeline = Path(config.get("pipeline_dir") or "the starting guide").name
    train_steps = sorted({r["epoch"] for r in run.draft_records if r["split"] == "train"})
    val_steps = sorted({r["epoch"] for r in run.draft_records if r["split"] == "val"})
    n_train, n_val, epochs = config.get("train_topics") or 0, config.get("val_topics") or 0, config.get("epochs")
    if config.get("user") == "human":
        how = (f"**By hand**, {len(train_steps)} epoch{'s' * (len(train_steps) != 1)} so far: each epoch the person "
               "edited the drafts of the topics they picked, then trained the guide on their edits and kept the "
               "changes they agreed with.")
    elif config.get("online"):
        planned = (epochs or 0) * n_train
        rounds = f"{len(train_steps)} rounds" + (f" of {planned}" if len(train_steps) < planned else "")
        select = {"active": "the one whose correction would test the most rules not yet settled (--select active)",
                  "random": "drawn at random (--select random)"}.get(config.get("select"), "in the topics file's order")
        how = (f"**Online** (PRELUDE's protocol): {epochs} passes over the {n_train} train topics, {rounds}. Each "
               f"round the bot drafted one topic, {select}; the user edited the draft into the post they wanted, and "
               "the guide was updated from every edit so far.")
        if val_steps:
            when = (f"every {config['val_every']} rounds" if config.get("val_every") else
                    "only with the starting guide and with the last one")
            how += (f" The {n_val} val topics, never learned from, were drafted {when} ({unit}s "
                    f"{_steps(val_steps)}), and scored.")
    else:
        how = (f"**{epochs} epochs**: each epoch the bot drafted all {n_train} train topics, the user edited every "
               "draft into the post they wanted, and the guide was updated from those edits"
               + (f"; epoch {max(train_steps)}'s drafts show the guide it ended with." if train_steps else "."))
        if val_steps:
            how += f" The {n_val} val topics were drafted every epoch and scored, never learned from."
    judge = ("judged offline, by the content words of each point (it cannot count invented claims)"
             if config.get("judge", "rules") == "rules" else f"judged by Claude ({config.get('judge_model')})")
    cost = cost_line(run)
    started = str(config.get("started") or "")[:10]
    lines = [f"**Run `{run.path.resolve().name}`**: {_status(run)}" + (f", started {started}." if started else "."),
             "",
             f"- **Trained**: the guide `{pipeline}` (its STYLE.md, step prompts and example posts), {engine}, "
             f"against {_user(run)}.",
             f"- **How**: {how}",
             f"- **Faithfulness**: what each draft kept of its brief, {judge}.",
             f"- **Cost**: {cost}."]
    return "\n".join(lines)


def _fmt(value, spec: str) -> str:
    """A number for a reader's table; a dash where nothing was measured."""
    return "–" if value is None or value != value else format(value, spec)


def summary_tables(run: RunStore, history=None) -> list[tuple[str, object]]:
    """The run's figures as tables a reader can read, each with its caption (Markdown): per epoch, train and val
    side by side; online, the val topics before and after (they are drafted in the first and the last round only)
    and the train topics per pass (one topic a round). Numbers are formatted, a dash where nothing was measured."""
    import pandas as pd

    from writebot.report.analysis import no_learning_costs, pass_summary

    history = load_history(run) if history is None else history
    unit, baseline = _unit(run), no_learning_costs(run)
    claims_note = ""
    if "claims_added" not in history or pd.to_numeric(history["claims_added"], errors="coerce").isna().all():
        claims_note = " The offline judge cannot tell an invented claim from a transition, so claims are not counted."
    terms = ("*Similarity*: how close a draft is to the post the user edited it into (0–1). *Words to edit*: how "
             "many words the user still had to change per post (word-level edit distance, PRELUDE's cost). "
             "*Points kept*: the share of the briefs' points the drafts keep; *points lost*: points they dropped "
             "that the user keeps." + claims_note)
    faith = {"points kept": ("kept", ".0%"), "points lost": ("lost", ".0f"),
             "claims added per draft": ("claims", ".1f")}
    if not run.config.get("online"):
        table = epoch_summary(history)
        out = pd.DataFrame(index=table.index.rename(unit))
        columns = {"train: similarity": ("train_sim", ".3f"), "train: words to edit": ("train_words", ".1f"),
                   "val: similarity": ("val_sim", ".3f"), "val: words to edit": ("val_words", ".1f"), **faith}
        for name, (column, spec) in columns.items():
            if column in table and not (column == "claims" and claims_note):
                out[name] = table[column].map(lambda v, spec=spec: _fmt(v, spec))
            if column == "train_words" and baseline is not None and len(baseline):
                per_post = baseline.groupby("epoch")["word_edit_distance"].mean()
                out["train: words to edit with no learning"] = per_post.reindex(out.index).map(
                    lambda v: _fmt(v, ".1f"))
        caption = (f"**Per {unit}**, means over the topics. The train topics drive the updates; the val topics are "
                   "only drafted and scored, to show whether what was learned carries over to posts it never saw."
                   + (" *With no learning*: the same topics drafted by the starting guide." if baseline is not None
                      else "") + " " + terms)
        return [(caption, out), *_kind_tables(history)]
    tables = []
    val = history[history["split"] == "val"]
    if len(val):
        table = epoch_summary(val)
        last = int(history["epoch"].max())
        out = pd.DataFrame(index=[("before training" if s == 0 else "after training" if s == last else "")
                                  + f" ({unit} {s})" for s in table.index])
        out.index.name = "val topics"
        for name, (column, spec) in {"similarity": ("val_sim", ".3f"), "words to edit": ("val_words", ".1f"),
                                     **faith}.items():
            if not (column == "claims" and claims_note):
                out[name] = [_fmt(v, spec) for v in table[column]]
        tables.append((f"**The val topics**, never learned from, were drafted only with the starting guide and "
                       f"with the last one: two measurements, nothing in between. Means over the "
                       f"{val['topic_id'].nunique()} topics. " + terms, out))
    passes = pass_summary(history, baseline)
    if len(passes):
        out = pd.DataFrame(index=passes.index)
        out[f"{unit}s"] = [f"{a}–{b}" for a, b in zip(passes["first"], passes["last"], strict=True)]
        out["similarity"] = passes["sim"].map(lambda v: _fmt(v, ".3f"))
        out["words to edit per post"] = passes["words"].map(lambda v: _fmt(v, ".1f"))
        out["words edited in all"] = passes["words_total"].map(lambda v: _fmt(v, ".0f"))
        if "no_learning_total" in passes:
            out["in all, with no learning"] = passes["no_learning_total"].map(lambda v: _fmt(v, ".0f"))
        for name, (column, spec) in faith.items():
            if not (column == "claims" and claims_note):
                out[name] = passes[column].map(lambda v, spec=spec: _fmt(v, spec))
        tables.append((f"**The train topics, per pass** over them: one topic a {unit}, the same order each pass; "
                       f"the curves above show every {unit}."
                       + (" *With no learning*: the same topics drafted by the starting guide." if baseline is not None
                          else ""), out))
    return tables + _kind_tables(history)


def _kind_tables(history) -> list[tuple[str, object]]:
    """The cost per kind of post, with its caption; nothing for a run whose topics have no kinds."""
    from writebot.report.analysis import kind_summary

    found = kind_summary(history)
    if found is None:
        return []
    table = found[0].copy()
    for column in table.columns[1:]:
        table[column] = table[column].map(lambda v: _fmt(v, ".1f"))
    return [("**Per kind of post** (docs/FORMATS.md §11): the words the user still had to edit per post, with the "
             "first guide and the last. A guide learned per kind should bring every kind down, not one at the "
             "others' expense.", table)]


def cumulative_summary(run: RunStore, history=None) -> str:
    """One paragraph (Markdown) under PRELUDE's figure: the words the user edited in all, against no learning
    (offline runs), or why there is no baseline."""
    from writebot.report.analysis import no_learning_costs

    history = load_history(run) if history is None else history
    train = history[history["split"] == "train"]
    if not len(train):
        return "No train draft has been reviewed yet."
    unit, first, last = _unit(run), int(train["epoch"].min()), int(train["epoch"].max())
    total = int(train["word_edit_distance"].sum())
    span = f"{unit} {first}" if first == last else f"{unit}s {first}–{last}"
    said = f"Over {span} the user edited **{total:,}** words on the train topics"
    baseline = no_learning_costs(run)
    if baseline is None:
        return (said + ". There is no no-learning line: it is computed only for offline (rules-engine) runs; for "
                "this run, replaying its starting guide would cost API calls, and this page makes none.")
    base = int(baseline["word_edit_distance"].sum())
    said += f"; the starting guide, never updated, would have needed **{base:,}** on the same topics"
    if base:
        said += f": learning saved **{1 - total / base:.0%}** of the user's edits."
    else:
        said += "."
    note = _baseline_note(run, baseline)
    return said + (f" ({note.replace(chr(10), ' ')})" if note else "")


def _unified_html(text: str) -> str:
    """A unified diff for a reader: added lines green, removed lines red, each with its + or - in a gutter of its
    own, each hunk headed by the line it starts at in the new file; the file header left out; fully shown."""
    import html
    import re

    colours = {"+": "background:#ccf2d1;color:#0b4f1d", "-": "background:#f9d0d0;color:#7a1010", " ": ""}
    rows, header = [], True  # the file header: the lines before the first hunk
    for line in text.splitlines():
        hunk = re.match(r"@@ -\d+(?:,\d+)? \+(\d+)", line)
        header = header and not hunk
        if header:
            continue
        if hunk:
            rows.append(f"<div style='color:#777;font-style:italic;margin-top:4px'>line {hunk[1]}:</div>")
            continue
        mark, rest = (line[:1], line[1:]) if line[:1] in colours else (" ", line)
        rows.append(f"<div style='{colours[mark]}'><span style='display:inline-block;width:1.6em;color:#888;"
                    f"user-select:none'>{mark if mark != ' ' else ''}</span>{html.escape(rest) or '&nbsp;'}</div>")
    return ("<div style='font-family:ui-monospace,Menlo,monospace;font-size:12.5px;line-height:1.45;"
            "white-space:pre-wrap;border:1px solid #ddd;border-radius:6px;padding:6px 10px;margin:2px 0 10px'>"
            + "".join(rows) + "</div>")


def _rationale_html(text: str) -> str:
    """The optimizer's rationale; the rules learner's list of rule changes ("...; added: ...; replaced ...") as a
    list, one change a line."""
    import html
    import re

    parts = re.split(r"[;.] (?=(?:added|removed|replaced|rejected|left out)\b|the examples\b)", text)
    if len(parts) < 3:
        return f"<p style='margin:2px 0 6px'>{html.escape(text)}</p>"
    items = "".join(f"<li>{html.escape(part.rstrip(';'))}</li>" for part in parts[1:])
    return f"<p style='margin:2px 0 2px'>{html.escape(parts[0])}:</p><ul style='margin:0 0 6px'>{items}</ul>"


def _hunks_html(old: str, new: str, context: int = 2) -> str:
    """STYLE.md's change as the lines that changed, with `context` lines around them (added lines green, removed
    lines red); what did not change is left out, so the change is in sight."""
    import difflib

    return _unified_html("\n".join(difflib.unified_diff(old.splitlines(), new.splitlines(), n=context, lineterm="")))


def updates_section_html(run: RunStore) -> str:
    """What each update changed and why, for a reader (static HTML): per update its final verdict, the train words
    before and after, the optimizer's rationale (and why it was not kept), and the lines of STYLE.md it changed;
    a run of updates that changed nothing is one line."""
    import html

    from writebot.text.pipeline import STYLE

    unit, versions, entries = _unit(run), set(run.versions()), run.update_history()
    groups: list[list[dict]] = []
    quiet = {e["epoch"] for e in entries if e["status"] == "unchanged" and not (run.update_for(e["epoch"]) or {})
             .get("budget")}  # an update that left rules out for the budget did find something: it is shown
    for entry in entries:
        if groups and entry["epoch"] in quiet and groups[-1][-1]["epoch"] in quiet:
            groups[-1].append(entry)
        else:
            groups.append([entry])
    parts = []
    for group in groups:
        if len(group) > 1:
            parts.append(f"<h4 style='margin:14px 0 4px'>Updates after {unit}s {group[0]['epoch']}–"
                         f"{group[-1]['epoch']}: unchanged <span style='font-weight:400;color:#555'>({len(group)} "
                         "updates found nothing to change)</span></h4>")
            continue
        entry = group[0]
        epoch, status = entry["epoch"], entry["status"]
        before, after = entry.get("train_cost_before"), entry.get("train_cost_after")
        words = f"{before} → {after} train words" if after is not None else f"{before} train words"
        parts.append(f"<h4 style='margin:14px 0 4px'>Update after {unit} {epoch}: {html.escape(status)} "
                     f"<span style='font-weight:400;color:#555'>({html.escape(words)})</span></h4>")
        parts.append(_rationale_html(entry.get("rationale") or "(no rationale)"))
        verdict = run.verdict_for(epoch) or {}
        if verdict.get("why"):
            parts.append(f"<p style='margin:2px 0 6px'><b>Not kept:</b> {html.escape(str(verdict['why']))}</p>")
        record = run.update_for(epoch) or {}
        if record.get("budget"):
            parts.append(f"<p style='margin:2px 0 6px'><b>Held to the style budget:</b> "
                         f"{html.escape(str(record['budget']))}</p>")
        if {epoch, epoch + 1} <= versions:
            old, new = (run.load_version(e).files.get(STYLE, "") for e in (epoch, epoch + 1))
            if old != new:
                parts.append(_hunks_html(old, new))
            elif record.get("diff", {}).get(STYLE):
                parts.append("<p style='margin:2px 0;color:#555'>Proposed, not kept:</p>"
                             + _unified_html(record["diff"][STYLE]))
            else:
                parts.append("<p style='color:#555;margin:2px 0'>STYLE.md unchanged</p>")
        others = sorted(p for p in record.get("diff", {}) if p != STYLE)
        if others:
            parts.append(f"<p style='color:#555;margin:2px 0 6px'>Also changed: {html.escape(', '.join(others))} "
                         "(the example posts, kept in line with the rules).</p>")
    return "\n".join(parts) or "<p>No update recorded yet.</p>"


def last_update_html(run: RunStore) -> str:
    """Every file the last update that changed any touched, as a line diff."""
    import html

    last = next((u for u in reversed(run.update_records) if u.get("kind") != "gate" and u.get("diff")), None)
    if last is None:
        return "<p>No update changed a file.</p>"
    verdict = (run.verdict_for(last["epoch"]) or last)["status"]
    return "".join(f"<div><b>{html.escape(path)}</b> (update of {_unit(run)} {last['epoch']}): "
                   f"{html.escape(verdict)}</div>" + _unified_html(change) for path, change in last["diff"].items())


def guide_markdown(run: RunStore) -> str:
    """STYLE.md of the last version as the writer reads it (comments for its trainers left out), as a quoted
    document whose headings sit below the page's own."""
    import re

    from writebot.text.pipeline import STYLE, without_comments

    text = without_comments(run.load_version(max(run.versions())).files[STYLE]).strip()
    text = re.sub(r"^(#{1,4}) ", lambda m: "#" * min(6, len(m[1]) + 2) + " ", text, flags=re.M)
    return "\n".join("> " + line if line.strip() else ">" for line in text.splitlines())


def cost_summary(run: RunStore, usage) -> str:
    """The run's LLM calls and cost in a line (Markdown); `usage`: load_usage(run)."""
    if usage.empty:
        return "This run made **no LLM calls**: it cost nothing."
    if _replayed(run):
        return cost_line(run)[0].upper() + cost_line(run)[1:] + "."
    tokens = int(usage["input_tokens"].sum() + usage["output_tokens"].sum())
    priced = usage["cost_usd"].notna().all() if "cost_usd" in usage else False
    return (f"**{len(usage)} LLM calls**, {tokens:,} input and output tokens, **${run.usage_cost():.4f}**"
            + ("" if priced else " (some calls are of a model with no price: their cost is not counted)") + ".")
