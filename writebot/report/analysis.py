"""What a run shows, as pandas tables: history, usage, STYLE.md sizes, updates. Reads only (RunStore.open)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from writebot.store.formats import UpdateRecord
from writebot.store.run_folder import RunStore, csv_text, history_text


def load_history(source: Path | str | RunStore):
    """A run's history (history.csv's table) as a pandas DataFrame, made from its whole records: a damaged or
    half-rebuilt history.csv cannot break it."""
    import pandas as pd

    run = source if isinstance(source, RunStore) else RunStore.open(Path(source))
    return pd.read_csv(io.StringIO(history_text(run.draft_records)))


def load_usage(source: Path | str | RunStore):
    """A run's usage.csv as a DataFrame, whole rows only (empty for a rules-engine run)."""
    import pandas as pd

    run = source if isinstance(source, RunStore) else RunStore.open(Path(source))
    return pd.read_csv(io.StringIO(csv_text(run.usage.columns, run.usage.rows)))


def style_sizes(run: RunStore):
    """Characters and rules in STYLE.md per epoch."""
    import pandas as pd

    rows = []
    for epoch in run.versions():
        pipeline = run.load_version(epoch)
        rows.append({"epoch": epoch, "characters": len(pipeline.files["STYLE.md"]), "rules": len(pipeline.style.rules)})
    return pd.DataFrame(rows)


def updates_table(run: RunStore):
    """One row per update (and per deferred-gate verdict): epoch, status, costs, rationale."""
    import pandas as pd

    columns = ["epoch", "kind", "status", "train_cost_before", "train_cost_after", "rationale"]
    records = [u.to_dict() for u in run.update_records]  # as recorded: a field a record lacks is an empty cell
    rows = [{c: u.get(c, "update" if c == "kind" else "") for c in columns} for u in records]
    return pd.DataFrame(rows, columns=columns)


def epoch_summary(history) -> Any:
    """Per epoch: mean similarity and word edit cost per split; and over every draft of the epoch, the mean share of
    the brief's points kept (`kept`), the points lost (`lost`, summed) and the claims added per draft (`claims`,
    NaN where the judge cannot tell) (docs/FORMATS.md §10; NaN in a run from before the judge); and a person's
    effort per draft, `seconds` and words `typed` (NaN for simulated users, writebot.users.effort)."""
    import pandas as pd

    table = history.pivot_table(index="epoch", columns="split", values=["similarity", "word_edit_distance"],
                                aggfunc="mean")
    table.columns = [f"{split}_{'sim' if metric == 'similarity' else 'words'}" for metric, split in table.columns]
    for column, name in (("points_kept", "kept"), ("points_lost", "lost"), ("claims_added", "claims"),
                         ("effort_seconds", "seconds"), ("effort_words", "typed")):
        values = (pd.to_numeric(history[column], errors="coerce") if column in history
                  else pd.Series(float("nan"), index=history.index))
        grouped = values.groupby(history["epoch"])
        table[name] = grouped.sum(min_count=1) if name == "lost" else grouped.mean()
    return table


def last_update(run: RunStore) -> UpdateRecord | None:
    """The newest update record (a deferred gate's verdict record is not an update)."""
    return next((u for u in reversed(run.update_records) if not u.is_gate), None)


def no_learning_costs(run: RunStore):
    """PRELUDE's no-learning baseline: every recorded train draft's topic drafted again by the run's starting
    version (version 0, never updated) and scored against the ground truth the user wrote that epoch or round. For a
    simulated user whose edits are deterministic, that is exactly what the user would have had to edit with no
    learning. A DataFrame (epoch, topic_id, word_edit_distance), or None for a run whose writer calls an LLM (a
    replay would cost API calls: none is made) or that has no version 0. Offline, it costs nothing and writes
    nothing."""
    import pandas as pd

    from writebot.compare.metrics import word_edit_distance
    from writebot.engines.rules import RulesEngine
    from writebot.loop.registry import ENGINES
    from writebot.text.topics import Topic

    kind = ENGINES.get(run.config.get("engine") or "")
    if kind is None or kind.needs_llm or 0 not in run.versions():
        return None
    start, writer, drafts, rows = run.load_version(0), RulesEngine(), {}, []
    for record in run.draft_records:
        if record.split != "train":
            continue
        topic = record.topic_id
        if topic not in drafts:  # the writer is deterministic: one draft per topic
            drafts[topic] = writer.write(start, Topic.from_dict(record.topic))
        rows.append({"epoch": record.epoch, "topic_id": topic,
                     "word_edit_distance": word_edit_distance(drafts[topic], record.ground_truth)})
    return pd.DataFrame(rows, columns=["epoch", "topic_id", "word_edit_distance"])


def pass_summary(history, baseline=None):
    """An online run's train topics per pass over them (one topic per round, the same order each pass): the rounds,
    the mean similarity and words to edit per post, the words edited in all (and, given the no-learning `baseline`
    of no_learning_costs, what they would have been), and over the pass's drafts the share of the briefs' points kept,
    the points lost and the claims added per draft (NaN where the judge cannot tell)."""
    import pandas as pd

    train = history[history["split"] == "train"].sort_values("epoch")
    train = train.assign(**{"pass": train.groupby("topic_id").cumcount() + 1})
    numbers = {c: pd.to_numeric(train[c], errors="coerce") if c in train else pd.Series(float("nan"), train.index)
               for c in ("points_kept", "points_lost", "claims_added")}
    grouped = train.assign(**numbers).groupby("pass")
    table = pd.DataFrame({"first": grouped["epoch"].min(), "last": grouped["epoch"].max(),
                          "sim": grouped["similarity"].mean(), "words": grouped["word_edit_distance"].mean(),
                          "words_total": grouped["word_edit_distance"].sum(), "kept": grouped["points_kept"].mean(),
                          "lost": grouped["points_lost"].sum(min_count=1), "claims": grouped["claims_added"].mean()})
    if baseline is not None and len(baseline):
        passes = train.set_index(["epoch", "topic_id"])["pass"]
        base = baseline.join(passes, on=["epoch", "topic_id"])
        table["no_learning_total"] = base.groupby("pass")["word_edit_distance"].sum()
    return table


def kind_summary(history) -> Any:
    """Per kind of post (docs/FORMATS.md §11): the posts, the mean words to edit per post (val where the run has val
    topics, else train) with the first version and with the last, and per epoch for the curve; None for a run whose
    topics have no kinds."""
    if "kind" not in history or history["kind"].isna().all():
        return None
    rows = history.dropna(subset=["kind"])
    split = "val" if (rows["split"] == "val").any() else "train"
    rows = rows[rows["split"] == split]
    per_epoch = rows.pivot_table(index="epoch", columns="kind", values="word_edit_distance", aggfunc="mean")
    first, last = per_epoch.index.min(), per_epoch.index.max()
    table = per_epoch.loc[[first, last]].T
    table.columns = [f"{split} words to edit, epoch {first}", f"{split} words to edit, epoch {last}"]
    table.insert(0, "topics", rows.groupby("kind")["topic_id"].nunique())
    table.index.name = "kind"
    return table, per_epoch
