"""The run folder (CONTRACTS §4): atomic snapshots and tables, append-only fsynced logs, resume, load to pandas.

feedback.jsonl is the source of truth for drafts and scores; history.csv is rebuilt from it atomically.
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

from writebot import __version__
from writebot.errors import InputError
from writebot.files import JsonlLog, read_text, write_atomic, write_json_atomic
from writebot.llm import UsageLog
from writebot.pipeline import Pipeline

HISTORY_COLUMNS = ["epoch", "topic_id", "split", "similarity", "word_edit_distance", "char_edit_distance",
                   "version", "feedback_count"]


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def version_dir(epoch: int) -> str:
    return f"versions/epoch_{epoch:03d}"


def _csv(columns: list[str], rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


class RunStore:
    """One run folder. create() starts one; open() reopens it for resume or report."""

    def __init__(self, path: Path, config: dict[str, Any]):
        self.path = path
        self.config = config
        self.feedback = JsonlLog(path / "feedback.jsonl")
        self.updates = JsonlLog(path / "updates.jsonl")
        self.batches = JsonlLog(path / "batches.jsonl")
        self.refusals = JsonlLog(path / "refusals.jsonl")
        self.records = self.feedback.read()
        self.update_records = self.updates.read()
        self.refused = self.refusals.read()

    @classmethod
    def create(cls, path: Path | str, config: dict[str, Any], inputs: dict[str, str]) -> RunStore:
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise InputError(f"{path}: --out exists and is a file; choose a folder path")
        if (path / "run.json").exists():
            raise InputError(f"{path}: already holds a writebot run; continue it with 'writebot resume {path}' "
                             "or choose a new --out folder")
        if path.is_dir() and any(path.iterdir()):
            raise InputError(f"{path}: --out exists and is not a writebot run (it holds other files); "
                             "choose a new or empty folder")
        path.mkdir(parents=True, exist_ok=True)
        for name, text in inputs.items():  # copies, so resume does not depend on files that may change
            write_atomic(path / "inputs" / name, text)
        config = {"writebot": __version__, **config, "started": now(), "status": "running"}
        write_json_atomic(path / "run.json", config)
        UsageLog(path / "usage.csv")  # the header; rows come from LLM calls
        return cls(path, config)

    @classmethod
    def open(cls, path: Path | str) -> RunStore:
        path = Path(path)
        if not path.is_dir():
            raise InputError(f"{path}: run folder not found; pass the --out folder of a writebot run")
        if not (path / "run.json").exists():
            raise InputError(f"{path}: not a writebot run (no run.json); pass the --out folder of a writebot run")
        try:
            config = json.loads(read_text(path / "run.json", "run file"))
        except json.JSONDecodeError as exc:
            raise InputError(f"{path / 'run.json'}: damaged (line {exc.lineno}: {exc.msg}); restore it") from None
        if not isinstance(config, dict) or "writebot" not in config:
            raise InputError(f"{path / 'run.json'}: not a writebot run file; pass a writebot run folder")
        return cls(path, config)

    def set_status(self, status: str, **extra: Any) -> None:
        self.config = {**self.config, "status": status, "updated": now(), **extra}
        write_json_atomic(self.path / "run.json", self.config)

    def input_path(self, name: str) -> Path:
        return self.path / "inputs" / name

    # -- versions ---------------------------------------------------------------------------------------
    def has_version(self, epoch: int) -> bool:
        return (self.path / version_dir(epoch) / "STYLE.md").exists()

    def save_version(self, epoch: int, pipeline: Pipeline) -> None:
        pipeline.save(self.path / version_dir(epoch))

    def load_version(self, epoch: int) -> Pipeline:
        return Pipeline.load(self.path / version_dir(epoch))

    def versions(self) -> list[int]:
        folder = self.path / "versions"
        if not folder.is_dir():
            return []
        return sorted(int(p.name[6:]) for p in folder.glob("epoch_[0-9][0-9][0-9]") if (p / "STYLE.md").exists())

    # -- records ----------------------------------------------------------------------------------------
    def done(self) -> set[tuple[int, str]]:
        """(epoch, topic id) of every topic drafted and reviewed, or refused, so far."""
        return {(r["epoch"], r["topic_id"]) for r in self.records + self.refused}

    def record_draft(self, record: dict[str, Any]) -> None:
        self.feedback.append(record)
        self.records.append(record)

    def update_for(self, epoch: int) -> dict | None:
        """The update made at the end of `epoch` (not a later gate verdict on it)."""
        return next((u for u in self.update_records if u["epoch"] == epoch and u.get("kind") != "gate"), None)

    def gate_for(self, epoch: int) -> dict | None:
        """A deferred gate's verdict on the update of `epoch`, once recorded."""
        return next((u for u in self.update_records if u["epoch"] == epoch and u.get("kind") == "gate"), None)

    def verdict_for(self, epoch: int) -> dict | None:
        """The final word on the update of `epoch`: a deferred gate's verdict if there is one, else the update."""
        return self.gate_for(epoch) or self.update_for(epoch)

    def record_refusal(self, record: dict[str, Any]) -> None:
        """A topic Claude declined (twice) for this epoch: kept in refusals.jsonl, never as a draft or ground truth,
        so history, plots and the learner skip it."""
        self.refusals.append(record)
        self.refused.append(record)

    def update_history(self) -> list[dict]:
        """Every update with its final verdict (a deferred gate's, when there is one) and both train costs."""
        out = []
        for update in self.update_records:
            if update.get("kind") == "gate":
                continue
            verdict = self.verdict_for(update["epoch"])
            out.append({"epoch": update["epoch"], "status": verdict["status"],
                        "train_cost_before": update.get("train_cost_before"),
                        "train_cost_after": verdict.get("train_cost_after"), "rationale": update.get("rationale", "")})
        return out

    def record_update(self, record: dict[str, Any]) -> None:
        self.updates.append(record)
        self.update_records.append(record)

    def usage_rows(self) -> list[dict]:
        return UsageLog(self.path / "usage.csv").rows if (self.path / "usage.csv").exists() else []

    def usage_cost(self) -> float:
        return sum(float(r.get("cost_usd") or 0) for r in self.usage_rows())

    def record_batch(self, epoch: int, batch_id: str, members: dict[str, str]) -> None:
        """A submitted Message Batch (custom_id -> topic id), so a resumed run collects its results for every topic
        it covers instead of paying twice."""
        self.batches.append({"epoch": epoch, "batch_id": batch_id, "custom_ids": members,
                             "topic_ids": list(members.values()), "time": now()})

    def batches_for(self, epoch: int) -> dict[str, dict[str, str]]:
        """batch id -> {custom_id: topic id} for the batches submitted in `epoch` (older runs: positional ids)."""
        return {b["batch_id"]: b.get("custom_ids") or {f"draft-{i}": t for i, t in enumerate(b["topic_ids"])}
                for b in self.batches.read() if b["epoch"] == epoch}

    def write_history(self) -> None:
        rows = [{**r, "feedback_count": len(r.get("feedback", []))} for r in self.records]
        rows.sort(key=lambda r: r["epoch"])
        write_atomic(self.path / "history.csv", _csv(HISTORY_COLUMNS, rows))


def load_history(path: Path | str):
    """history.csv of a run as a pandas DataFrame."""
    import pandas as pd

    return pd.read_csv(Path(path) / "history.csv")


def load_usage(path: Path | str):
    """usage.csv of a run as a DataFrame (empty for a rules-engine run)."""
    import pandas as pd

    return pd.read_csv(Path(path) / "usage.csv")


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
    """Mean similarity and word edit cost per epoch and split, one row per epoch."""
    table = history.pivot_table(index="epoch", columns="split", values=["similarity", "word_edit_distance"],
                                aggfunc="mean")
    table.columns = [f"{split}_{'sim' if metric == 'similarity' else 'words'}" for metric, split in table.columns]
    return table
