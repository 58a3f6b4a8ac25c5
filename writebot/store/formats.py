"""What a run folder's files hold, as pydantic models (docs/FORMATS.md §4, §10): run.json's marker and every field of
each append-only log's records. The store reads each log line into its model and readers use its attributes; the
files stay plain JSON lines, written from `to_dict()` (the fields a writer set, in the order declared here, which is
the order writers have always written them). A line that does not fit is set aside by the log's reader, with the
reason `problem` gives."""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Number = int | float  # an int stays an int (history.csv writes 1, not 1.0)


class Record(BaseModel):
    """The fields a record must have, with strict types (no true for 1), and the ones it may have (None, or empty,
    when absent).
    A field this version does not know (a newer writebot's) is kept, and written back unchanged."""

    model_config = ConfigDict(strict=True, extra="allow")

    @classmethod
    def read(cls, record: dict) -> Record:
        """The record as its model, or ValueError saying why it does not fit (a log's reader sets the line aside)."""
        try:
            return cls.model_validate(record)
        except ValidationError as exc:
            raise ValueError(describe(cls, exc, record)) from None

    @classmethod
    def problem(cls, record: dict) -> str | None:
        """Why the record does not fit ("missing epoch, topic_id"; "epoch is str, not int"), or None."""
        try:
            cls.read(record)
        except ValueError as exc:
            return str(exc)
        return None

    @classmethod
    def fits(cls, record: dict) -> bool:
        return cls.problem(record) is None

    def to_dict(self) -> dict[str, Any]:
        """The record as its log line holds it: the fields set (a null set is kept), nested records as objects."""
        return self.model_dump(exclude_unset=True)


def describe(model: type[BaseModel], exc: ValidationError, record: dict) -> str:
    """A validation error in one line: the fields missing ("missing epoch, topic_id"; "missing faithfulness.lost"),
    or each wrong value with its type and the type wanted ("epoch is str, not int"; "feedback[1] is int, not str")."""
    errors = exc.errors()
    missing = [_where(model, record, e["loc"])[0] for e in errors if e["type"] == "missing"]
    if missing:
        return f"missing {', '.join(dict.fromkeys(missing))}"
    said: dict[str, str] = {}  # a union reports each alternative: one line per place
    for e in errors:
        path, value, wanted = _where(model, record, e["loc"])
        said.setdefault(path, f"{path} is {type(value).__name__}, not {_type_name(wanted)}")
    return ", ".join(said.values())


def _where(model: type[BaseModel], record: dict, loc: tuple) -> tuple[str, Any, Any]:
    """Follow an error's location through the record and the model's annotations: (where, as a reader would write
    it; the value there; the type wanted there). A step that names a union's alternative, not a place, ends it."""
    path, value, wanted = "", record, model
    for step in loc:
        found = _inside(wanted, value, step)
        if found is None:
            break
        wanted, is_field = found
        path += (f".{step}" if path else str(step)) if is_field else f"[{step!r}]"
        value = value.get(step) if isinstance(value, dict) else value[step]
    return path, value, wanted


def _inside(annotation: Any, value: Any, step: Any) -> tuple[Any, bool] | None:
    """(the type wanted at `step` inside a value of `annotation`, whether `step` is a record's field), or None when
    `step` is no place in `value`."""
    for option in get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else (annotation,):
        if isinstance(option, type) and issubclass(option, BaseModel) and isinstance(value, dict) \
                and step in option.model_fields:
            return option.model_fields[step].annotation, True
        if get_origin(option) is list and isinstance(value, list) and isinstance(step, int) and step < len(value):
            return get_args(option)[0], False
        if get_origin(option) is dict and isinstance(value, dict) and step in value:
            return get_args(option)[-1], False
    return None


def _type_name(annotation: Any) -> str:
    """`int`, `int or float or null`, `list of str`: a field's type as the message names it."""
    if get_origin(annotation) in (Union, types.UnionType):
        return " or ".join("null" if a is type(None) else _type_name(a) for a in get_args(annotation))
    if get_origin(annotation) is list and get_args(annotation):
        return f"list of {_type_name(get_args(annotation)[0])}"
    if get_origin(annotation) is dict and get_args(annotation):
        return f"dict of {' to '.join(_type_name(a) for a in get_args(annotation))}"
    return getattr(get_origin(annotation) or annotation, "__name__", str(annotation))


class Faithfulness(Record):  # feedback.jsonl's `faithfulness` (§10): the judge's verdicts on a draft and its truth
    judge: str
    points: list[str]  # a verdict per point of the brief, in the brief's order
    added: list[str] | None = None  # the claims the draft adds (None: the judge cannot tell)
    truth_points: list[str]
    lost: list[int]  # the points (0-based) the draft lost that the user keeps


class DraftRecord(Record):  # feedback.jsonl: a reviewed draft
    epoch: int
    topic_id: str
    split: str
    kind: str | None = None  # the topic's kind of post (§11)
    version: str
    topic: dict = Field(default_factory=dict)  # the topic as the topics file gave it (writebot.text.topics.Topic)
    draft: str
    feedback: list[str]
    ground_truth: str
    by: str | None = None  # who reviewed it: a persona's name, or "human"
    similarity: Number | None = None
    word_edit_distance: int | None = None
    char_edit_distance: int | None = None
    faithfulness: Faithfulness | None = None
    points_kept: Number | None = None
    claims_added: int | None = None
    points_lost: int | None = None
    effort_seconds: Number | None = None  # a person's review (notebook 02); None for a simulated user
    effort_words: int | None = None
    time: str | None = None
    written_by: str | None = None  # the model that wrote the draft

    def judged_again(self, fields: dict) -> DraftRecord:
        """This record with other faithfulness fields (writebot.compare.faithfulness.faithfulness_fields): what a
        replayed version's draft of the topic keeps."""
        return self.model_copy(update={**fields, "faithfulness": Faithfulness.model_validate(fields["faithfulness"])})

    @property
    def post_kind(self) -> str | None:
        """The kind of post, from the record or (older runs) from its topic."""
        return self.kind or self.topic.get("kind")


class UpdateRecord(Record):  # updates.jsonl: an update, or (kind "gate") a deferred gate's verdict on one
    epoch: int
    kind: str | None = None  # "gate" for a deferred gate's verdict
    status: str
    from_version: str | None = None
    to_version: str | None = None
    train_cost_before: Number | None = None
    train_cost_after: Number | None = None
    topics_compared: int | None = None  # a gate verdict: the topics reviewed in both epochs
    rationale: str = ""
    diff: dict[str, str] = Field(default_factory=dict)  # file -> unified diff
    details: list[dict] = Field(default_factory=list)  # the learner's log: one entry per rule tried (FORMATS §4)
    lint: list[str] = Field(default_factory=list)
    error: str | None = None
    budget: str | None = None
    content: dict | None = None  # §10: what the drafts kept of their briefs before and after
    why: str | None = None
    accepted_hunks: list[str] | None = None  # by hand (notebook 02)
    rejected_hunks: list[str] | None = None
    hunks_reviewed: int | None = None
    time: str | None = None

    @property
    def is_gate(self) -> bool:
        return self.kind == "gate"


class RefusalRecord(Record):  # refusals.jsonl: a topic Claude declined to write
    epoch: int
    topic_id: str
    split: str | None = None
    kind: str | None = None
    version: str | None = None
    stage: str | None = None
    category: str | None = None
    reason: str
    time: str | None = None


class BatchRecord(Record):  # batches.jsonl: a Message Batch sent for an epoch's drafts
    epoch: int
    batch_id: str
    custom_ids: dict[str, str] | None = None  # custom_id -> topic id (older runs: positional ids, draft-0, ...)
    topic_ids: list[str]
    time: str | None = None

    def members(self) -> dict[str, str]:
        return self.custom_ids or {f"draft-{i}": t for i, t in enumerate(self.topic_ids)}


class RunFile(Record):  # run.json: the one field that makes a folder a writebot run
    writebot: str


@dataclass(frozen=True)
class UpdateSummary:
    """An earlier update as the optimizer is told of it: its final verdict, both train costs, its rationale."""

    epoch: int
    status: str
    train_cost_before: int | float | None
    train_cost_after: int | float | None
    rationale: str


LOGS: dict[str, type[Record]] = {"feedback.jsonl": DraftRecord, "updates.jsonl": UpdateRecord,
                                 "refusals.jsonl": RefusalRecord, "batches.jsonl": BatchRecord}
