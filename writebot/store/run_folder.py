"""The run folder (docs/FORMATS.md §4): atomic snapshots and tables, append-only fsynced logs, one writer, resume.

feedback.jsonl is the source of truth for drafts and scores; history.csv is rebuilt from it atomically.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import time
from pathlib import Path
from typing import Any

from writebot import __version__
from writebot.errors import InputError, ReadOnly
from writebot.files import BadLine, JsonlLog, read_text, write_atomic, write_json_atomic
from writebot.store.formats import (
    LOGS,
    BatchRecord,
    DraftRecord,
    Record,
    RefusalRecord,
    RunFile,
    UpdateRecord,
    UpdateSummary,
)
from writebot.store.runlock import LOCK_FILE, RunLock
from writebot.store.usage import UsageLog
from writebot.text.pipeline import Pipeline

HISTORY_COLUMNS = ["epoch", "topic_id", "split", "similarity", "word_edit_distance", "char_edit_distance",
                   "version", "feedback_count", "points_kept", "claims_added", "points_lost", "effort_seconds",
                   "effort_words", "kind"]


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def version_dir(epoch: int) -> str:
    return f"versions/epoch_{epoch:03d}"


def _clear_unfinished(path: Path) -> None:
    """Writers only: the temporary files of atomic writes a crash interrupted (hidden `.NAME.XXXX.tmp`, and the
    `.NAME.old` a tree replacement keeps for a moment). They never held a record: the write they belong to either
    never happened or is complete beside them, except an `.old` tree whose replacement never arrived, which is put
    back."""
    for old in path.glob("versions/.*.old"):
        if not (old.parent / old.name[1:-4]).exists():
            old.rename(old.parent / old.name[1:-4])
    ours = ["run.json", "history.csv", "usage.csv", *LOGS]  # not a report's plots: a reader may be writing those
    leftovers = [p for name in ours for p in path.glob(f".{name}.*.tmp")]
    leftovers += [*path.glob("inputs/.*.tmp"), *path.glob("versions/.*.tmp"), *path.glob("versions/.*.old")]
    for stale in leftovers:
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


def refuse_output_inside(run_path: Path, out: Path) -> None:
    """Readers that write something of their own (share, export) write it outside the run they read."""
    if out.resolve().is_relative_to(run_path.resolve()):
        raise InputError(f"--out {out}: inside the run folder {run_path}, which reading never changes; "
                         "write it somewhere else")


def read_config(path: Path) -> dict[str, Any]:
    """run.json of the run at `path`, or InputError saying what is wrong."""
    if not path.is_dir():
        raise InputError(f"{path}: run folder not found; pass the --out folder of a writebot run")
    if not (path / "run.json").exists():
        raise InputError(f"{path}: not a writebot run (no run.json); pass the --out folder of a writebot run")
    try:
        config = json.loads(read_text(path / "run.json", "run file"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path / 'run.json'}: damaged (line {exc.lineno}: {exc.msg}); restore it") from None
    if not isinstance(config, dict) or not RunFile.fits(config):
        raise InputError(f"{path / 'run.json'}: not a writebot run file; pass a writebot run folder")
    return config


def csv_text(columns: list[str], rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()




class RunStore:
    """One run folder. create() starts one and open_for_writing() reopens one to continue it, both holding the
    folder's lock (one writer at a time); open() reads one and never writes: the lines it could not use are in
    `skipped`, whole, for a writer (or `writebot check --repair`) to deal with."""

    def __init__(self, path: Path, config: dict[str, Any], lock: RunLock | None = None):
        self.path = path
        self.config = config
        self.lock = lock
        self.feedback, self.updates, self.refusals, self.batches = (
            JsonlLog(path / name, model) for name, model in LOGS.items())
        scans = {log.path.name: log.scan() for log in (self.feedback, self.updates, self.refusals, self.batches)}
        self.draft_records: list[DraftRecord] = scans["feedback.jsonl"].records
        self.update_records: list[UpdateRecord] = scans["updates.jsonl"].records
        self.refusal_records: list[RefusalRecord] = scans["refusals.jsonl"].records
        self.usage = UsageLog(path / "usage.csv")
        self.skipped: list[BadLine] = [b for scan in scans.values() for b in scan.bad] + self.usage.bad
        self.repaired: list[str] = []  # what open_for_writing moved aside, for the caller to say

    def log_at(self, path: Path):
        """The log (a JsonlLog, or the UsageLog) whose file is `path`."""
        return next(log for log in (self.feedback, self.updates, self.refusals, self.batches, self.usage)
                    if log.path == path)

    def refuse_damage(self) -> None:
        """InputError for the first line, other than a torn last one, that is not a whole record."""
        damaged = [b for b in self.skipped if not b.torn or not b.movable]
        if damaged:
            bad = damaged[0]
            fix = (f"look at it, then move it aside with: writebot check {self.path} --repair" if bad.movable else
                   "it cannot be moved aside; restore it by hand")
            raise InputError(f"{bad.path}:{bad.line}: {bad.reason}; nothing was changed. {fix[0].upper()}{fix[1:]}")

    @property
    def writable(self) -> bool:
        return self.lock is not None and self.lock.held

    def _writer(self) -> None:
        if not self.writable:
            raise ReadOnly(f"{self.path}: opened read-only; use RunStore.open_for_writing to change a run")

    def close(self) -> None:
        """Release the folder's lock (a writer's; nothing for a reader)."""
        if self.lock is not None:
            self.lock.release()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @classmethod
    def create(cls, path: Path | str, config: dict[str, Any], inputs: dict[str, str],
               command: str = "writebot") -> RunStore:
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise InputError(f"{path}: --out exists and is a file; choose a folder path")
        if (path / "run.json").exists():
            finished = read_config(path).get("status") == "complete"
            raise InputError(f"{path}: already holds a writebot run" + (
                f" (complete: read it with 'writebot report {path}'); choose a new --out folder" if finished else
                f"; continue it with 'writebot resume {path}' or choose a new --out folder"))
        # a creation cut short by a crash leaves at most the lock and inputs/, nothing recorded: it may be used again
        if path.is_dir() and any(p.name not in (LOCK_FILE, "inputs") for p in path.iterdir()):
            raise InputError(f"{path}: --out exists and is not a writebot run (it holds other files); "
                             "choose a new or empty folder")
        path.mkdir(parents=True, exist_ok=True)
        lock = RunLock.acquire(path, command)
        if (path / "run.json").exists():  # another writer created it between our check and our lock
            lock.release()
            raise InputError(f"{path}: already holds a writebot run; choose a new --out folder")
        for name, text in inputs.items():  # copies, so resume does not depend on files that may change
            write_atomic(path / "inputs" / name, text)
        config = {"writebot": __version__, **config, "started": now(), "status": "running"}
        write_json_atomic(path / "run.json", config)
        UsageLog.create(path / "usage.csv")  # the header; rows come from LLM calls
        return cls(path, config, lock)

    @classmethod
    def open(cls, path: Path | str) -> RunStore:
        """Read a run: nothing in the folder changes, whatever it holds."""
        path = Path(path)
        return cls(path, read_config(path))

    @classmethod
    def open_for_writing(cls, path: Path | str, command: str, as_is: bool = False) -> RunStore:
        """Take the folder's lock and make the logs safe to append to: a torn last line (a crash in the middle of
        an append) is moved to <file>.torn-<UTC time>, and said in `repaired`; any other line that is not a whole
        record stops here (InputError naming the file and line), with nothing changed. `as_is`: take the lock and
        touch nothing (for `writebot check --repair`, which moves bad lines itself)."""
        path = Path(path)
        read_config(path)
        lock = RunLock.acquire(path, command)
        try:
            run = cls(path, read_config(path), lock)
            if as_is:
                return run
            run.refuse_damage()
            _clear_unfinished(path)
            if run.skipped:  # only torn last lines are left: one per log at most
                for bad in run.skipped:
                    aside = run.log_at(bad.path).move_aside([bad], "torn")
                    run.repaired.append(f"{bad.path.name}:{bad.line}: a torn last line ({len(bad.data)} bytes, "
                                        f"a write that did not finish) moved to {aside.name}")
                repaired = run.repaired
                run = cls(path, run.config, lock)
                run.repaired = repaired
            return run
        except BaseException:
            lock.release()
            raise

    def set_status(self, status: str, **details: Any) -> None:
        """The run's status (running, complete, stopped, failed, ...) and what goes with it (finished, reason)."""
        self.set_config(status=status, **details)

    def set_config(self, **keys: Any) -> None:
        """Keys of run.json (the tracker's ids, a new budget), written atomically; the status stays as it is."""
        self._writer()
        self.config = {**self.config, "updated": now(), **keys}
        write_json_atomic(self.path / "run.json", self.config)

    def input_path(self, name: str) -> Path:
        return self.path / "inputs" / name

    # -- versions ---------------------------------------------------------------------------------------
    def has_version(self, epoch: int) -> bool:
        return (self.path / version_dir(epoch) / "STYLE.md").exists()

    def save_version(self, epoch: int, pipeline: Pipeline) -> None:
        """Write versions/epoch_NNN. A version that drafts already name is never replaced by another."""
        self._writer()
        if self.in_use(epoch) and self.has_version(epoch) and self.load_version(epoch) != pipeline:
            raise RuntimeError(f"{self.path / version_dir(epoch)}: drafts name this version; it must not change")
        pipeline.save(self.path / version_dir(epoch))

    def in_use(self, epoch: int) -> bool:
        """Drafts (or refusals) of this epoch are recorded: they were written with its version."""
        return any(r.epoch == epoch for r in [*self.draft_records, *self.refusal_records])

    def load_version(self, epoch: int) -> Pipeline:
        return Pipeline.load(self.path / version_dir(epoch))

    def last_kept_version(self) -> int | None:
        """The newest version a writer should write with: the last one, unless the update that made it is still
        pending (a deferred gate not yet judged) or was rolled back, then the one before it (and so on)."""
        versions = self.versions()
        last = max(versions) if versions else None
        while last:
            verdict = self.verdict_for(last - 1)
            if not verdict or verdict.status not in ("pending", "rolled_back") or last - 1 not in versions:
                break
            last -= 1
        return last

    def versions(self) -> list[int]:
        folder = self.path / "versions"
        if not folder.is_dir():
            return []
        return sorted(int(p.name[6:]) for p in folder.glob("epoch_[0-9][0-9][0-9]") if (p / "STYLE.md").exists())

    # -- records ----------------------------------------------------------------------------------------
    def done(self) -> set[tuple[int, str]]:
        """(epoch, topic id) of every topic drafted and reviewed, or refused, so far."""
        return {(r.epoch, r.topic_id) for r in [*self.draft_records, *self.refusal_records]}

    def record_draft(self, record: DraftRecord) -> None:
        self._writer()
        self.feedback.append(_declared(record))
        self.draft_records.append(record)

    def update_for(self, epoch: int) -> UpdateRecord | None:
        """The update made at the end of `epoch` (not a later gate verdict on it)."""
        return next((u for u in self.update_records if u.epoch == epoch and not u.is_gate), None)

    def gate_for(self, epoch: int) -> UpdateRecord | None:
        """A deferred gate's verdict on the update of `epoch`, once recorded."""
        return next((u for u in self.update_records if u.epoch == epoch and u.is_gate), None)

    def verdict_for(self, epoch: int) -> UpdateRecord | None:
        """The final word on the update of `epoch`: a deferred gate's verdict if there is one, else the update."""
        return self.gate_for(epoch) or self.update_for(epoch)

    def record_refusal(self, record: RefusalRecord) -> None:
        """A topic Claude declined (twice) for this epoch: kept in refusals.jsonl, never as a draft or ground truth,
        so history, plots and the learner skip it."""
        self._writer()
        self.refusals.append(_declared(record))
        self.refusal_records.append(record)

    def update_history(self) -> list[UpdateSummary]:
        """Every update once (the last record of its epoch: a failed update redone on resume is the redone one) with
        its final verdict (a deferred gate's, when there is one), both train costs and its rationale."""
        out: dict[int, UpdateSummary] = {}
        for update in self.update_records:
            if update.is_gate:
                continue
            verdict = self.gate_for(update.epoch) or update
            out.pop(update.epoch, None)
            out[update.epoch] = UpdateSummary(update.epoch, verdict.status, update.train_cost_before,
                                              verdict.train_cost_after, update.rationale)
        return list(out.values())

    def record_update(self, record: UpdateRecord) -> None:
        self._writer()
        self.updates.append(_declared(record))
        self.update_records.append(record)

    def usage_rows(self) -> list[dict]:
        return self.usage.rows

    def usage_cost(self) -> float:
        return sum(float(r.get("cost_usd") or 0) for r in self.usage_rows())

    def record_batch(self, epoch: int, batch_id: str, members: dict[str, str]) -> None:
        """A submitted Message Batch (custom_id -> topic id), so a resumed run collects its results for every topic
        it covers instead of paying twice."""
        self._writer()
        record = BatchRecord(epoch=epoch, batch_id=batch_id, custom_ids=members, topic_ids=list(members.values()),
                             time=now())
        self.batches.append(_declared(record))

    def batches_for(self, epoch: int) -> dict[str, dict[str, str]]:
        """batch id -> {custom_id: topic id} for the batches submitted in `epoch` (older runs: positional ids)."""
        return {b.batch_id: b.members() for b in self.batches.read() if b.epoch == epoch}

    def write_history(self) -> None:
        self._writer()
        write_atomic(self.path / "history.csv", history_text(self.draft_records))


def _declared(record: Record) -> dict[str, Any]:
    """A new record's line: only fields its model declares (docs/FORMATS.md §4 lists each). A field no model declares
    is a writer's mistake: it would go undocumented, and after `time` in the line."""
    if record.model_extra:
        raise RuntimeError(f"{type(record).__name__}: {', '.join(sorted(record.model_extra))} not declared in "
                           "writebot/store/formats.py; declare each field a writer records")
    return record.to_dict()


def history_text(records: list[DraftRecord], columns: list[str] = HISTORY_COLUMNS) -> str:
    """history.csv as feedback.jsonl's records imply it (`columns`: a run folder written before a column was
    added keeps the columns it has)."""
    rows = [{**r.to_dict(), "feedback_count": len(r.feedback), "kind": r.post_kind} for r in records]
    rows.sort(key=lambda r: r["epoch"])
    return csv_text(columns, rows)
