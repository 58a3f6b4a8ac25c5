"""The epoch loop: draft -> user feedback + ground truth -> update -> gate -> next version, all recorded.

Epoch e's drafts are written by pipeline version e; with N epochs there are N updates, so epochs 0..N appear.
Online, an epoch is a round of one train topic (schedule).
Every step is recorded before the next one starts, so a killed run resumes where it stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from writebot import defaults
from writebot.aio import run_sync
from writebot.compare.faithfulness import Judge, OfflineJudge
from writebot.engines.base import Engine, Evidence, GateKind, Update, ability
from writebot.errors import BudgetReached
from writebot.loop import gate
from writebot.loop.budget import Never, Stopper
from writebot.loop.callbacks import Callbacks
from writebot.loop.drafting import batch_all, draft_all
from writebot.loop.gate import Verdict
from writebot.loop.next_topic import Chooser
from writebot.store.formats import DraftRecord, RefusalRecord, UpdateRecord
from writebot.store.run_folder import RunStore, now, version_dir
from writebot.text.pipeline import Pipeline, diff
from writebot.text.topics import Topic
from writebot.users import User

log = logging.getLogger("writebot")


class Observers(Callbacks):
    """Several callbacks as one: each hears every event; one that fails is logged and the run goes on."""

    def __init__(self, callbacks: Callbacks | list[Callbacks] | None = None):
        self.callbacks = list(callbacks) if isinstance(callbacks, list) else [callbacks or Callbacks()]

    def _each(self, event: Callable[[Callbacks], None]) -> None:
        for callback in self.callbacks:
            try:
                event(callback)
            except Exception:  # a watcher's bug never stops training (KeyboardInterrupt still does)
                log.warning("callback %s failed; training goes on", type(callback).__name__, exc_info=True)

    def on_epoch(self, epoch: int, todo: int) -> None:
        self._each(lambda c: c.on_epoch(epoch, todo))

    def on_draft(self, record: DraftRecord | RefusalRecord) -> None:
        self._each(lambda c: c.on_draft(record))

    def on_batch_poll(self, status) -> None:
        self._each(lambda c: c.on_batch_poll(status))

    def on_warning(self, message: str) -> None:
        self._each(lambda c: c.on_warning(message))

    def on_epoch_end(self, epoch: int) -> None:
        self._each(lambda c: c.on_epoch_end(epoch))

    def on_update(self, record: UpdateRecord) -> None:
        self._each(lambda c: c.on_update(record))

    def on_verdict(self, record: UpdateRecord) -> None:
        self._each(lambda c: c.on_verdict(record))


@dataclass(frozen=True)
class Online:
    """PRELUDE's online protocol (docs/FORMATS.md §1): rounds of one train topic each, `epochs` passes over the
    train topics, each pass's next topic chosen by `select` (next_topic.SELECTIONS; random seeded by `seed`); val
    drafted with the first version, with the last, and, given `val_every` N, every N rounds."""

    select: str = "order"
    val_every: int | None = None
    seed: int = 0


@dataclass(frozen=True)
class Step:
    """What an epoch (or round) drafts: `topics`, and, online, one train topic of pass `pass_no`, picked from what
    the pass has not drafted yet when the round comes."""

    topics: tuple[Topic, ...]
    pass_no: int | None = None


def schedule(topics: list[Topic], epochs: int, online: Online | None = None) -> list[Step]:
    """What each epoch drafts. Epochs: every topic, epochs + 1 times. Online: one train topic per round, `epochs`
    passes; val as Online says."""
    if online is None:
        return [Step(tuple(topics))] * (epochs + 1)
    train_topics = [t for t in topics if t.split == "train"]
    val = tuple(t for t in topics if t.split == "val")
    rounds = epochs * len(train_topics)
    if not rounds:
        return [Step(tuple(topics))]
    every = online.val_every or rounds
    return [*(Step(val if r % every == 0 else (), r // len(train_topics)) for r in range(rounds)), Step(val)]


def pick_train(run: RunStore, step: Step, epoch: int, topics: list[Topic], pipeline: Pipeline,
               chooser: Chooser) -> list[Topic]:
    """The round's train topic: the one recorded for it (resuming), else the chooser's pick from the pass's
    backlog (the train topics no earlier round of the pass drafted)."""
    if step.pass_no is None:
        return []
    train_topics = [t for t in topics if t.split == "train"]
    first = step.pass_no * len(train_topics)
    by_round = {e: tid for e, tid in run.done() if first <= e <= epoch and tid in {t.id for t in train_topics}}
    if epoch in by_round:
        return [t for t in train_topics if t.id == by_round[epoch]]
    backlog = [t for t in train_topics if t.id not in set(by_round.values())]
    return [chooser.pick(backlog, run.draft_records, pipeline, step.pass_no, train_topics).topic]


def train(run: RunStore, engine: Engine, user: User, topics: list[Topic], pipeline: Pipeline, epochs: int,
          callbacks: Callbacks | list[Callbacks] | None = None, concurrency: int = defaults.CONCURRENCY,
          batch: bool = False, online: Online | None = None, judge: Judge | None = None,
          chooser: Chooser | None = None, stopper: Stopper | None = None) -> Pipeline:
    """Run (or continue) training; return the last version. callbacks: who watches (one or a list). batch: each
    epoch's drafts as one Message Batch. online: rounds of one train topic each (schedule), picked by `chooser` (else
    as online.select says). judge: who says what of each brief a draft keeps (the offline judge by default).
    stopper: when to stop cleanly before the end (a budget; BudgetReached)."""
    callbacks, stopper = Observers(callbacks), stopper or Never()
    judge = judge or OfflineJudge()
    plan = schedule(topics, epochs, online)
    chooser = chooser or Chooser(online.select if online else "order", online.seed if online else 0)
    for epoch, step in enumerate(plan):
        # 1. this epoch's version: the one on disk (resuming), or the one the last update left
        if run.has_version(epoch):
            pipeline = run.load_version(epoch)
        else:
            run.save_version(epoch, pipeline)
        # 2. draft every topic not done yet (online: the round's pick first); the user reviews each; each is
        # recorded at once
        drafted = [*pick_train(run, step, epoch, topics, pipeline, chooser), *step.topics]
        done = run.done()
        todo = [t for t in drafted if (epoch, t.id) not in done]
        run.usage.epoch = epoch  # each Claude call's usage row says which epoch it belongs to
        callbacks.on_epoch(epoch, len(todo))
        drafting = batch_all if batch and ability(engine, "batches") else draft_all
        run_sync(drafting(run, engine, user, judge, pipeline, todo, epoch, concurrency, callbacks, stopper))
        run.write_history()
        callbacks.on_epoch_end(epoch)
        # 3. judge the previous update (a deferred gate): a rollback makes this update start from the version before
        start = judge_previous(run, epoch, pipeline, callbacks)
        if epoch == len(plan) - 1:
            break
        # 4. update: learn from everything reviewed so far, judge the proposal, save the next version, record
        if run.update_for(epoch) is None:
            if stopper.reached():
                raise BudgetReached(f"budget reached before the update of epoch {epoch}")
            callbacks.on_update(update(run, engine, judge, start, topics, epoch))
    run.set_status("complete", finished=now())
    return pipeline


def judge_previous(run: RunStore, epoch: int, pipeline: Pipeline, callbacks: Callbacks) -> Pipeline:
    """The version this epoch's update starts from: this epoch's, or the one before a rolled-back update."""
    verdict, new = gate.judge_deferred(run, epoch)
    if new:
        callbacks.on_verdict(verdict)
    return run.load_version(epoch - 1) if verdict and verdict.status == Verdict.ROLLED_BACK else pipeline


def update(run: RunStore, engine: Engine, judge: Judge, start: Pipeline, topics: list[Topic],
           epoch: int) -> UpdateRecord:
    """One update, recorded. Drafts that needed no edits and got no feedback teach nothing: the optimizer is not
    called. An update whose record was lost after its version came into use is recorded as recovered."""
    reviewed = [r for r in run.draft_records if r.epoch == epoch and r.split == "train"]
    before = sum(r.word_edit_distance for r in reviewed)
    if run.has_version(epoch + 1) and run.in_use(epoch + 1):  # its record was moved aside (check --repair)
        kept = run.load_version(epoch + 1)
        why = f"this update's record was lost; {version_dir(epoch + 1)} was already in use by drafts and is kept"
        return gate.record_update(run, epoch, start, kept, kept, Verdict.RECOVERED, Update(kept, why), before, None,
                                  save=False)
    if before == 0 and not any(r.feedback for r in reviewed):
        refused = sum(r.epoch == epoch for r in run.refusal_records)
        why = (f"epoch {epoch}'s train drafts needed no edits" if reviewed else
               f"no train draft of epoch {epoch} was reviewed ({refused} refused)")
        return gate.record_update(run, epoch, start, start, start, Verdict.UNCHANGED,
                                  Update(start, f"nothing to learn: {why}"), before, 0 if reviewed else None)
    pairs = evidence(run.draft_records, upto=epoch, order={t.id: i for i, t in enumerate(topics)})
    proposal = engine.update(start, pairs, run.update_history())
    changed = bool(diff(start, proposal.pipeline))
    extra: dict = {}
    if proposal.failed:
        verdict, after = Verdict.FAILED, None
    elif engine.gate is GateKind.IMMEDIATE:
        verdict, after, extra = gate.judge_immediate(engine, judge, start, proposal.pipeline, reviewed, before,
                                                     changed, gate.earlier_records(run.draft_records, epoch))
    else:
        verdict, after = (Verdict.PENDING, None) if changed else (Verdict.UNCHANGED, before)
    kept = start if verdict.keeps_base else proposal.pipeline
    return gate.record_update(run, epoch, start, proposal.pipeline, kept, verdict, proposal, before, after, **extra)


def evidence(records: list[DraftRecord], upto: int | None = None,
             order: dict[str, int] | None = None) -> list[Evidence]:
    """What a learner may see: the reviewed train drafts of epochs 0..upto, in a fixed order (by epoch, then by the
    topics file's order, then as recorded), so concurrent drafting cannot change what is learned."""
    order = order or {}
    rows = [(i, r) for i, r in enumerate(records) if r.split == "train" and (upto is None or r.epoch <= upto)]
    rows.sort(key=lambda ir: (ir[1].epoch, order.get(ir[1].topic_id, len(order)), ir[0]))
    return [Evidence.from_record(r) for _, r in rows]
