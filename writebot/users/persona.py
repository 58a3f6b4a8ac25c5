"""A persona (docs/FORMATS.md §3): the file, its edits applied to a draft (and the points a draft lost put
back, §3d), and the simulated user that applies them."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from writebot.compare.faithfulness import KEPT, judge_offline
from writebot.files import read_yaml
from writebot.store.formats import DraftRecord
from writebot.text.formats import EditFields, PersonaFields, input_error, parse, type_name
from writebot.text.post import Post, normalize
from writebot.text.rule_language import (
    CloseWith,
    Contractions,
    DropSentencesWith,
    HeadingCase,
    MaxSentenceWords,
    OpenWith,
    Replace,
    Rule,
    short_line,
)
from writebot.text.topics import Topic
from writebot.users.base import Review


@dataclass
class Persona:
    name: str
    description: str
    max_feedback: int = 2
    edits: list[tuple[Rule, str | None]] = field(default_factory=list)
    consistency: float = 1.0  # docs/FORMATS.md §3b: the share of posts each edit is applied to
    one_off: int = 0  # one-off edits per post, made after all the others
    kinds: dict[str, list[tuple[Rule, str | None]]] = field(default_factory=dict)  # §3c: edits after `edits`, by kind
    descriptions: dict[str, str] = field(default_factory=dict)  # §3c: a Claude-played taste per kind

    def edits_for(self, kind: str | None) -> list[tuple[Rule, str | None]]:
        """The edits made to a post of `kind`: `edits`, then that kind's (docs/FORMATS.md §3c)."""
        return self.edits + self.kinds.get(kind, []) if kind else self.edits

    def description_for(self, kind: str | None) -> str:
        return self.descriptions.get(kind, self.description) if kind else self.description


def _rule(edit: EditFields) -> Rule:
    """The rule a persona edit makes (its fields already checked by text.formats.EditFields)."""
    kind, value = edit.kind, getattr(edit, edit.kind)
    if kind == "replace":
        return Replace(value.old, value.new, value.whole_word)
    return {"open_with": OpenWith, "close_with": CloseWith, "contractions": Contractions, "heading_case": HeadingCase,
            "max_sentence_words": MaxSentenceWords}.get(kind, lambda v: DropSentencesWith(tuple(v)))(value)


def _where(loc: tuple) -> str:
    """("edits", 0, "replace", "new") -> "edit 1 replace"; a top-level field -> ""."""
    if len(loc) >= 2 and loc[0] == "edits" and isinstance(loc[1], int):
        return f"edit {loc[1] + 1}" + (" replace" if loc[2:3] == ("replace",) and len(loc) > 3 else "")
    if len(loc) >= 3 and loc[0] == "kinds" and isinstance(loc[2], int):  # ("kinds", "recipe", 0, ...)
        return f"kinds {loc[1]} edit {loc[2] + 1}" + (" replace" if loc[3:4] == ("replace",) and len(loc) > 4 else "")
    return ""


def parse_persona(data: object, path: Path | str) -> Persona:
    """A persona file's YAML (text.formats.PersonaFields) as a Persona, or the InputError for its first problem."""
    fix = "fix the persona file (see docs/FORMATS.md §3)"
    if not isinstance(data, dict):
        raise input_error(path, "", f"must be a mapping with name, description, edits; got {type_name(data)}", fix)
    fields = parse(PersonaFields, data, path, fix, _where)
    edits = [(_rule(edit), edit.say) for edit in fields.edits]
    kinds = {kind: [(_rule(edit), edit.say) for edit in listed] for kind, listed in fields.kinds.items()}
    return Persona(fields.name, fields.description, fields.max_feedback, edits, float(fields.consistency),
                   fields.one_off, kinds, dict(fields.descriptions))


def load_persona(path: Path | str) -> Persona:
    return parse_persona(read_yaml(path, "persona file"), path)


def _draw32(key: str) -> int:
    """The first 32 bits of the key's sha256: the stable draw behind docs/FORMATS.md §3b's choices."""
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16)


def unit(key: str) -> float:
    """u(key) of docs/FORMATS.md §3b: a stable draw in [0, 1)."""
    return _draw32(key) / 2**32


def put_back(topic: Topic, draft: str) -> str:
    """The draft with each point of the brief it lost put back, as a person would (docs/FORMATS.md §3d): the
    points the offline judge finds dropped or contradicted, each its own text as a paragraph of its own, before the
    sign-off when the last paragraph is one, else at the end."""
    verdicts = judge_offline(topic.title, topic.points, draft)
    lost = [point for point, verdict in zip(topic.points, verdicts, strict=True) if verdict != KEPT]
    if not lost:
        return draft
    post = Post.parse(normalize(draft))
    last = post.blocks[-1] if len(post.blocks) > post.body_start else None
    at = len(post.blocks) - 1 if last is not None and short_line(last, greeting=False) else len(post.blocks)
    post.blocks[at:at] = lost
    return post.render()


def persona_edit(persona: Persona, draft: str, topic_id: str = "draft", topic: Topic | None = None,
                 fired: set[tuple[str | None, int]] | None = None) -> tuple[str, list[str]]:
    """Put back what the draft lost of the topic's brief, when the brief is known (docs/FORMATS.md §3d); then apply
    the persona's edits for the topic's kind (§3c) in order (each only on the share of posts its `consistency`
    says), then its one-off edits (§3, §3b); return the ground truth and the `say` of every edit that changed it.
    `fired` collects the edits that changed the text: (None, i) for `edits[i]`, (kind, i) for `kinds[kind][i]`."""
    text = normalize(put_back(topic, draft) if topic is not None else draft)
    said = []
    kind = topic.kind if topic else None
    for k, (rule, say) in enumerate(persona.edits_for(kind)):
        if unit(f"{persona.name}|{topic_id}|{k}") >= persona.consistency:
            continue  # skipped on this post, as people skip their own rules now and then
        after = rule.apply(text)
        if after != text and say and len(said) < persona.max_feedback:
            said.append(say)
        if after != text and fired is not None:
            fired.add((None, k) if k < len(persona.edits) else (kind, k - len(persona.edits)))
        text = after
    return one_off_edits(text, persona.name, topic_id, persona.one_off), said


def unused_edits(persona: Persona, records: list[DraftRecord]) -> list[str]:
    """One line for each of the persona's edits that changed none of a run's recorded drafts (the reviews replayed:
    they are deterministic), e.g. a drop phrase written after `contractions: expand`, which no text then holds. A
    kind's edits are judged only when the run had posts of that kind."""
    fired: set[tuple[str | None, int]] = set()
    kinds, drafts = set(), 0
    for record in records:
        if record.topic:  # a record from before topics were recorded has none
            topic = Topic.from_dict(record.topic)
            kinds.add(topic.kind)
            drafts += 1
            persona_edit(persona, record.draft, topic.id, topic, fired)
    where = [(None, k, rule) for k, (rule, _) in enumerate(persona.edits)]
    where += [(kind, k, rule) for kind, edits in persona.kinds.items() if kind in kinds
              for k, (rule, _) in enumerate(edits)]
    return [f"persona '{persona.name}': {'edits' if kind is None else f'kinds: {kind}'}[{k}] "
            f"({rule.to_line()}) changed none of the run's {drafts} drafts; check what it looks for, and whether an "
            "edit before it already rewrites that (edits apply in order, docs/FORMATS.md §3)"
            for kind, k, rule in where if (kind, k) not in fired] if drafts else []


_LETTERS = re.compile(r"[A-Za-z]{6,}")


def one_off_edits(text: str, name: str, topic_id: str, count: int) -> str:
    """Upper-case `count` words picked by (name, topic id) from the body paragraphs (docs/FORMATS.md §3b). A word is a
    white-space separated token, as everywhere in writebot (word edit distance, sentence lengths)."""
    if count <= 0:
        return text
    post = Post.parse(text)
    body = [i for i, block in enumerate(post.blocks) if i >= post.body_start and not block.startswith("#")]
    candidates = list(dict.fromkeys(word for i in body for word in post.blocks[i].split()
                                    if _LETTERS.fullmatch(word) and not word.isupper()))
    for j in range(count):
        if not candidates:
            break
        word = candidates.pop(_draw32(f"{name}|{topic_id}|one_off|{j}") % len(candidates))
        pattern = re.compile(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])")
        for i in body:
            if pattern.search(post.blocks[i]):
                post.blocks[i] = pattern.sub(word.upper(), post.blocks[i], count=1)
                break
    return post.render()


class PersonaUser:
    """The deterministic simulated user: docs/FORMATS.md §3 edits, exactly."""

    def __init__(self, persona: Persona):
        self._persona = persona
        self.name = persona.name

    def review(self, topic: Topic, draft: str) -> Review:
        ground_truth, feedback = persona_edit(self._persona, draft, topic.id, topic)
        return Review(ground_truth, feedback, by=f"persona:{self.name}")

    async def areview(self, topic: Topic, draft: str) -> Review:
        return self.review(topic, draft)

    async def aclose(self) -> None:
        pass
