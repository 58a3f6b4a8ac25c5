"""What a run shows, as pandas tables: history, usage, STYLE.md sizes, updates. Reads only (RunStore.open)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from writebot.run_folder import RunStore, csv_text, history_text


def load_history(source: Path | str | RunStore):
    """A run's history (history.csv's table) as a pandas DataFrame, made from its whole records: a damaged or
    half-rebuilt history.csv cannot break it."""
    import pandas as pd

    run = source if isinstance(source, RunStore) else RunStore.open(Path(source))
    return pd.read_csv(io.StringIO(history_text(run.records)))


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
    rows = [{c: u.get(c, "update" if c == "kind" else "") for c in columns} for u in run.update_records]
    return pd.DataFrame(rows, columns=columns)


def epoch_summary(history) -> Any:
    """Per epoch: mean similarity and word edit cost per split; and over every draft of the epoch, the mean share of
    the brief's points kept (`kept`), the points lost (`lost`, summed) and the claims added per draft (`claims`,
    NaN where the judge cannot tell) (docs/FORMATS.md §10; NaN in a run from before the judge)."""
    import pandas as pd

    table = history.pivot_table(index="epoch", columns="split", values=["similarity", "word_edit_distance"],
                                aggfunc="mean")
    table.columns = [f"{split}_{'sim' if metric == 'similarity' else 'words'}" for metric, split in table.columns]
    for column, name in (("points_kept", "kept"), ("points_lost", "lost"), ("claims_added", "claims")):
        values = (pd.to_numeric(history[column], errors="coerce") if column in history
                  else pd.Series(float("nan"), index=history.index))
        grouped = values.groupby(history["epoch"])
        table[name] = grouped.sum(min_count=1) if name == "lost" else grouped.mean()
    return table


def last_update(run: RunStore) -> dict | None:
    """The newest update record (a deferred gate's verdict record is not an update)."""
    return next((u for u in reversed(run.update_records) if u.get("kind") != "gate"), None)
