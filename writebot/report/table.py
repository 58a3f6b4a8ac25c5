"""The run's figures as tables: the per-epoch (online: per-round) table `writebot report` prints, and the tables
notebook 04 and the share page show."""

from __future__ import annotations

from writebot.report.analysis import epoch_summary, load_history
from writebot.report.words import _baseline_note, _unit, cost_line
from writebot.store.run_folder import RunStore


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
        shown = ", ".join(f"{r.topic_id}@{r.epoch}" for r in run.refusal_records[:5])
        lines.append(f"\n{len(run.refusal_records)} refused by Claude and left out of the scores (refusals.jsonl): "
                     f"{shown}"
                     + (", ..." if len(run.refusal_records) > 5 else ""))
    if run.usage_rows():
        said = cost_line(run)
        lines.append(f"\n{said[0].upper()}{said[1:]}")
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
        verdict = run.verdict_for(epoch)
        quiet = (run.config.get("online") and verdict is not None and verdict.status == "unchanged"
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
    status, before, after = verdict.status, verdict.train_cost_before, verdict.train_cost_after
    if status in ("pending", "failed", "recovered") or after is None:
        return status
    if verdict.topics_compared is not None:  # a deferred gate: the next drafts, on the topics reviewed in both
        n = verdict.topics_compared
        if not n:
            return f"{status}: no topic in both {_unit(run)}s, nothing compared"
        return f"{status}: {before} -> {after} next {_unit(run)} ({n} topic{'s' * (n != 1)})"
    return f"{status}: {before} -> {after} replayed"


def update_footnote(run: RunStore) -> str:
    """What the update column's figures are: they are not the next row's train words."""
    unit = _unit(run)
    deferred = any(v.topics_compared is not None for e in run.versions() if (v := run.verdict_for(e)))
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
    val = [r for r in run.draft_records if r.split == "val"]
    if val:
        topic = val[0].topic_id
        first = next(r for r in val if r.topic_id == topic and r.epoch == 0)
        final = next((r for r in val if r.topic_id == topic and r.epoch == last), None)
        for label, record in (("before training (epoch 0)", first), (f"after training (epoch {last})", final)):
            if record:
                lines += ["", f"Val topic '{topic}', {label}: {record.word_edit_distance} words still to edit",
                          *("    " + line for line in record.draft.rstrip().splitlines())]
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


def kind_table(run: RunStore, history=None) -> str | None:
    """The cost per kind of post as a text table (writebot report); None for a run without kinds."""
    from writebot.report.analysis import kind_summary

    found = kind_summary(load_history(run) if history is None else history)
    if found is None:
        return None
    table = found[0]
    return "per kind of post (mean per post):\n" + table.to_string(float_format=lambda v: f"{v:.1f}")


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
