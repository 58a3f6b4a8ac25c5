"""Which topic to correct next (docs/FORMATS.md §1 `--select`, notebook 02): every corrected post costs a person
minutes, and the learner learns only from what they correct, so the next post should be the one that teaches most.

- `order`: the backlog in the topics file's order (PRELUDE's stream; the default);
- `random`: a shuffle of each pass over the train topics, seeded by the run's seed;
- `active`: the rules the user's corrections so far suggest but do not yet settle, tried on each backlog topic.
  A rule read off one post is no style yet (the learner keeps a rule only when it helps on two posts or more), and
  one seen on several posts but never kept is in doubt: a topic whose text the rule would change tests it, and
  correcting that post confirms or refutes it. The rules are mined as the learner mines them, from what the current
  guide's draft of each corrected post still lacks, each confirmed where it fires. A topic scores the words those
  rules would change in it (up to SITES_CAP per rule: more places for the user to confirm or refute them); ties go
  to the topic with the most words no corrected post had (new ground, where unknown rules hide), then to file
  order. The topic's text is the offline writer's base text for it; with Claude (no base text) it is the brief, a
  proxy the reason says. bench/active.py measures what it saves.

Selection reads the drafts, feedback and ground truths the user gave, never the simulated user's persona.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from writebot.compare.changes import analyse
from writebot.compare.metrics import word_edit_distance
from writebot.engines.firings import MIN_CONFIRMED, firings
from writebot.engines.mining import Pool, mine
from writebot.store.formats import DraftRecord
from writebot.text.directives import parse_feedback
from writebot.text.pipeline import Pipeline
from writebot.text.rule_language import DropSentencesWith, MaxSentenceWords, Replace, Rule
from writebot.text.topics import Topic

SELECTIONS = ("order", "random", "active")
# rules that fire on some posts and not on others (an opening or closing line fires on every post: no topic tests it
# better than another)
TESTED = ("replace", "drop_sentences_with", "max_sentence_words", "contractions", "heading_case")
SLOTS = ("max_sentence_words", "contractions", "heading_case")  # one rule of each kind decides it
SITES_CAP = 5  # words a rule would change in a post, counted up to this: one post with many is no more telling
NOVEL_WEIGHT, NOVEL_CAP = 0.005, 0.9  # new ground breaks ties between topics that test the same rules
_WORD = re.compile(r"[a-z][a-z']{3,}")


@dataclass(frozen=True)
class Unsettled:
    """A rule the user's corrections suggest and the guide does not have: seen on `posts` posts, `said` in words."""

    rule: Rule
    posts: int
    said: bool


@dataclass(frozen=True)
class Pick:
    """A topic to correct next and why, in one line."""

    topic: Topic
    why: str
    score: float = 0.0


class Chooser:
    """Picks each round's train topic from the backlog (`how`: one of SELECTIONS). `base_text(topic)`: the offline
    writer's text before STYLE.md's rules (registry.EngineKind.base_text), or None (then the brief stands in).
    Deterministic: the same records and pipeline give the same pick, so a resumed run picks as the killed one
    would have."""

    def __init__(self, how: str = "order", seed: int = 0, base_text: Callable[[Topic], str] | None = None,
                 writer: Callable[[Pipeline, Topic], str] | None = None):
        if how not in SELECTIONS:
            raise ValueError(f"unknown selection {how!r}")
        self.how, self.seed, self.base_text, self.writer = how, seed, base_text, writer
        self._texts: dict[str, tuple[str, frozenset[str], tuple[str, ...]]] = {}
        self._mined: dict[tuple[int, str, str], list[tuple[Rule, bool]]] = {}
        self._effects: dict[Rule, dict[str, int]] = {}  # rule -> paragraph -> words it changes there

    def pick(self, backlog: list[Topic], records: list[DraftRecord], pipeline: Pipeline, pass_no: int = 0,
             train: list[Topic] | None = None) -> Pick:
        """The backlog topic to correct next. `train`: all the pass's train topics in file order (random shuffles
        them once per pass, so a pass's order does not depend on what is left)."""
        if not backlog:
            raise ValueError("an empty backlog")
        if self.how == "order":
            return Pick(backlog[0], "the next in the topics file")
        if self.how == "random":
            order = list(train or backlog)
            random.Random(f"{self.seed}:{pass_no}").shuffle(order)
            left = {t.id for t in backlog}
            return Pick(next(t for t in order if t.id in left), f"drawn at random (seed {self.seed})")
        return self.rank(backlog, records, pipeline)[0]

    def rank(self, backlog: list[Topic], records: list[DraftRecord], pipeline: Pipeline) -> list[Pick]:
        """Every backlog topic, the most telling first (active selection), each with its reason."""
        unsettled = self.unsettled(records, pipeline)
        seen = frozenset().union(*(self._text(r.topic_id, r.topic)[1] for r in records if r.split == "train"))
        proxy = "" if self.base_text else " (judged on the brief: a draft Claude has not written is unknown)"
        picks = []
        for index, topic in enumerate(backlog):
            changes = {u: self._changes(topic, u.rule) for u in unsettled}
            tested = [u for u in unsettled if changes[u]]
            novel = len(self._text(topic.id, topic)[1] - seen)
            score = sum(min(SITES_CAP, changes[u]) for u in tested) + min(NOVEL_CAP, NOVEL_WEIGHT * novel)
            shown = [u for u in tested if not _in_context(u.rule, [t.rule for t in tested])]
            picks.append((-score, index, Pick(topic, _why(shown, novel) + proxy, score)))
        return [pick for *_, pick in sorted(picks, key=lambda p: (p[0], p[1]))]

    def _changes(self, topic: Topic, rule: Rule) -> int:
        """Words the rule would change in the topic's text. The rules tested act within a paragraph, so each
        paragraph's change is worked out once for every topic that has it (templates and points repeat)."""
        effects = self._effects.setdefault(rule, {})  # a rule is hashed once per topic, a paragraph's hash is kept
        total = 0
        for paragraph in self._text(topic.id, topic)[2]:
            words = effects.get(paragraph)
            if words is None:
                after = rule.apply(paragraph)
                words = effects[paragraph] = 0 if after == paragraph else max(1, word_edit_distance(paragraph, after))
            total += words
        return total

    def unsettled(self, records: list[DraftRecord], pipeline: Pipeline) -> list[Unsettled]:
        """The rules the corrections suggest that the guide does not have, most worth testing first."""
        posts: dict[Rule, set[str]] = {}
        said: set[Rule] = set()
        for record in records:
            if record.split != "train":
                continue
            for rule, in_words in self._mine(record, pipeline):
                posts.setdefault(rule, set()).add(record.topic_id)
                if in_words:
                    said.add(rule)
        have = pipeline.style.parsed_rules()
        out = [Unsettled(rule, len(where), rule in said) for rule, where in posts.items() if not settled(rule, have)]
        return sorted(out, key=lambda u: (u.posts, not u.said, u.rule.to_line()))

    def _mine(self, record: DraftRecord, pipeline: Pipeline) -> list[tuple[Rule, bool]]:
        """The rules one corrected post suggests, and whether they were said: mined, as the learner mines, from
        what the current guide's draft still lacks (with an offline writer; else from the recorded draft), each
        confirmed where it fires (a piece of a sentence the user rewrote as a whole is no rule). Cached."""
        key = (record.epoch, record.topic_id, pipeline.version_hash if self.writer else "")
        if key not in self._mined:
            pool = Pool()
            draft = self.writer(pipeline, Topic.from_dict(record.topic)) if self.writer else record.draft
            truth = record.ground_truth
            low, high = mine(pool, analyse(draft, truth), record.topic_id, "")
            found = {c.rule: False for c in pool.by_rule.values()
                     if c.rule.kind in TESTED and _confirmed(c.rule, draft, truth)}
            if high < 10_000:  # the user split a long sentence: a limit between low and high
                found[MaxSentenceWords(max(1, (low + high) // 2))] = False
            for comment in record.feedback:
                found |= {rule: True for rule in parse_feedback(comment) if rule.kind in TESTED}
            self._mined[key] = list(found.items())
        return self._mined[key]

    def _text(self, topic_id: str, topic: Topic | dict) -> tuple[str, frozenset[str], tuple[str, ...]]:
        """The topic's text (base text, or brief), its word types and its paragraphs (cached per topic)."""
        if topic_id not in self._texts:
            topic = topic if isinstance(topic, Topic) else Topic.from_dict(topic)
            text = (self.base_text(topic) if self.base_text else
                    "\n\n".join([f"# {topic.title}", *topic.points]))
            self._texts[topic_id] = (text, frozenset(_WORD.findall(text.lower())),
                                     tuple(p for p in text.split("\n\n") if p.strip()))
        return self._texts[topic_id]


def settled(rule: Rule, have: list[Rule]) -> bool:
    """Does the guide already decide what `rule` would: the rule itself, its slot (a sentence length, contractions,
    a heading case, what a phrase becomes), or a drop rule that drops its sentences?"""
    for kept in have:
        if kept == rule or (kept.kind == rule.kind and rule.kind in SLOTS):
            return True
        if isinstance(rule, Replace) and isinstance(kept, Replace) and kept.old.lower() == rule.old.lower():
            return True
        if isinstance(rule, DropSentencesWith) and isinstance(kept, DropSentencesWith) and all(
                kept.drops(phrase) for phrase in rule.phrases):
            return True
    return False


def _in_context(rule: Rule, others) -> bool:
    """A word swap that is another one with words of context around it ("utilize a" -> "use a" beside "utilize" ->
    "use"): one rule to a reader (the score counts both: a swap read off a post in several contexts is the more
    likely to be the user's)."""
    if not isinstance(rule, Replace):
        return False
    old, new = rule.old.lower(), rule.new.lower()
    return any(isinstance(o, Replace) and o != rule and o.old.lower() in old
               and old.replace(o.old.lower(), o.new.lower(), 1) == new for o in others)


def _confirmed(rule: Rule, draft: str, truth: str) -> bool:
    """Where the rule fires on its own post, does the user's post agree (docs/FORMATS.md §6)?"""
    found = firings(rule, [draft], [truth])
    return not found.contradicted and (not found.fired or found.share >= MIN_CONFIRMED)


def _why(tested: list[Unsettled], novel: int) -> str:
    if tested:
        once, said = sum(u.posts == 1 for u in tested), sum(u.said for u in tested)
        notes = [f"{once} seen on only one post" if once else "", f"{said} you asked for" if said else ""]
        rest = f" and {len(tested) - 1} more" if len(tested) > 1 else ""
        return (f"tests {len(tested)} rule{'s' * (len(tested) != 1)} your corrections suggest but do not settle"
                f" ({', '.join(n for n in notes if n) or 'seen on several posts, never kept'}): "
                f"{tested[0].rule.to_line()}{rest}")
    if novel:
        return f"new ground: {novel} word{'s' * (novel != 1)} no corrected post had"
    return "nothing left to test: the next in the topics file"
