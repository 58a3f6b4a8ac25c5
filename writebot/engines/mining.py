"""Mining candidate rules from typed edit spans, with support counts and provenance.

Each reviewed pair (the engine's current output for a topic vs the user's ground truth) is analysed into spans;
spans become candidate rules. Instances of one class (contractions, heading case, sentence splits, dropped
sentences) are mined as the class rule directly, so the rule covers cases never seen in training.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from writebot.compare.changes import Analysis
from writebot.engines.firings import crosses_sentences, edge_punctuation
from writebot.text.post import Post
from writebot.text.rule_language import (
    CONTRACTIONS,
    HEADING_CASES,
    CloseWith,
    Contractions,
    DropSentencesWith,
    HeadingCase,
    MaxSentenceWords,
    OpenWith,
    Replace,
    Rule,
    heading_case,
    split_points,
    subsumes,
)

MIN_REPLACE_SUPPORT = 2  # a word swap must be seen in two topics: one topic's wording is not a style
# nor is one post's greeting or sign-off ("Happy brewing, little helpers!"): a line read off the edits must stand in
# the ground truths of two posts (a line the user asks for in words needs no second post)
SEEN_TWICE = ("replace", "open_with", "close_with")
_LONG = [(re.compile(rf"(?<!\w){re.escape(long)}(?!\w)", re.I), short.lower()) for long, short in CONTRACTIONS]
_SHORT = [(re.compile(rf"(?<!\w){re.escape(short)}(?![\w'])", re.I), long.lower()) for long, short in CONTRACTIONS]
# Try class rules before word swaps: one class rule explains many spans at once.
PRIORITY = {"contractions": 0, "heading_case": 1, "max_sentence_words": 2, "drop_sentences_with": 3,
            "open_with": 4, "close_with": 5, "replace": 6}


@dataclass
class Candidate:
    rule: Rule
    support: int = 0
    topics: set[str] = field(default_factory=set)
    provenance: list[str] = field(default_factory=list)
    source: str = "diff"

    def add(self, topic: str, where: str) -> None:
        self.support += 1
        self.topics.add(topic)
        if where not in self.provenance and len(self.provenance) < 8:
            self.provenance.append(where)


class Pool:
    """Candidates keyed by rule, accumulating support."""

    def __init__(self) -> None:
        self.by_rule: dict[Rule, Candidate] = {}

    def add(self, rule: Rule, topic: str, where: str, source: str = "diff") -> None:
        cand = self.by_rule.setdefault(rule, Candidate(rule, source=source))
        if source == "feedback":
            cand.source = "feedback"
        cand.add(topic, where)

    def ranked(self) -> list[Candidate]:
        keep = [c for c in self.by_rule.values()
                if c.source == "feedback" or c.rule.kind not in SEEN_TWICE or len(c.topics) >= MIN_REPLACE_SUPPORT]
        # what the user asked for in words first; then the most posts; of swaps seen on as many posts, the shorter
        # (more general) one first: "a lot of" -> "many" before "a lot of people" -> "many people"
        return sorted(keep, key=lambda c: (PRIORITY[c.rule.kind], c.source != "feedback", -len(c.topics),
                                           len(getattr(c.rule, "old", "")), -c.support, c.rule.to_line()))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _replace_from(old: str, new: str) -> Replace | None:
    old, new = old.strip(), new.strip()
    if not old or len(old) > 60 or "\n" in old or "\n" in new or old.lower() == new.lower():
        return None
    if crosses_sentences(old, new) or edge_punctuation(old):  # sentence ends and commas belong to other rules
        return None
    if old[:1].isupper() and new[:1].isupper():
        new = _lower_first(new)  # the rule re-capitalises where the match was capitalised
    whole = old[:1].isalnum() or old[-1:].isalnum()
    rule = Replace(old.lower(), new, whole_word=whole)
    if any(subsumes(Contractions(mode), rule) for mode in ("contract", "expand")):
        return None  # one row of the contractions table is the class rule's job: the class generalises, rows overfit
    return rule


def _mine_replaces(pool: Pool, an: Analysis, topic: str, where: str) -> None:
    a, b = an.draft, an.truth
    for span in an.spans:
        if span.location not in ("sentence", "heading") or span.old.lower() == span.new.lower():
            continue
        (i1, i2), (j1, j2) = span.a, span.b
        variants = [(i1, i2, j1, j2)]
        if i1 > 0 and j1 > 0:
            variants.append((i1 - 1, i2, j1 - 1, j2))
        if i2 < len(a.tokens) and j2 < len(b.tokens):
            variants.append((i1, i2 + 1, j1, j2 + 1))
        for x1, x2, y1, y2 in variants:
            if x1 == x2:
                continue
            rule = _replace_from(a.span_text(x1, x2), b.span_text(y1, y2))
            if rule:
                pool.add(rule, topic, where)


def _mine_contractions(pool: Pool, an: Analysis, topic: str, where: str) -> None:
    for span in an.spans:
        old, new = span.old.lower().replace("\u2019", "'"), span.new.lower().replace("\u2019", "'")
        if any(p.search(old) and short in new for p, short in _LONG):
            pool.add(Contractions("contract"), topic, where)
        if any(p.search(old) and long in new for p, long in _SHORT):
            pool.add(Contractions("expand"), topic, where)


def _mine_headings(pool: Pool, an: Analysis, topic: str, where: str) -> None:
    ours = [an.draft.text[b.start : b.end] for b in an.draft.blocks if b.kind != "paragraph"]
    theirs = [an.truth.text[b.start : b.end] for b in an.truth.blocks if b.kind != "paragraph"]
    if len(ours) != len(theirs):
        return
    for mine, wanted in zip(ours, theirs, strict=True):
        if mine != wanted and mine.lower() == wanted.lower():
            text = wanted.lstrip("#").strip()
            for case in HEADING_CASES:
                if heading_case(text, case) == text:
                    pool.add(HeadingCase(case), topic, where)


def split_bounds(an: Analysis) -> tuple[int, int]:
    """Bounds (lo, hi) on the sentence word limit the user splits at: lo <= N <= hi."""
    a = an.draft
    lo, hi = 0, 10_000
    for k, (start, end) in enumerate(a.sentences):
        if a.blocks[a.sentence_block[k]].kind != "paragraph":
            continue
        text = a.text[start:end]
        cursor = 0
        for at in split_points(text):  # only where the rule may split: before a clause
            if at < cursor:
                continue
            words = len(text[cursor:].split())
            comma = a.token_at.get(start + at)
            if comma is None:
                break
            split = not an.kept[comma] and any(
                sp.a[0] <= comma < sp.a[1] and "." in sp.new for sp in an.spans)
            if split:
                hi = min(hi, words - 1)
                cursor = at + 6
            else:
                lo = max(lo, words)
                break
    return lo, hi


def _mine_drops(pool: Pool, an: Analysis, topic: str, where: str) -> None:
    for sentence in an.dropped_sentences():
        words = sentence.split()
        phrases = []
        comma = sentence.find(",")
        if 0 < comma and len(sentence[:comma].split()) <= 5:
            phrases.append(sentence[:comma])
        for n in (2, 3, 4):
            if len(words) > n:
                phrases.append(" ".join(words[:n]).rstrip(",.;:!?"))
        for phrase in dict.fromkeys(phrases):
            pool.add(DropSentencesWith((phrase,)), topic, where)


def _mine_edges(pool: Pool, draft: str, truth: str, topic: str, where: str) -> None:
    ours, theirs = Post.parse(draft), Post.parse(truth)
    if not theirs.body:
        return
    for line, kind, mine in ((theirs.body[0], OpenWith, ours.body[:1]), (theirs.body[-1], CloseWith, ours.body[-1:])):
        if [line] != mine and line not in ours.blocks and "\n" not in line and len(line.split()) <= 15:
            pool.add(kind(line), topic, where)


def mine(pool: Pool, an: Analysis, topic: str, where: str) -> list[int]:
    """Add the candidates one analysed pair suggests; return its sentence-split bounds."""
    _mine_contractions(pool, an, topic, where)
    _mine_headings(pool, an, topic, where)
    _mine_drops(pool, an, topic, where)
    _mine_edges(pool, an.draft.text, an.truth.text, topic, where)
    _mine_replaces(pool, an, topic, where)
    return list(split_bounds(an))


def split_candidates(pool: Pool, bounds: list[tuple[int, int, str, str]]) -> None:
    """Turn per-pair split bounds into a few MaxSentenceWords candidates (consistent range first)."""
    seen = [(lo, hi, t, w) for lo, hi, t, w in bounds if hi < 10_000]
    if not seen:
        return
    lo = max(b[0] for b in bounds)
    hi = min(b[1] for b in seen)
    # The middle of the consistent range first: ties keep the first candidate tried.
    limits = [(lo + hi) // 2, lo, hi]
    for limit in dict.fromkeys(n for n in limits if n >= 1):
        for _, _, topic, where in seen:
            pool.add(MaxSentenceWords(limit), topic, where)

