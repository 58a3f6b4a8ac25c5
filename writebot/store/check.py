"""`writebot check DIR [--repair]`: is a run folder sound? Every log line a whole record with its fields, history.csv
what feedback.jsonl implies, every version folder hashing to the version its drafts name, updates pointing at
versions that exist, usage.csv rows that parse, no record past the last version.

Checking reads only. `--repair` is a writer (it takes the folder's lock) and deletes nothing: lines that are not whole
records are moved to <file>.quarantine-<UTC time> beside their log.
"""

from __future__ import annotations

from pathlib import Path

from writebot.errors import InputError
from writebot.store.run_folder import HISTORY_COLUMNS, RunStore, history_text, version_dir
from writebot.text.pipeline import Pipeline


def problems(run: RunStore) -> list[str]:
    """One line per problem, `file:line: what`, in the order a person would fix them."""
    found = [str(b) + ("" if b.movable else " (restore it by hand)") for b in run.skipped]
    hashes = _version_hashes(run, found)
    found += _draft_problems(run, hashes) + _update_problems(run, hashes)
    history = run.path / "history.csv"
    text = history.read_text("utf-8") if history.exists() else ""
    header = text.partition("\n")[0].split(",")
    columns = header if header and header == HISTORY_COLUMNS[: len(header)] else HISTORY_COLUMNS  # an older run's
    # history.csv is rebuilt at the end of each epoch: a run stopped in the middle of one is behind, not damaged
    if run.config.get("status") in ("complete", "repaired") and run.draft_records and (
            not text or text != history_text(run.draft_records, columns)):
        found.append(f"history.csv: differs from what feedback.jsonl holds (columns {', '.join(HISTORY_COLUMNS)}); "
                     "a writer rebuilds it (writebot resume)")
    return found


def _draft_problems(run: RunStore, hashes: dict[int, str]) -> list[str]:
    found, seen, mismatched = [], {}, {}
    last = max(hashes, default=-1)
    for n, record in enumerate(run.draft_records, 1):
        line, key = _line_of(run, "feedback.jsonl", n), (record.epoch, record.topic_id)
        if key in seen:
            found.append(f"feedback.jsonl:{line}: topic {key[1]} of epoch {key[0]} again (first at line {seen[key]})")
        seen.setdefault(key, line)
        if record.epoch > last:
            found.append(f"feedback.jsonl:{line}: epoch {record.epoch} is past the last version (epoch {last})")
        elif record.epoch in hashes and record.version != hashes[record.epoch]:
            mismatched.setdefault(record.epoch, []).append((line, record.version))
    for epoch, drafts in mismatched.items():  # one problem per version folder, however many drafts it concerns
        found.append(f"feedback.jsonl:{drafts[0][0]}: {len(drafts)} draft{'s' * (len(drafts) > 1)} of epoch {epoch} "
                     f"name version {drafts[0][1]}, but {version_dir(epoch)} hashes to {hashes[epoch]} (changed "
                     "after they were written?)")
    for n, refusal in enumerate(run.refusal_records, 1):
        line = _line_of(run, "refusals.jsonl", n)
        if (refusal.epoch, refusal.topic_id) in seen:
            found.append(f"refusals.jsonl:{line}: topic {refusal.topic_id} of epoch {refusal.epoch} is also a "
                         "reviewed draft")
        if refusal.epoch > last:
            found.append(f"refusals.jsonl:{line}: epoch {refusal.epoch} is past the last version (epoch {last})")
    return found


def _update_problems(run: RunStore, hashes: dict[int, str]) -> list[str]:
    found, updates, gates = [], {}, {}
    for n, update in enumerate(run.update_records, 1):
        where, epoch = f"updates.jsonl:{_line_of(run, 'updates.jsonl', n)}", update.epoch
        seen = gates if update.is_gate else updates
        if epoch in seen:
            found.append(f"{where}: a second {'gate verdict' if seen is gates else 'update'} for epoch {epoch} "
                         f"(the first is at line {seen[epoch][0]})")
            continue
        seen[epoch] = (where.rsplit(":", 1)[1], update)
    for epoch, (line, _) in gates.items():
        if epoch not in updates or updates[epoch][1].status != "pending":
            found.append(f"updates.jsonl:{line}: a gate verdict for epoch {epoch}, whose update was not pending")
    for epoch, (line, update) in updates.items():
        where = f"updates.jsonl:{line}"
        if epoch not in hashes or epoch + 1 not in hashes:
            found.append(f"{where}: the update of epoch {epoch} needs {version_dir(epoch)} and "
                         f"{version_dir(epoch + 1)}, and one is missing")
            continue
        start = update.from_version  # the version it began from: this epoch's, or an earlier one rolled back to
        if start is not None and start not in [hashes[e] for e in hashes if e <= epoch]:
            found.append(f"{where}: from_version {start} is none of the versions up to {version_dir(epoch)}")
        kept = start if update.status in ("rolled_back", "failed", "rejected") else update.to_version
        if kept is not None and kept != hashes[epoch + 1]:
            found.append(f"{where}: the {update.status} update should leave {kept} in {version_dir(epoch + 1)}, "
                         f"which holds {hashes[epoch + 1]}")
    return found


def _version_hashes(run: RunStore, found: list[str]) -> dict[int, str]:
    hashes = {}
    for epoch in run.versions():
        try:
            hashes[epoch] = Pipeline.load(run.path / version_dir(epoch)).version_hash
        except InputError as exc:
            found.append(f"{version_dir(epoch)}: {exc}")
    return hashes


def _line_of(run: RunStore, name: str, n: int) -> int:
    """The file line of the n-th whole record (skipped lines come between)."""
    skipped = sorted(b.line for b in run.skipped if b.path.name == name)
    line = n
    for bad in skipped:
        if bad <= line:
            line += 1
    return line


def repair(path: Path | str) -> list[str]:
    """Move every line that is not a whole record into a quarantine file beside its log; return what moved."""
    with RunStore.open_for_writing(path, "check --repair", as_is=True) as run:
        moved = []
        by_log: dict[Path, list] = {}
        for bad in run.skipped:
            if bad.movable:
                by_log.setdefault(bad.path, []).append(bad)
        for log_path, bad in by_log.items():  # one move per log: the offsets of its bad lines stay right
            aside = run.log_at(log_path).move_aside(bad, "quarantine")
            moved.append(f"{log_path.name}: moved line{'s' * (len(bad) > 1)} {', '.join(str(b.line) for b in bad)} "
                         f"to {aside.name}")
        if moved and run.config.get("status") == "complete":  # what was moved aside is to be done again
            run.set_status("repaired", repaired=moved)
        return moved
