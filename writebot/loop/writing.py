"""Writing with a trained bot (`writebot write`, notebook 05): posts for briefs, each judged against its brief
(docs/FORMATS.md §10), with the same requests as training's drafts. Nothing here trains or records a run."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from writebot import defaults
from writebot.compare.faithfulness import Judge, Judgement
from writebot.engines.base import Engine, ability
from writebot.errors import BatchIncomplete, BudgetReached, InputError, Refused
from writebot.loop.budget import Stopper
from writebot.loop.fan_out import close_all, fan_out
from writebot.loop.registry import ENGINES, engine_kind
from writebot.store.run_folder import RunStore, refuse_output_inside
from writebot.text.pipeline import Pipeline
from writebot.text.topics import Topic


def load_source(source: Path | str, out: Path | None = None, version: int | None = None) -> tuple[Pipeline, str]:
    """A pipeline folder, or a run folder's version (its last kept one unless `version`), read only; `out` may not
    lie inside the run. Returns the pipeline and how to name it."""
    source = Path(source)
    if not source.is_dir():
        raise InputError(f"{source}: no such folder; pass a pipeline folder (STYLE.md, steps/, examples/) or a run "
                         "folder (its last kept version)")
    if (source / "run.json").is_file():
        run = RunStore.open(source)
        chosen = run.last_kept_version() if version is None else version
        if chosen is None:
            raise InputError(f"{source}: the run has no pipeline version yet; pass a pipeline folder")
        if chosen not in run.versions():
            raise InputError(f"{source}: no version {chosen} (it has {', '.join(map(str, run.versions()))})")
        if out is not None:
            refuse_output_inside(run.path, out)
        return run.load_version(chosen), f"{source} (version {chosen})"
    return Pipeline.load(source), str(source)


def engine_for(source: Path | str) -> str:
    """Who writes for a source by default: Claude for a run trained with Claude (when an API key is set), the
    offline engine otherwise."""
    source = Path(source)
    if (source / "run.json").is_file():
        trained = RunStore.open(source).config.get("engine")
        if trained in ENGINES and engine_kind(trained).needs_llm and not engine_kind(trained).replays \
                and os.environ.get("ANTHROPIC_API_KEY"):
            return trained
    return defaults.ENGINE


@dataclass(frozen=True)
class Written:
    """One post and what it keeps of its brief."""

    topic: Topic
    post: str
    judgement: Judgement

    def summary(self) -> str:
        """One line: points kept, which were not, claims added (where the judge can tell)."""
        points = self.topic.points
        lost = [f"{n + 1} {v}" for n, v in enumerate(self.judgement.points) if v != "kept"]
        claims = "-" if self.judgement.added is None else str(len(self.judgement.added))
        not_kept = f" (not kept: {', '.join(lost)})" if lost else ""
        return f"{len(self.judgement.kept)}/{len(points)} points kept{not_kept}; claims added: {claims}"


@dataclass
class Writing:
    """What a call of awrite_posts gave: the posts written (in the topics' order) and the topics Claude declined."""

    written: list[Written]
    refused: dict[str, str]  # topic id -> why


async def awrite_posts(engine: Engine, judge: Judge, pipeline: Pipeline, topics: list[Topic], concurrency: int = 4,
                       batch: bool = False, on_post: Callable[[Written], object] | None = None,
                       stopper: Stopper | None = None,
                       on_submit: Callable[[str, dict[str, str]], object] | None = None) -> Writing:
    """A post for each topic, written with the pipeline and judged; `on_post` hears of each the moment it is done.
    batch: one Message Batch (engines that take one). A topic declined twice is left out and said. `stopper` (a
    budget, writebot.loop.budget): no new post is started once it is reached, and BudgetReached is raised after the
    posts in flight."""
    written: list[Written] = []
    refused: dict[str, str] = {}
    stopped: list[str] = []  # not started: the budget was reached

    async def finish(topic: Topic, post: str) -> None:
        done = Written(topic, post, await judge.ajudge(topic, post))
        written.append(done)
        if on_post:
            on_post(done)

    try:
        if batch and ability(engine, "batches"):
            result = await engine.abatch_write(pipeline, topics, {}, on_submit or (lambda batch_id, members: None))
            for topic in topics:
                if topic.id in result.drafts:
                    await finish(topic, result.drafts[topic.id].text)
            refused.update({t: str(why) for t, why in result.refused.items()})
            missing = [t.id for t in topics if t.id not in result.drafts and t.id not in result.refused]
            if missing:
                raise BatchIncomplete(f"{len(missing)} posts came back from the batch without a draft "
                                      f"({', '.join(missing[:5])}); write them again without --batch-api", 1)
        else:

            async def one(topic: Topic) -> None:
                try:
                    post = (await engine.awrite(pipeline, topic)).text
                except Refused as refusal:
                    refused[topic.id] = str(refusal)
                    return
                await finish(topic, post)

            # every post is tried whatever another's fate (the posts written are kept); none past the budget
            stopped = await fan_out(topics, one, concurrency, stopper, stop_after_failure=False)
    finally:
        await close_all((engine, judge))
    if stopped:
        raise BudgetReached(f"budget reached with {len(stopped)} posts not written")
    order = {t.id: i for i, t in enumerate(topics)}
    return Writing(sorted(written, key=lambda w: order[w.topic.id]), refused)


def write_one(engine: Engine, judge: Judge, pipeline: Pipeline, topic: Topic) -> Written:
    """One post for one brief, judged (notebook 05): awrite_posts from synchronous code."""
    from writebot.aio import run_sync

    result = run_sync(awrite_posts(engine, judge, pipeline, [topic], concurrency=1))
    if not result.written:
        raise InputError(f"Claude declined to write '{topic.title}' ({result.refused.get(topic.id)}); "
                         "change the brief and try again")
    return result.written[0]
