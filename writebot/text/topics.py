"""Topic briefs (docs/FORMATS.md §2): load, validate, split into train and val."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from writebot.errors import InputError
from writebot.files import read_yaml
from writebot.text.formats import KIND_PATTERN, TopicFields, input_error, parse, type_name


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    points: tuple[str, ...]
    audience: str | None = None
    split: str = "train"
    kind: str | None = None  # the kind of post (docs/FORMATS.md §11): its guide section, its reader's taste

    @classmethod
    def from_dict(cls, data: dict) -> Topic:
        """The inverse of to_dict (a run folder's records store topics this way)."""
        return cls(data["id"], data["title"], tuple(data["points"]), data.get("audience"), data.get("split", "train"),
                   data.get("kind"))

    def to_dict(self) -> dict:
        out = {"id": self.id, "title": self.title, "points": list(self.points), "split": self.split}
        if self.audience:
            out["audience"] = self.audience
        if self.kind:
            out["kind"] = self.kind
        return out


def default_split(topic_id: str) -> str:
    """A stable 25% of ids go to val: the same id always lands on the same side."""
    return "val" if hashlib.sha256(topic_id.encode()).digest()[0] % 4 == 0 else "train"


def parse_topics(data: object, path: Path | str) -> list[Topic]:
    """The topics of a topics file's YAML (text.formats.TopicFields), or the InputError for its first problem."""
    fix = "fix the topics file (see docs/FORMATS.md §2)"
    if not isinstance(data, list):
        raise input_error(path, "", f"must be a list of topics, got {type_name(data)}", fix)
    if not data:
        raise input_error(path, "", "the topic list is empty; add at least one topic", fix)
    topics, seen = [], {}
    for n, item in enumerate(data, 1):
        if not isinstance(item, dict):
            raise input_error(path, f"topic {n}", f"must be a mapping with id, title, points; got {type_name(item)}",
                              fix)
        named = isinstance(item.get("id"), str) and item["id"].strip()
        where = f"topic {n} ('{item['id']}')" if named else f"topic {n}"
        fields = parse(TopicFields, item, path, fix, lambda loc, where=where: where)
        if fields.id in seen:
            raise input_error(path, where, f"duplicate id '{fields.id}' (also topic {seen[fields.id]})", fix)
        seen[fields.id] = n
        topics.append(Topic(fields.id, fields.title, tuple(fields.points), fields.audience,
                            fields.split or default_split(fields.id), fields.kind))
    if not any(t.split == "train" for t in topics):
        raise input_error(path, "", "no topic has split 'train'; mark at least one topic 'split: train'", fix)
    return topics


def load_topics(path: Path | str) -> list[Topic]:
    return parse_topics(read_yaml(path, "topics file"), path)


def topic_from_text(title: str, points: str | list[str], audience: str = "", kind: str | None = None) -> Topic:
    """A topic typed by hand (notebooks 02 and 05, `writebot write --title`): one point per line (or a list of
    points); its id is made from the title."""
    title = title.strip()
    lines = points.splitlines() if isinstance(points, str) else points
    lines = [p.strip().lstrip("-* ").strip() for p in lines if p.strip()]
    if not title or not lines:
        raise InputError("a topic needs a title and at least one point (one per line)")
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "topic"
    kind = (kind or "").strip() or None
    if kind is not None and not re.fullmatch(KIND_PATTERN, kind):
        raise InputError(f"kind {kind!r}: a kind is a short label of a-z, 0-9 and '-' (like recipe, story, how-to)")
    return Topic(slug, title, tuple(lines), audience.strip() or None, "train", kind)
