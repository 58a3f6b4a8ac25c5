"""What a run folder's files must hold, as pydantic models: run.json's marker and the fields every record of each
append-only log must have (docs/FORMATS.md §4). Records stay plain dicts; a line that does not fit is set aside by
the log's reader, with the reason these models give."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError


class Record(BaseModel):
    """The fields a record must have, with strict types (no true for 1); it may have more."""

    model_config = ConfigDict(strict=True, extra="allow")

    @classmethod
    def problem(cls, record: dict) -> str | None:
        """Why the record does not fit ("missing epoch, topic_id"; "epoch is str, not int"), or None."""
        try:
            cls.model_validate(record)
        except ValidationError as exc:
            errors = exc.errors()
            missing = [str(e["loc"][0]) for e in errors if e["type"] == "missing"]
            if missing:
                return f"missing {', '.join(missing)}"
            return ", ".join(f"{e['loc'][0]} is {type(e['input']).__name__}, not "
                             f"{cls.model_fields[e['loc'][0]].annotation.__name__}" for e in errors)
        return None

    @classmethod
    def fits(cls, record: dict) -> bool:
        return cls.problem(record) is None


class DraftRecord(Record):  # feedback.jsonl: a reviewed draft
    epoch: int
    topic_id: str
    split: str
    version: str
    draft: str
    feedback: list
    ground_truth: str


class UpdateRecord(Record):  # updates.jsonl: an update, or a deferred gate's verdict
    epoch: int
    status: str


class RefusalRecord(Record):  # refusals.jsonl: a topic Claude declined to write
    epoch: int
    topic_id: str
    reason: str


class BatchRecord(Record):  # batches.jsonl: a Message Batch sent for an epoch's drafts
    epoch: int
    batch_id: str
    topic_ids: list


class RunFile(Record):  # run.json: the one field that makes a folder a writebot run
    writebot: str


LOGS: dict[str, type[Record]] = {"feedback.jsonl": DraftRecord, "updates.jsonl": UpdateRecord,
                                 "refusals.jsonl": RefusalRecord, "batches.jsonl": BatchRecord}
