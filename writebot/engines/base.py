"""The one contract every engine keeps (the trainer, the workbench and `writebot init` use nothing else), and the
data that crosses it: Evidence in, Update and BatchDrafts out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from writebot.text.pipeline import Pipeline
from writebot.text.topics import Topic


@dataclass(frozen=True)
class Evidence:
    """One reviewed draft: all a learner may see. No persona, no user object: drafts, feedback, ground truths."""

    topic: Topic
    epoch: int
    draft: str
    feedback: tuple[str, ...]
    ground_truth: str

    @classmethod
    def from_record(cls, record: dict) -> Evidence:
        """A feedback.jsonl record as the learner sees it (its own topic copy: hand-typed topics have no file)."""
        return cls(Topic.from_dict(record["topic"]), record["epoch"], record["draft"], tuple(record["feedback"]),
                   record["ground_truth"])


@dataclass
class Update:
    """A proposed next pipeline version and why."""

    pipeline: Pipeline
    rationale: str
    details: list[dict] = field(default_factory=list)
    failed: str | None = None  # why the optimizer could not finish; then `pipeline` is the unchanged input
    budget: str | None = None  # how STYLE.md was held to its budget (what was left out, or why it was refused)


@dataclass
class BatchDrafts:
    """What a batch of drafts gave, by topic id: drafts, refusals (writebot.claude.llm.Refused) and failures
    (writebot.claude.llm.BatchFailure)."""

    drafts: dict[str, str] = field(default_factory=dict)
    refused: dict[str, Any] = field(default_factory=dict)
    failed: dict[str, Any] = field(default_factory=dict)
    expired: list[str] = field(default_factory=list)  # batches sent earlier whose results were gone: sent again


class GateKind(StrEnum):
    """How an engine's updates are judged (writebot.loop.gate)."""

    IMMEDIATE = "immediate"  # re-draft the train topics with the proposal now: free offline
    DEFERRED = "deferred"  # judge on the next epoch's drafts: re-drafting would double an API engine's calls


class Engine(Protocol):
    """Writes drafts with a pipeline and updates the pipeline from evidence.

    Error contract (after gepa's adapter): `awrite`/`write` return a whole draft or raise: `Refused` (the trainer
    records the topic as refused for the epoch), another `ModelStop` or an SDK error (the run stops, resumable);
    never partial text. `update` never raises for an answer it could not use: it returns an Update with `failed` set
    and the input pipeline; it never mutates its input. Errors of the service itself (the network, the API) do
    raise, and leave nothing half done.
    """

    name: str  # the registry name (writebot.loop.registry)
    model: str  # what writes: a Claude model id, or "rules-v1"
    gate: GateKind
    batches: bool  # True: abatch_write can write an epoch's drafts as one Message Batch

    async def awrite(self, pipeline: Pipeline, topic: Topic) -> str:
        """A Markdown draft for the topic, written with the pipeline; it must carry every point's text."""
        ...

    def write(self, pipeline: Pipeline, topic: Topic) -> str:
        """awrite, from synchronous code."""
        ...

    def written_by(self, pipeline: Pipeline, topic: Topic) -> str:
        """The model that wrote the last draft of `topic` with `pipeline` (another than `model` when a refused draft
        went to the fallback model)."""
        ...

    async def abatch_write(self, pipeline: Pipeline, topics: list[Topic], submitted: dict[str, dict[str, str]],
                           on_submit: Callable[[str, dict[str, str]], object],
                           on_poll: Callable[[Any], object] | None = None) -> BatchDrafts:
        """Only when `batches`: drafts for all topics through one batch; `submitted` (batch id -> {custom_id: topic
        id}) holds batches sent earlier in this epoch, to collect rather than pay again; `on_submit` records a new
        one before it is polled."""
        ...

    def update(self, pipeline: Pipeline, evidence: list[Evidence], history: list[dict]) -> Update:
        """A new pipeline version learned from the evidence so far; `history` is the earlier updates with their
        final verdicts (writebot.store.run_folder.RunStore.update_history), for engines that learn from it."""
        ...

    def revise(self, draft: str, feedback: str) -> str:
        """The draft revised as the feedback asks: the workbench's starting point for a person's ground truth."""
        ...

    def new_pipeline(self, description: str, examples: dict[str, str]) -> tuple[Pipeline, str]:
        """`writebot init`: a pipeline from a description and example posts (path -> text), and a one-line
        summary of what was made."""
        ...

    @property
    def cost(self) -> float:
        """USD spent so far (0 offline)."""
        ...

    async def aclose(self) -> None:
        """Close what belongs to the running event loop (API clients); called at the end of each epoch's drafts."""
        ...
