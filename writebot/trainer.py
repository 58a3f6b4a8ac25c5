"""The epoch loop: draft -> user feedback + ground truth -> update -> gate -> next version, all recorded.

Epoch e's drafts are written by pipeline version e; with N epochs there are N updates, so epochs 0..N appear.
Every step is recorded before the next one starts, so a killed run resumes where it stopped.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable

from writebot import defaults
from writebot.aio import run_sync
from writebot.engines.base import Engine, Evidence
from writebot.llm import BudgetReached, Refused
from writebot.metrics import scores, word_edit_distance
from writebot.pipeline import Pipeline, diff
from writebot.run_folder import RunStore, now, version_dir
from writebot.topics import Topic
from writebot.users import User

Progress = Callable[..., object]


def train(run: RunStore, engine: Engine, user: User, topics: list[Topic], pipeline: Pipeline, epochs: int,
          progress: Progress | None = None, concurrency: int = defaults.CONCURRENCY,
          budget: Callable[[], bool] | None = None, batch: bool = False) -> Pipeline:
    """Run (or continue) training; returns the last version. `budget()` True means: stop cleanly now.
    batch: send each epoch's drafts through the Message Batches API (engines that support it)."""
    for epoch in range(epochs + 1):
        if run.has_version(epoch):
            pipeline = run.load_version(epoch)
        else:
            run.save_version(epoch, pipeline)
        for llm in _llms(engine, user):
            llm.epoch = epoch
        todo = [t for t in topics if (epoch, t.id) not in run.done()]
        drafting = batch_all if batch and hasattr(engine, "abatch_write") else draft_all
        run_sync(drafting(run, engine, user, pipeline, todo, epoch, concurrency, progress, budget))
        run.write_history()
        base = judge_previous_update(run, epoch)  # a deferred gate may send us back to an earlier version
        if epoch == epochs:
            break
        if run.update_for(epoch) is None:
            if budget and budget():
                raise BudgetReached(f"budget reached before the update of epoch {epoch}")
            step(run, engine, base or pipeline, topics, epoch)
    run.set_status("complete", finished=now())
    return pipeline


async def _call(method, *args):
    result = method(*args)
    return await result if inspect.isawaitable(result) else result


async def draft_all(run: RunStore, engine: Engine, user: User, pipeline: Pipeline, todo: list[Topic], epoch: int,
                    concurrency: int, progress: Progress | None, budget: Callable[[], bool] | None) -> None:
    """Draft and review `todo` with at most `concurrency` in flight; record each the moment it is done."""
    gate = asyncio.Semaphore(max(1, concurrency))
    bar = progress(total=len(todo), desc=f"epoch {epoch}", unit="draft") if progress and todo else None
    stopped, failed = [], []

    async def one(topic: Topic) -> None:
        async with gate:
            if failed or (budget and budget()):  # after a failure or at the budget: start nothing new
                stopped.append(topic.id)
                return
            try:
                draft = await _call(getattr(engine, "awrite", engine.write), pipeline, topic)
                review = await _call(getattr(user, "areview", user.review), topic, draft)
                run.record_draft(review_record(review, topic, draft, epoch, pipeline))
            except Refused as refusal:  # declined twice: recorded as refused, never as a draft or ground truth
                run.record_refusal(refusal_record(refusal, topic, epoch, pipeline))
            except BaseException:
                failed.append(topic.id)
                raise
        if bar is not None:
            bar.update(1)
            cost = getattr(getattr(engine, "llm", None), "cost", None)
            if cost is not None:
                bar.set_postfix_str(f"${cost:.4f}")

    results = await asyncio.gather(*(one(t) for t in todo), return_exceptions=True)
    await _close_clients(engine, user)
    if bar is not None:
        bar.close()
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        raise failures[0]
    if stopped:
        raise BudgetReached(f"budget reached in epoch {epoch} with {len(stopped)} drafts to go")


def _llms(engine: Engine, user: User) -> list:
    return list({id(x): x for x in (getattr(engine, "llm", None), getattr(user, "llm", None)) if x}.values())


async def _close_clients(engine: Engine, user: User) -> None:
    """API clients belong to this event loop, which ends with this epoch's drafts."""
    for llm in _llms(engine, user):
        await llm.aclose()


class BatchIncomplete(Exception):
    """Some batched drafts failed; the ones that succeeded are recorded and resume sends the rest again.
    exit_code 2 when the API rejected a request (the user must fix something first), else 1."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


async def batch_all(run: RunStore, engine, user: User, pipeline: Pipeline, todo: list[Topic], epoch: int,
                    concurrency: int, progress: Progress | None, budget: Callable[[], bool] | None) -> None:
    """Draft `todo` through the Message Batches API (collecting what this epoch already submitted), then review and
    record each draft."""
    if not todo:
        return
    if budget and budget():
        raise BudgetReached(f"budget reached in epoch {epoch} with {len(todo)} drafts to go")
    bar = progress(total=len(todo), desc=f"epoch {epoch} (batch)", unit="draft") if progress else None

    def polled(status) -> None:
        if bar is not None:
            bar.n = status.request_counts.succeeded
            bar.refresh()

    try:
        result = await engine.abatch_write(pipeline, todo, run.batches_for(epoch),
                                           lambda batch_id, members: run.record_batch(epoch, batch_id, members),
                                           polled)
        for topic in todo:
            try:
                if topic.id in result.refused:
                    raise result.refused[topic.id]
                if topic.id in result.drafts:
                    review = await _call(getattr(user, "areview", user.review), topic, result.drafts[topic.id])
                    run.record_draft(review_record(review, topic, result.drafts[topic.id], epoch, pipeline))
            except Refused as refusal:
                run.record_refusal(refusal_record(refusal, topic, epoch, pipeline))
    finally:
        await _close_clients(engine, user)
        if bar is not None:
            bar.close()
    if result.failed:
        shown = "; ".join(f"{t}: {why}" for t, why in sorted(result.failed.items())[:3])
        done = len(result.drafts) + len(result.refused)
        fix = any(f.yours_to_fix for f in result.failed.values())
        raise BatchIncomplete(f"{len(result.failed)} batched drafts failed ({shown}"
                              f"{'; ...' if len(result.failed) > 3 else ''}); {done} others are recorded"
                              + ("; fix what the API says first" if fix else ""), 2 if fix else 1)


def refusal_record(refusal: Refused, topic: Topic, epoch: int, pipeline: Pipeline) -> dict:
    return {"epoch": epoch, "topic_id": topic.id, "split": topic.split, "version": pipeline.version_hash,
            "stage": refusal.purpose, "category": refusal.category, "reason": str(refusal), "time": now()}


def review_record(review, topic: Topic, draft: str, epoch: int, pipeline: Pipeline) -> dict:
    return {"epoch": epoch, "topic_id": topic.id, "split": topic.split, "version": pipeline.version_hash,
            "topic": topic.to_dict(), "draft": draft, "feedback": review.feedback,
            "ground_truth": review.ground_truth, "by": review.by, **scores(draft, review.ground_truth),
            "time": now()}


def evidence(run: RunStore, topics: list[Topic], upto: int) -> list[Evidence]:
    """Train pairs of epochs 0..upto, in a fixed order: all the learner may see."""
    by_id = {t.id: t for t in topics}
    order = {t.id: i for i, t in enumerate(topics)}
    rows = [r for r in run.records if r["split"] == "train" and r["epoch"] <= upto and r["topic_id"] in by_id]
    rows.sort(key=lambda r: (r["epoch"], order[r["topic_id"]]))
    return [Evidence(by_id[r["topic_id"]], r["epoch"], r["draft"], tuple(r["feedback"]), r["ground_truth"])
            for r in rows]


def train_costs(run: RunStore, epoch: int) -> dict[str, int]:
    """Words edited per train topic reviewed in `epoch` (a refused topic has no entry)."""
    return {r["topic_id"]: r["word_edit_distance"] for r in run.records if r["epoch"] == epoch
            and r["split"] == "train"}


def step(run: RunStore, engine: Engine, pipeline: Pipeline, topics: list[Topic], epoch: int) -> None:
    """One update. Immediate gate (free for the rules engine): re-draft the train topics with the proposal, and roll
    back if that raises this epoch's train edit cost. Deferred gate (Claude): judged on the next epoch's drafts.
    Drafts that needed no edits and got no feedback teach nothing: the optimizer is not called, the update is
    recorded unchanged."""
    reviewed = [r for r in run.records if r["epoch"] == epoch and r["split"] == "train"]
    before = sum(r["word_edit_distance"] for r in reviewed)
    record = {"epoch": epoch, "from_version": pipeline.version_hash, "train_cost_before": before, "time": now()}
    if run.has_version(epoch + 1) and run.in_use(epoch + 1):  # its record was moved aside (check --repair)
        kept = run.load_version(epoch + 1)
        run.record_update({**record, "status": "recovered", "to_version": kept.version_hash, "train_cost_after": None,
                           "diff": diff(pipeline, kept), "details": [],
                           "rationale": f"this update's record was lost; {version_dir(epoch + 1)} was already in "
                                        "use by drafts and is kept as it is"})
        return
    if before == 0 and not any(r["feedback"] for r in reviewed):
        why = (f"epoch {epoch}'s train drafts needed no edits" if reviewed else
               f"no train draft of epoch {epoch} was reviewed ({sum(r['epoch'] == epoch for r in run.refused)} "
               "refused)")
        run.save_version(epoch + 1, pipeline)
        run.record_update({**record, "status": "unchanged", "to_version": pipeline.version_hash,
                           "train_cost_after": 0 if reviewed else None, "diff": {}, "details": [],
                           "rationale": f"nothing to learn: {why}"})
        return
    pairs = evidence(run, topics, epoch)
    proposal = propose(engine, pipeline, pairs, run.update_history())
    changes = diff(pipeline, proposal.pipeline)
    after = None
    if proposal.failed:
        status = "failed"
    elif getattr(engine, "gate", "immediate") == "immediate":
        latest = [e for e in pairs if e.epoch == epoch]
        after = sum(word_edit_distance(engine.write(proposal.pipeline, e.topic), e.ground_truth) for e in latest)
        status = "unchanged" if not changes else ("accepted" if after <= before else "rolled_back")
    else:
        status = "unchanged" if not changes else "pending"
        after = before if not changes else None
    run.save_version(epoch + 1, pipeline if status in ("rolled_back", "failed") else proposal.pipeline)
    run.record_update({**record, "status": status, "to_version": proposal.pipeline.version_hash,
                       "train_cost_after": after, "rationale": proposal.rationale, "diff": changes,
                       "details": proposal.details, **({"error": proposal.failed} if proposal.failed else {})})


def propose(engine: Engine, pipeline: Pipeline, pairs: list[Evidence], history: list[dict]):
    """engine.update, giving the history of earlier updates (final verdicts) to engines that take it (Claude)."""
    if "history" in inspect.signature(engine.update).parameters:
        return engine.update(pipeline, pairs, history=history)
    return engine.update(pipeline, pairs)


def judge_previous_update(run: RunStore, epoch: int) -> Pipeline | None:
    """For a pending (deferred-gate) update of epoch-1: compare the train edit cost its drafts got with the cost
    before it, over the topics reviewed in both epochs (a topic refused in one of them would skew the sums); record
    the verdict once. Returns the version to update from if it was rolled back, else None."""
    update = run.update_for(epoch - 1) if epoch > 0 else None
    if not update or update["status"] != "pending":
        return None
    verdict = run.gate_for(epoch - 1)
    if verdict is None:
        earlier, later = train_costs(run, epoch - 1), train_costs(run, epoch)
        both = earlier.keys() & later.keys()
        before, after = sum(earlier[t] for t in both), sum(later[t] for t in both)
        verdict = {"epoch": epoch - 1, "kind": "gate", "status": "accepted" if after <= before else "rolled_back",
                   "train_cost_before": before, "train_cost_after": after, "topics_compared": len(both),
                   "time": now()}
        run.record_update(verdict)
    return run.load_version(epoch - 1) if verdict["status"] == "rolled_back" else None
