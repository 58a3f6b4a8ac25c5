"""Is an update kept? One vocabulary for the verdicts, the three ways to judge an update, and the one function that
records it (the trainer and the workbench both use it).

- immediate (engines with GateKind.IMMEDIATE, the rules engine): re-draft this epoch's train topics with the proposal;
  keep it unless that raises the words the user had to edit;
- deferred (GateKind.DEFERRED, Claude): the update is `pending` until the next epoch's drafts are reviewed; then the
  words edited on the topics reviewed in both epochs decide, in a separate `"kind": "gate"` record;
- either way, an update whose drafts lose more of the brief's points the user keeps, or add more unsupported claims,
  than the drafts before (beyond the judge's noise) is not kept, whatever its edit cost (docs/FORMATS.md §10);
- by hand (notebook 02): the person accepts or rejects each hunk.
"""

from __future__ import annotations

from enum import StrEnum

from writebot import defaults
from writebot.compare.faithfulness import ContentCheck, Judge, Judgement, faithfulness_fields
from writebot.compare.metrics import word_edit_distance
from writebot.engines.base import Engine, Update
from writebot.loop.registry import ENGINES
from writebot.store.formats import DraftRecord, UpdateRecord
from writebot.store.run_folder import RunStore, now
from writebot.text.lint import lint, run_sources
from writebot.text.pipeline import Hunk, Pipeline, diff
from writebot.text.topics import Topic


class Verdict(StrEnum):
    """An update's status in updates.jsonl (docs/FORMATS.md §4)."""

    ACCEPTED = "accepted"
    ROLLED_BACK = "rolled_back"
    UNCHANGED = "unchanged"  # the proposal changed nothing, or there was nothing to learn
    PENDING = "pending"  # a deferred gate's verdict comes with the next epoch
    FAILED = "failed"  # the optimizer could not finish; the pipeline stays
    PARTIAL = "partial"  # by hand: some hunks accepted
    REJECTED = "rejected"  # by hand: none accepted
    RECOVERED = "recovered"  # the record was lost after the next version was in use: that version is kept

    @property
    def keeps_base(self) -> bool:
        """The next version is the one the update started from."""
        return self in (Verdict.ROLLED_BACK, Verdict.FAILED)


EARLIER = 32  # topics seen before the epoch whose drafts an update must not make lose points: the latest ones


def _judged(engine: Engine, judge: Judge, version: Pipeline, record: DraftRecord) -> tuple[str, DraftRecord | None]:
    """The draft `version` writes of a recorded topic, and the record as that draft would be judged against the
    record's ground truth (None for a record from before the judge)."""
    topic = Topic.from_dict(record.topic)
    draft = engine.write(version, topic)
    said = record.faithfulness
    if said is None:
        return draft, None
    truth = Judgement(tuple(said.truth_points), None, judge.name)
    if draft == record.ground_truth:  # the version writes what the user wanted: judged already
        found = Judgement(truth.points, said.added if said.points == said.truth_points else None, judge.name)
    elif draft == record.draft:  # the version writes what was reviewed
        found = Judgement(tuple(said.points), None if said.added is None else tuple(said.added), judge.name)
    else:
        found = judge.judge(topic, draft)
    return draft, record.judged_again(faithfulness_fields(found, truth))


def replay(engine: Engine, judge: Judge, proposal: Pipeline, reviewed: list[DraftRecord],
           earlier: list[DraftRecord] = (),
           start: Pipeline | None = None) -> tuple[int, ContentCheck | None]:
    """Re-draft the reviewed topics with the proposal: the words the user would edit now, and what the drafts
    keep of the briefs against the drafts before (docs/FORMATS.md §10; None for records from before the judge).
    `earlier` topics (seen before this epoch) are drafted by `start` and by the proposal: an update must not lose
    points on them either."""
    after, pairs = 0, []
    for record in reviewed:
        draft, found = _judged(engine, judge, proposal, record)
        after += word_edit_distance(draft, record.ground_truth)
        if found is not None:
            pairs.append((record, found))
    for record in earlier:
        (_, before), (_, found) = _judged(engine, judge, start, record), _judged(engine, judge, proposal, record)
        if before is not None and found is not None:
            pairs.append((before, found))
    return after, ContentCheck.of(judge.name, pairs)


def earlier_records(records: list[DraftRecord], epoch: int, limit: int = EARLIER) -> list[DraftRecord]:
    """The latest record of each train topic reviewed before `epoch` and not in it, the most recent `limit` topics
    (online, a round reviews one topic: the update must keep what the topics before it keep). Bounded so that a
    round's gate costs the same on a long run."""
    now = {r.topic_id for r in records if r.epoch == epoch}
    latest: dict[str, DraftRecord] = {}
    for record in records:
        if record.split == "train" and record.epoch < epoch and record.topic_id not in now:
            latest.pop(record.topic_id, None)
            latest[record.topic_id] = record  # re-inserted: the dict ends with the most recent
    return list(latest.values())[-limit:]


def judge_immediate(engine: Engine, judge: Judge, start: Pipeline, proposal: Pipeline, reviewed: list[DraftRecord],
                    before: int, changed: bool, earlier: list[DraftRecord] = ()) -> tuple[Verdict, int, dict]:
    """Re-draft the epoch's reviewed train topics with the proposal: (verdict, words the user would edit now, extra
    fields for the update record). Kept unless the user would edit more words, or the drafts lose more of the
    brief's points the user keeps (or add more unsupported claims) than the drafts before, beyond the judge's
    noise (docs/FORMATS.md §10), on these topics and on the `earlier` ones."""
    after, content = replay(engine, judge, proposal, reviewed, earlier if changed else (), start)
    if not changed:
        return Verdict.UNCHANGED, after, {}
    why = content.worse() if content else None
    extra = {"content": content.to_dict()} if content else {}
    if why:
        return Verdict.ROLLED_BACK, after, {**extra, "why": f"not kept whatever its edit cost: {why}"}
    return (Verdict.ACCEPTED if after <= before else Verdict.ROLLED_BACK), after, extra


def judge_by_hand(hunks: list[Hunk], accepted: set[str]) -> Verdict:
    kept = [h for h in hunks if h.id in accepted]
    if not hunks:
        return Verdict.UNCHANGED
    return Verdict.ACCEPTED if len(kept) == len(hunks) else Verdict.PARTIAL if kept else Verdict.REJECTED


def judge_deferred(run: RunStore, epoch: int) -> tuple[UpdateRecord | None, bool]:
    """The verdict on the pending update of epoch-1, now that epoch `epoch`'s drafts are reviewed: (gate record or
    None, whether it was recorded just now). Costs are compared on the topics reviewed in both epochs: a topic
    refused in one of them would skew the sums."""
    update = run.update_for(epoch - 1) if epoch > 0 else None
    if not update or update.status != Verdict.PENDING:
        return None, False
    verdict = run.gate_for(epoch - 1)
    if verdict is not None:
        return verdict, False
    earlier, later = train_records(run, epoch - 1), train_records(run, epoch)
    both = sorted(earlier.keys() & later.keys())
    before = sum(earlier[t].word_edit_distance for t in both)
    after = sum(later[t].word_edit_distance for t in both)
    judge = next((r.faithfulness.judge for r in later.values() if r.faithfulness), defaults.JUDGE)
    content = ContentCheck.of(judge, [(earlier[t], later[t]) for t in both])
    why = content.worse() if content else None
    status = Verdict.ROLLED_BACK if why or after > before else Verdict.ACCEPTED
    verdict = UpdateRecord.model_validate(
        {"epoch": epoch - 1, "kind": "gate", "status": status.value, "train_cost_before": before,
         "train_cost_after": after, "topics_compared": len(both), **({"content": content.to_dict()} if content else {}),
         **({"why": f"not kept whatever its edit cost: {why}"} if why else {}), "time": now()})
    run.record_update(verdict)
    return verdict, True


def train_records(run: RunStore, epoch: int) -> dict[str, DraftRecord]:
    """The record of each train topic reviewed in `epoch`, by topic id (a refused topic has none)."""
    return {r.topic_id: r for r in run.draft_records if r.epoch == epoch and r.split == "train"}


def lint_findings(run: RunStore, proposed: Pipeline, budget: int | None = None) -> list[str]:
    """The lint of a proposed version (docs/FORMATS.md §5), its dead-rule check on the run's recorded drafts; the
    budget is the run's unless given."""
    kind = ENGINES.get(run.config.get("engine", ""))
    sources = run_sources(run.draft_records, lambda epoch: run.load_version(epoch).style.rules,
                          kind.base_text if kind else None)
    budget = budget or run.config.get("style_budget") or defaults.STYLE_BUDGET
    kinds = {r.kind for r in run.draft_records} - {None}
    return [str(f) for f in lint(proposed, sources, budget, kinds if kinds else None)]


def record_update(run: RunStore, epoch: int, start: Pipeline, proposed: Pipeline, kept: Pipeline, verdict: Verdict,
                  update: Update, before: int, after: int | None, save: bool = True, lint: list[str] | None = None,
                  **extra) -> UpdateRecord:
    """The one way an update is recorded: save the next version (`kept`), then append the record (so a crash in
    between redoes the update, and never records one whose version is missing). `lint`: the proposal's findings,
    when the caller already has them."""
    if lint is None:
        lint = lint_findings(run, proposed)
    if save:
        run.save_version(epoch + 1, kept)
    record = UpdateRecord.model_validate(
        {"epoch": epoch, "status": verdict.value, "from_version": start.version_hash,
         "to_version": proposed.version_hash, "train_cost_before": before, "train_cost_after": after,
         "rationale": update.rationale, "diff": diff(start, proposed), "details": update.details, "lint": lint,
         **({"error": update.failed} if update.failed else {}), **({"budget": update.budget} if update.budget else {}),
         **extra, "time": now()})
    run.record_update(record)
    return record
