"""The YAML files a person writes, as pydantic models: topics (docs/FORMATS.md §2) and personas (§3). A file that
does not fit is one InputError naming the file, the place, the problem and the fix (`input_error`), worded as a
person reads it rather than as pydantic reports it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from writebot.errors import InputError
from writebot.text.rule_language import HEADING_CASES

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
KIND_PATTERN = r"^[a-z0-9][a-z0-9-]{0,31}$"  # a kind of post: a short label ("recipe", "how-to")


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("string_too_short", "empty")
    return value


# A persona's value as written: "very " keeps its space (a quoted value keeps every character), blank is empty
Verbatim = Annotated[str, AfterValidator(_not_blank)]
MAPPINGS = {"replace": "old and new"}  # what a nested mapping holds, for the message
TYPES = {"string_type": "text", "int_type": "a whole number", "list_type": "a list", "dict_type": "a mapping",
         "model_type": "a mapping", "bool_type": "true or false", "float_type": "a number"}


def type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    return {str: "text", int: "a number", float: "a number", list: "a list", dict: "a mapping",
            bool: "true/false"}.get(type(value), type(value).__name__)


class Fields(BaseModel):
    """A mapping of a file: strict types (no "3" for 3, no true for 1) and no field it does not know."""

    model_config = ConfigDict(strict=True, extra="forbid")
    unknown: ClassVar[str] = "field"  # how the message names a key it does not know

    @model_validator(mode="before")
    @classmethod
    def _known(cls, data: Any) -> Any:
        if isinstance(data, dict):
            extra = sorted(set(data) - set(cls.model_fields), key=str)
            if extra:
                edit = cls.unknown == "edit"
                known = [n for n in cls.model_fields if n != "say"] if edit else sorted(cls.model_fields)
                raise PydanticCustomError("unknown", "unknown {what} '{name}' ({known})",
                                          {"what": cls.unknown, "name": str(extra[0]),
                                           "known": f"{'known' if edit else 'allowed'}: "
                                                    f"{', '.join(known)}"})
        return data


class TopicFields(Fields):
    id: Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]
    title: Text
    points: Annotated[list[Text], Field(min_length=1)]
    audience: Text | None = None
    split: Literal["train", "val"] | None = None
    kind: Annotated[str, Field(pattern=KIND_PATTERN)] | None = None  # docs/FORMATS.md §2, §11


class ReplaceFields(Fields):
    old: Verbatim
    new: str = Field(default=None, validate_default=True)  # may be empty (a deletion), never missing
    whole_word: bool = True


class EditFields(Fields):
    """One persona edit: exactly one kind (docs/FORMATS.md §3), and what the user says about it."""

    unknown: ClassVar[str] = "edit"
    replace: ReplaceFields | None = None
    open_with: Verbatim | None = None
    close_with: Verbatim | None = None
    contractions: Literal["contract", "expand"] | None = None
    heading_case: Literal[HEADING_CASES] | None = None
    max_sentence_words: Annotated[int, Field(ge=1)] | None = None
    drop_sentences_with: Annotated[list[Verbatim], Field(min_length=1)] | None = None
    say: Text | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_kind(cls, data: Any) -> Any:
        if isinstance(data, dict) and len([k for k in data if k != "say"]) != 1:
            raise PydanticCustomError("kinds", "needs exactly one edit besides 'say', found {n}",
                                      {"n": len([k for k in data if k != "say"])})
        if isinstance(data, dict) and any(v is None for k, v in data.items() if k != "say"):
            kind = next(k for k in data if k != "say")
            raise PydanticCustomError("kinds", "'{kind}' has no value (write it after the colon)", {"kind": kind})
        return data

    @property
    def kind(self) -> str:
        return next(k for k in self.model_fields_set if k != "say")


class PersonaFields(Fields):
    name: Text
    description: Text = ""
    max_feedback: Annotated[int, Field(ge=0)] = 2
    edits: list[EditFields] = []
    kinds: dict[Annotated[str, Field(pattern=KIND_PATTERN)], list[EditFields]] = {}  # §3c: edits per kind of post
    descriptions: dict[Annotated[str, Field(pattern=KIND_PATTERN)], Text] = {}  # §3c: a Claude-played taste per kind
    consistency: float = 1.0
    one_off: Annotated[int, Field(ge=0)] = 0

    @field_validator("consistency")
    @classmethod
    def _share(cls, value: float) -> float:
        if not 0 <= value <= 1:
            raise PydanticCustomError("share", "'consistency' must be between 0 and 1 (the share of posts each edit "
                                               "is applied to), got {value}", {"value": value})
        return value

    @model_validator(mode="after")
    def _something_to_do(self) -> PersonaFields:
        if not self.description and "edits" not in self.model_fields_set:
            raise PydanticCustomError("missing_edits", "missing 'edits'")
        return self


def problem(error: dict) -> str:
    """One pydantic error as today's words: what is wrong with which field."""
    kind, loc, value, ctx = error["type"], error["loc"], error.get("input"), error.get("ctx") or {}
    if kind in ("unknown", "kinds", "share", "missing_edits"):
        return error["msg"]
    names = [p for p in loc if isinstance(p, str)]
    field = names[-1] if names else ""
    if loc and isinstance(loc[-1], int) and kind == "model_type":  # an item of the list of edits
        return f"must be a mapping like 'replace: {{old: x, new: y}}', got {type_name(value)}"
    if loc and isinstance(loc[-1], int):  # an item of a list of texts
        return f"'{field}' item {loc[-1] + 1} must be non-empty text, got {type_name(value)}"
    if kind == "model_type":
        return f"'{field}' must be a mapping with {MAPPINGS.get(field, 'its fields')}, got {type_name(value)}"
    if kind == "missing":
        return f"missing '{field}'"
    if kind == "string_too_short":
        return f"'{field}' is empty"
    if kind == "too_short":
        return f"'{field}' is an empty list"
    if kind == "string_pattern_mismatch" and field in ("kind", "kinds", "descriptions"):
        return f"'{field}' {'keys' if field != 'kind' else ''} must be a short label: a-z, 0-9 and '-', at most 32"
    if kind == "string_pattern_mismatch":
        return f"'{field}' may use only a-z, 0-9 and '-'"
    if kind == "literal_error":
        return f"'{field}' must be {ctx['expected'].replace(chr(39), '')}, got {value!r}"
    if kind == "greater_than_equal":
        least = "0 or more" if ctx["ge"] == 0 else f"at least {ctx['ge']}"
        return f"'{field}' must be {least}, got {value}"
    if kind in TYPES:
        return f"'{field}' must be {TYPES[kind]}, got {type_name(value)}"
    return f"'{field}': {error['msg']}"


def parse(model: type[BaseModel], data: Any, path: Path | str, fix: str, where: Callable[[tuple], str]):
    """`data` as `model`, or the InputError for its first problem: "path: place: problem; fix"."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        inside = ("",) if error["type"] == "unknown" else ()  # a key inside the mapping at loc, not loc itself
        raise input_error(path, where(error["loc"] + inside), problem(error), fix) from None


def input_error(path: Path | str, where: str, problem_text: str, fix: str) -> InputError:
    place = f" {where}:" if where else ""
    return InputError(f"{path}:{place} {problem_text}; {fix}")
