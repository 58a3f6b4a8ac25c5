"""The one contract every engine keeps (the trainer, the workbench and `writebot init` use nothing else), and the
data that crosses it: Evidence in, Update and BatchDrafts out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from writebot.store.formats import DraftRecord, UpdateSummary
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
    def from_record(cls, record: DraftRecord) -> Evidence:
        """A feedback.jsonl record as the learner sees it (its own topic copy: hand-typed topics have no file)."""
        return cls(Topic.from_dict(record.topic), record.epoch, record.draft, tuple(record.feedback),
                   record.ground_truth)


@dataclass
class Update:
    """A proposed next pipeline version and why."""

    pipeline: Pipeline
    rationale: str
    details: list[dict] = field(default_factory=list)
    failed: str | None = None  # why the optimizer could not finish; then `pipeline` is the unchanged input
    budget: str | None = None  # how STYLE.md was held to its budget (what was left out, or why it was refused)


@dataclass(frozen=True)
class Draft:
    """A draft and the model that wrote it: the engine's own, or the fallback model after a refusal."""

    text: str
    model: str


@dataclass
class BatchDrafts:
    """What a batch of drafts gave, by topic id: drafts, refusals (writebot.claude.llm.Refused) and failures
    (writebot.claude.llm.BatchFailure)."""

    drafts: dict[str, Draft] = field(default_factory=dict)
    refused: dict[str, Any] = field(default_factory=dict)
    failed: dict[str, Any] = field(default_factory=dict)
    expired: list[str] = field(default_factory=list)  # batches sent earlier whose results were gone: sent again


class GateKind(StrEnum):
    """How an engine's updates are judged (writebot.loop.gate)."""

    IMMEDIATE = "immediate"  # re-draft the train topics with the proposal now: free offline
    DEFERRED = "deferred"  # judge on the next epoch's drafts: re-drafting would double an API engine's calls


class Engine(Protocol):
    """What every engine does: write drafts with a pipeline and update the pipeline from evidence. What only some
    engines do (a Message Batch of drafts, revising a draft, making a new pipeline) is an ability: declared in the
    engine's `abilities`, looked up with `ability` below, with a default where it has none.

    Error contract (after gepa's adapter): `awrite`/`write` return a whole draft or raise: `Refused` (the trainer
    records the topic as refused for the epoch), another `ModelStop` or an SDK error (the run stops, resumable);
    never partial text. `update` never raises for an answer it could not use: it returns an Update with `failed` set
    and the input pipeline; it never mutates its input. Errors of the service itself (the network, the API) do
    raise, and leave nothing half done.
    """

    name: str  # the registry name (writebot.loop.registry)
    model: str  # what writes: a Claude model id, or "rules-v1"
    gate: GateKind

    async def awrite(self, pipeline: Pipeline, topic: Topic) -> Draft:
        """A Markdown draft for the topic, written with the pipeline (it must carry every point's text), and the
        model that wrote it (another than `model` when a refused draft went to the fallback model)."""
        ...

    def write(self, pipeline: Pipeline, topic: Topic) -> str:
        """awrite's text, from synchronous code."""
        ...

    def update(self, pipeline: Pipeline, evidence: list[Evidence], history: list[UpdateSummary]) -> Update:
        """A new pipeline version learned from the evidence so far; `history` is the earlier updates with their
        final verdicts (writebot.store.run_folder.RunStore.update_history), for engines that learn from it."""
        ...

    async def aclose(self) -> None:
        """Close what belongs to the running event loop (API clients); called at the end of each epoch's drafts."""
        ...


class BatchWriter(Protocol):
    """Ability "batches": an epoch's drafts as one Message Batch. Without it, drafts are written concurrently."""

    async def abatch_write(self, pipeline: Pipeline, topics: list[Topic], submitted: dict[str, dict[str, str]],
                           on_submit: Callable[[str, dict[str, str]], object],
                           on_poll: Callable[[Any], object] | None = None) -> BatchDrafts:
        """Drafts for all topics through one batch; `submitted` (batch id -> {custom_id: topic id}) holds batches
        sent earlier in this epoch, to collect rather than pay again; `on_submit` records a new one before it is
        polled."""
        ...


class Reviser(Protocol):
    """Ability "revise": the workbench's starting point for a person's ground truth. Without it, the draft itself."""

    def revise(self, draft: str, feedback: str) -> str:
        """The draft revised as the feedback asks."""
        ...


class PipelineMaker(Protocol):
    """Ability "init": `writebot init`. Without it, the command says which engines can."""

    def new_pipeline(self, description: str, examples: dict[str, str]) -> tuple[Pipeline, str]:
        """A pipeline from a description and example posts (path -> text), and a one-line summary of what was
        made."""
        ...


ABILITIES: dict[str, type] = {"batches": BatchWriter, "revise": Reviser, "init": PipelineMaker}


def ability(engine: Engine, name: str) -> Any | None:
    """The one lookup of an optional ability: the engine, if it declares `name` (a key of ABILITIES) in its
    `abilities`, else None."""
    if name not in ABILITIES:
        raise KeyError(f"no engine ability {name!r}; abilities are {sorted(ABILITIES)}")
    return engine if name in getattr(engine, "abilities", frozenset()) else None


def revise(engine: Engine, draft: str, feedback: str) -> str:
    """The draft revised by an engine that can; else the draft as it is (the person edits from it)."""
    reviser: Reviser | None = ability(engine, "revise")
    return reviser.revise(draft, feedback) if reviser else draft
