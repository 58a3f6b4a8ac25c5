"""The epoch loop: draft -> user feedback + ground truth -> update -> gate -> next version, all recorded.

Epoch e's drafts are written by pipeline version e; with N epochs there are N updates, so epochs 0..N appear.
Every step is recorded before the next one starts, so a killed run resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable

from writebot.engines.base import Engine, Evidence
from writebot.metrics import scores, word_edit_distance
from writebot.pipeline import Pipeline, diff
from writebot.runs import RunStore, now
from writebot.topics import Topic
from writebot.users import User

Progress = Callable[..., object]


def train(run: RunStore, engine: Engine, user: User, topics: list[Topic], pipeline: Pipeline, epochs: int,
          progress: Progress | None = None, on_epoch: Callable[[int], None] | None = None) -> Pipeline:
    """Run (or continue) training; returns the last version. `progress` wraps an iterable (e.g. tqdm)."""
    progress = progress or (lambda items, **_: items)
    for epoch in range(epochs + 1):
        if run.has_version(epoch):
            pipeline = run.load_version(epoch)
        else:
            run.save_version(epoch, pipeline)
        done = run.done()
        todo = [t for t in topics if (epoch, t.id) not in done]
        for topic in progress(todo, desc=f"epoch {epoch}/{epochs}", unit="draft"):
            draft = engine.write(pipeline, topic)
            run.record_draft(review_record(user, topic, draft, epoch, pipeline))
        run.write_history()
        if epoch < epochs and run.update_for(epoch) is None:
            step(run, engine, pipeline, topics, epoch)
        if on_epoch:
            on_epoch(epoch)
    run.set_status("complete", finished=now())
    return pipeline


def review_record(user: User, topic: Topic, draft: str, epoch: int, pipeline: Pipeline) -> dict:
    review = user.review(topic, draft)
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


def step(run: RunStore, engine: Engine, pipeline: Pipeline, topics: list[Topic], epoch: int) -> None:
    """One update with the acceptance gate: a version that raises this epoch's train edit cost is rolled back."""
    pairs = evidence(run, topics, epoch)
    proposal = engine.update(pipeline, pairs)
    latest = [e for e in pairs if e.epoch == epoch]
    before = sum(word_edit_distance(e.draft, e.ground_truth) for e in latest)
    after = sum(word_edit_distance(engine.write(proposal.pipeline, e.topic), e.ground_truth) for e in latest)
    changes = diff(pipeline, proposal.pipeline)
    status = "unchanged" if not changes else ("accepted" if after <= before else "rolled_back")
    run.save_version(epoch + 1, proposal.pipeline if status == "accepted" else pipeline)
    run.record_update({"epoch": epoch, "status": status, "from_version": pipeline.version_hash,
                       "to_version": proposal.pipeline.version_hash, "train_cost_before": before,
                       "train_cost_after": after, "rationale": proposal.rationale, "diff": changes,
                       "details": proposal.details, "time": now()})
