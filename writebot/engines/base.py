"""The one interface both engines implement: write a draft with a pipeline; update a pipeline from evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from writebot.pipeline import Pipeline
from writebot.topics import Topic


@dataclass(frozen=True)
class Evidence:
    """One reviewed draft: all a learner may see. No persona, no user object: drafts, feedback, ground truths."""

    topic: Topic
    epoch: int
    draft: str
    feedback: tuple[str, ...]
    ground_truth: str


@dataclass
class Update:
    """A proposed next pipeline version and why."""

    pipeline: Pipeline
    rationale: str
    details: list[dict] = field(default_factory=list)
    failed: str | None = None  # why the optimizer could not finish; then `pipeline` is the unchanged input


class Engine(Protocol):
    name: str
    model: str

    def write(self, pipeline: Pipeline, topic: Topic) -> str:
        """A Markdown draft for the topic, written with the pipeline. Must carry every point's text."""
        ...

    def update(self, pipeline: Pipeline, evidence: list[Evidence]) -> Update:
        """A new pipeline version learned from the evidence so far. Never mutates `pipeline`."""
        ...
