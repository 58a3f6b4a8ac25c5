"""Phase 2 of an epoch: draft every topic not done yet, have the user review each draft, record each the moment it is
done (or record it refused). Concurrent drafts, or one Message Batch."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING

from writebot.compare.faithfulness import Judge, faithfulness_fields
from writebot.compare.metrics import scores
from writebot.engines.base import Draft, Engine
from writebot.errors import BatchIncomplete, BudgetReached, Refused
from writebot.loop.callbacks import Callbacks
from writebot.loop.fan_out import close_all, fan_out
from writebot.store.formats import DraftRecord, RefusalRecord
from writebot.store.run_folder import RunStore, now
from writebot.text.pipeline import Pipeline
from writebot.text.post import normalize
from writebot.text.topics import Topic
from writebot.users import Review, User
from writebot.users.effort import Effort

if TYPE_CHECKING:
    from writebot.loop.budget import Stopper


async def draft_all(run: RunStore, engine: Engine, user: User, judge: Judge, pipeline: Pipeline, todo: list[Topic],
                    epoch: int, concurrency: int, callbacks: Callbacks, stopper: Stopper) -> None:
    """Draft and review `todo` with at most `concurrency` in flight; record each the moment it is done."""

    async def one(topic: Topic) -> None:
        await review_and_record(run, user, judge, pipeline, topic, epoch, callbacks, engine.awrite(pipeline, topic))

    try:  # after a failure or at the budget, no draft is started
        stopped = await fan_out(todo, one, concurrency, stopper)
    finally:  # API clients belong to this event loop, which ends with this epoch's drafts
        await close_all((engine, user, judge))
    if stopped:
        raise BudgetReached(f"budget reached in epoch {epoch} with {len(stopped)} drafts to go")


async def batch_all(run: RunStore, engine: Engine, user: User, judge: Judge, pipeline: Pipeline, todo: list[Topic],
                    epoch: int, concurrency: int, callbacks: Callbacks, stopper: Stopper) -> None:
    """Draft `todo` through the Message Batches API (collecting what this epoch already submitted), then review and
    record each draft."""
    if not todo:
        return
    if stopper.reached():
        raise BudgetReached(f"budget reached in epoch {epoch} with {len(todo)} drafts to go")
    try:
        result = await engine.abatch_write(pipeline, todo, run.batches_for(epoch),
                                           lambda batch_id, members: run.record_batch(epoch, batch_id, members),
                                           callbacks.on_batch_poll)
        for batch_id in result.expired:
            callbacks.on_warning(f"the results of Message Batch {batch_id} are no longer available (the API keeps "
                                 "them 29 days): its topics were drafted again in a new batch")
        async def collected(topic: Topic) -> Draft:
            if topic.id in result.refused:
                raise result.refused[topic.id]
            return result.drafts[topic.id]

        for topic in todo:
            if topic.id in result.refused or topic.id in result.drafts:  # a failed one is said below
                await review_and_record(run, user, judge, pipeline, topic, epoch, callbacks, collected(topic))
    finally:
        await close_all((engine, user, judge))
    if result.failed:
        shown = "; ".join(f"{t}: {why}" for t, why in sorted(result.failed.items())[:3])
        done = len(result.drafts) + len(result.refused)
        fix = any(f.yours_to_fix for f in result.failed.values())
        raise BatchIncomplete(f"{len(result.failed)} batched drafts failed ({shown}"
                              f"{'; ...' if len(result.failed) > 3 else ''}); {done} others are recorded"
                              + ("; fix what the API says first" if fix else ""), 2 if fix else 1)


async def review_and_record(run: RunStore, user: User, judge: Judge, pipeline: Pipeline, topic: Topic, epoch: int,
                            callbacks: Callbacks, drafting: Awaitable[Draft]) -> None:
    """Have the user review the topic's draft (what `drafting` gives), judge what it keeps and record it at once; a
    draft declined (by the fallback model too) is recorded as refused, never as a draft. Then tell the callbacks."""
    try:
        drafted = await drafting
        review = await user.areview(topic, drafted.text)
        found = await judged(judge, topic, drafted.text, review.ground_truth)
        record = review_record(review, topic, drafted.text, epoch, pipeline, found, written_by=drafted.model)
        run.record_draft(record)
    except Refused as refusal:
        record = refusal_record(refusal, topic, epoch, pipeline)
        run.record_refusal(record)
    callbacks.on_draft(record)


async def judged(judge: Judge, topic: Topic, draft: str, ground_truth: str) -> dict:
    """The faithfulness fields of a reviewed draft (docs/FORMATS.md §10): the judge's verdicts on the draft and on
    the ground truth (judged once when they are the same text), and the points lost."""
    of_draft = await judge.ajudge(topic, draft)
    same = ground_truth == draft or normalize(ground_truth) == normalize(draft)
    of_truth = of_draft if same else await judge.ajudge(topic, ground_truth)
    return faithfulness_fields(of_draft, of_truth)


def review_record(review: Review, topic: Topic, draft: str, epoch: int, pipeline: Pipeline,
                  faithfulness: dict | None = None, effort: Effort | None = None,
                  written_by: str | None = None) -> DraftRecord:
    """A feedback.jsonl record (docs/FORMATS.md §4, §10); `effort`: what the review cost a person (None: simulated);
    `written_by`: the model that wrote the draft (a person's review in notebook 02 has none)."""
    return DraftRecord.model_validate(
        {"epoch": epoch, "topic_id": topic.id, "split": topic.split, "kind": topic.kind,
         "version": pipeline.version_hash, "topic": topic.to_dict(), "draft": draft, "feedback": review.feedback,
         "ground_truth": review.ground_truth, "by": review.by, **scores(draft, review.ground_truth),
         **(faithfulness or {}), "effort_seconds": effort.seconds if effort else None,
         "effort_words": effort.words if effort else None, "time": now(),
         **({"written_by": written_by} if written_by is not None else {})})


def refusal_record(refusal: Refused, topic: Topic, epoch: int, pipeline: Pipeline) -> RefusalRecord:
    """A refusals.jsonl record: the topic, the stage that refused and why; no draft, no ground truth."""
    return RefusalRecord(epoch=epoch, topic_id=topic.id, split=topic.split, kind=topic.kind,
                         version=pipeline.version_hash, stage=refusal.purpose, category=refusal.category,
                         reason=str(refusal), time=now())
