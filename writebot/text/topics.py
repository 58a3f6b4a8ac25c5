"""Topic briefs (docs/FORMATS.md §2): load, validate, split into train and val."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from writebot.errors import InputError
from writebot.files import read_yaml
from writebot.text.validate import Checker, type_name

_ID = re.compile(r"^[a-z0-9-]+$")
FIELDS = {"id", "title", "points", "audience", "split"}


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    points: tuple[str, ...]
    audience: str | None = None
    split: str = "train"

    @classmethod
    def from_dict(cls, data: dict) -> Topic:
        """The inverse of to_dict (a run folder's records store topics this way)."""
        return cls(data["id"], data["title"], tuple(data["points"]), data.get("audience"), data.get("split", "train"))

    def to_dict(self) -> dict:
        out = {"id": self.id, "title": self.title, "points": list(self.points), "split": self.split}
        if self.audience:
            out["audience"] = self.audience
        return out


def default_split(topic_id: str) -> str:
    """A stable 25% of ids go to val: the same id always lands on the same side."""
    return "val" if hashlib.sha256(topic_id.encode()).digest()[0] % 4 == 0 else "train"


def parse_topics(data: object, path: Path | str) -> list[Topic]:
    check = Checker(path, "fix the topics file (see docs/FORMATS.md §2)")
    if not isinstance(data, list):
        raise check.fail("", f"must be a list of topics, got {type_name(data)}")
    if not data:
        raise check.fail("", "the topic list is empty; add at least one topic")
    topics, seen = [], {}
    for n, item in enumerate(data, 1):
        where = f"topic {n}"
        if not isinstance(item, dict):
            raise check.fail(where, f"must be a mapping with id, title, points; got {type_name(item)}")
        topic_id = check.field(item, "id", str, where)
        where = f"topic {n} ('{topic_id}')"
        if not _ID.match(topic_id):
            raise check.fail(where, "'id' may use only a-z, 0-9 and '-'")
        if topic_id in seen:
            raise check.fail(where, f"duplicate id '{topic_id}' (also topic {seen[topic_id]})")
        seen[topic_id] = n
        check.unknown_keys(item, FIELDS, where)
        title = check.field(item, "title", str, where).strip()
        points = tuple(p.strip() for p in check.text_list(item, "points", where))
        audience = check.field(item, "audience", str, where, required=False)
        split = check.field(item, "split", str, where, required=False) or default_split(topic_id)
        if split not in ("train", "val"):
            raise check.fail(where, f"'split' must be train or val, got '{split}'")
        topics.append(Topic(topic_id, title, points, audience.strip() if audience else None, split))
    if not any(t.split == "train" for t in topics):
        raise check.fail("", "no topic has split 'train'; mark at least one topic 'split: train'")
    return topics


def load_topics(path: Path | str) -> list[Topic]:
    return parse_topics(read_yaml(path, "topics file"), path)


def topic_from_text(title: str, points: str | list[str], audience: str = "") -> Topic:
    """A topic typed by hand (notebooks 02 and 05, `writebot write --title`): one point per line (or a list of
    points); its id is made from the title."""
    title = title.strip()
    lines = points.splitlines() if isinstance(points, str) else points
    lines = [p.strip().lstrip("-* ").strip() for p in lines if p.strip()]
    if not title or not lines:
        raise InputError("a topic needs a title and at least one point (one per line)")
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "topic"
    return Topic(slug, title, tuple(lines), audience.strip() or None, "train")
