"""Diff analysis, the "gradient": draft vs ground truth -> typed edit spans.

Words are aligned case-insensitively with rapidfuzz opcodes; runs of changed tokens (including case-only changes)
become spans typed by operation (replace / insert / delete) and located as opening, closing, heading, whole_sentence
or sentence (inside a sentence).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from rapidfuzz.distance import Levenshtein

from writebot.text.post import normalize

_TOKEN = re.compile(r"\w+(?:['\u2019]\w+)*|[^\w\s]")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
_WORDS = re.compile(r"\w+(?:'\w+)*")


@dataclass(frozen=True)
class Block:
    start: int
    end: int
    kind: str  # title | heading | paragraph
    index: int


class Doc:
    """A normalized post with its tokens, blocks and sentences located by character offset."""

    def __init__(self, text: str):
        self.text = normalize(text)
        matches = list(_TOKEN.finditer(self.text))
        self.tokens = [m.group(0) for m in matches]
        self.lower = [t.lower() for t in self.tokens]
        self.offsets = [(m.start(), m.end()) for m in matches]
        self.blocks: list[Block] = []
        pos = 0
        for i, chunk in enumerate(self.text.rstrip("\n").split("\n\n")):
            kind = "paragraph"
            if chunk.startswith("#"):
                kind = "title" if i == 0 and chunk.startswith("# ") else "heading"
            self.blocks.append(Block(pos, pos + len(chunk), kind, i))
            pos += len(chunk) + 2
        self.sentences: list[tuple[int, int]] = []
        self.sentence_block: list[int] = []
        for block in self.blocks:
            start = block.start
            if block.kind == "paragraph":
                for m in _SENTENCE_END.finditer(self.text, block.start, block.end):
                    self.sentences.append((start, m.end()))
                    self.sentence_block.append(block.index)
                    start = m.end() + 1
            if start < block.end:
                self.sentences.append((start, block.end))
                self.sentence_block.append(block.index)
        self.token_at = {s: i for i, (s, _) in enumerate(self.offsets)}
        self.block_of = self._locate([(b.start, b.end) for b in self.blocks])
        self.sentence_of = self._locate(self.sentences)

    def _locate(self, ranges: list[tuple[int, int]]) -> list[int]:
        """For each token (in order), the index of the range (in order) that holds its start; a token in no range
        belongs to the last one before it (or the last one of all)."""
        out, k = [], 0
        for start, _ in self.offsets:
            while k + 1 < len(ranges) and ranges[k][1] <= start and not (ranges[k][0] <= start < ranges[k][1]):
                k += 1
            out.append(k if ranges and ranges[k][0] <= start < ranges[k][1] else len(ranges) - 1)
        return out

    @staticmethod
    def _find(blocks: list[Block], pos: int) -> int:
        for b in blocks:
            if b.start <= pos < b.end:
                return b.index
        return len(blocks) - 1

    @staticmethod
    def _find_range(ranges: list[tuple[int, int]], pos: int) -> int:
        for i, (s, e) in enumerate(ranges):
            if s <= pos < e:
                return i
        return len(ranges) - 1

    def span_text(self, i: int, j: int) -> str:
        """Text covered by tokens i..j-1 (empty when i == j)."""
        return self.text[self.offsets[i][0] : self.offsets[j - 1][1]] if i < j else ""

    def sentence_text(self, k: int) -> str:
        s, e = self.sentences[k]
        return self.text[s:e].strip()

    @cached_property
    def body_blocks(self) -> list[Block]:
        return [b for b in self.blocks if b.kind != "title"]


@dataclass(frozen=True)
class EditSpan:
    op: str  # replace | insert | delete
    location: str  # opening | closing | heading | whole_sentence | sentence
    old: str
    new: str
    a: tuple[int, int]  # token range in the draft
    b: tuple[int, int]  # token range in the ground truth
    before: str  # draft token just before the span ("" at the start)
    after: str  # draft token just after the span ("" at the end)
    sentence: str  # the draft sentence the span starts in ("" for a pure insert at a block edge)


@dataclass
class Analysis:
    draft: Doc
    truth: Doc
    spans: list[EditSpan]
    kept: list[bool]  # per draft token: aligned to an equal ground-truth token
    opcodes: list[tuple[str, int, int, int, int]] = field(default_factory=list)  # over lower-cased tokens

    @cached_property
    def _clusters(self) -> list[tuple[bool, int, int, int, int]]:
        """The alignment as runs: (equal, a1, a2, b1, b2), every run of changes merged into one (inside it, which
        word became which is not known)."""
        out: list[list] = []
        for tag, a1, a2, b1, b2 in self.opcodes:
            equal = tag == "equal"
            if out and not equal and not out[-1][0]:
                out[-1][2], out[-1][4] = a2, b2
            else:
                out.append([equal, a1, a2, b1, b2])
        return [tuple(c) for c in out]

    def token_at(self, pos: int) -> int:
        """The draft token that covers (or first follows) character `pos` of the draft."""
        return bisect_right([e for _, e in self.draft.offsets], pos)

    def _map(self, i1: int, i2: int) -> tuple[int, int] | None:
        """The ground-truth token range aligned to draft tokens i1..i2-1 (a change run it cuts into counts whole
        when `strict` is off)."""
        j1 = j2 = None
        for equal, a1, a2, b1, b2 in self._clusters:
            if a2 <= i1 and not (a1 == a2 == i1 and i1 > 0) or a1 >= i2 and not (a1 == a2 == i2):
                continue
            lo, hi = max(a1, i1), min(a2, i2)
            s, e = (b1 + lo - a1, b1 + hi - a1) if equal else (b1, b2)
            if not equal and (lo > a1 or hi < a2):
                return None
            j1 = s if j1 is None else min(j1, s)
            j2 = e if j2 is None else max(j2, e)
        return (j1, j2) if j1 is not None else None

    def aligned(self, i1: int, i2: int) -> str | None:
        """The ground-truth text that draft tokens i1..i2-1 became, or None when the alignment cannot say (the range
        cuts into a run of changes, inside which it is not known which word became which)."""
        found = self._map(i1, i2)
        return None if found is None else self.truth.span_text(*found)

    def counterpart(self, k: int) -> str:
        """The ground-truth sentences draft sentence k became (whole sentences, joined), "" when it was dropped."""
        words = [i for i, s in enumerate(self.draft.sentence_of) if s == k]
        if not words:
            return ""
        j1 = j2 = None
        for equal, a1, a2, b1, b2 in self._clusters:
            lo, hi = max(a1, words[0]), min(a2, words[-1] + 1)
            if lo >= hi:
                continue
            s, e = (b1 + lo - a1, b1 + hi - a1) if equal else (b1, b2)
            j1 = s if j1 is None else min(j1, s)
            j2 = e if j2 is None else max(j2, e)
        if j1 is None or j1 >= j2:
            return ""
        truth = self.truth
        first, last = truth.sentence_of[j1], truth.sentence_of[j2 - 1]
        return " ".join(truth.sentence_text(n) for n in range(first, last + 1))

    def rewritten(self, k: int) -> bool:
        """True when the user rewrote draft sentence k as a whole rather than editing words in it: its words (in
        any case, contractions spelled out) are at least 3 and 30% edits away from what it became. A swap is never
        learned from a piece of such a sentence (docs/FORMATS.md §6)."""
        before = _plain_words(self.draft.sentence_text(k))
        edits = Levenshtein.distance(before, _plain_words(self.counterpart(k)))
        return edits >= 3 and edits >= 0.3 * len(before)

    def sentence_kept(self, k: int) -> float:
        """The share of draft sentence k's words that stand, aligned, in the ground truth (1.0 for no words)."""
        idx = [i for i, s in enumerate(self.draft.sentence_of) if s == k and self.draft.tokens[i][0].isalnum()]
        return sum(self.kept[i] for i in idx) / len(idx) if idx else 1.0

    def dropped_sentences(self) -> list[str]:
        """Draft sentences none of whose word tokens survive in the ground truth."""
        out = []
        for k in range(len(self.draft.sentences)):
            idx = [i for i, s in enumerate(self.draft.sentence_of) if s == k and self.draft.tokens[i][0].isalnum()]
            block = self.draft.blocks[self.draft.block_of[idx[0]]] if idx else None
            if idx and block.kind == "paragraph" and not any(self.kept[i] for i in idx):
                out.append(self.draft.sentence_text(k))
        return out


def _plain_words(text: str) -> list[str]:
    """Words in lower case with contractions spelled out: what a rewrite changes and a style edit mostly does not."""
    from writebot.text.rule_language import EXPANDED

    out = []
    for word in _WORDS.findall(text.lower().replace("\u2019", "'")):
        out += EXPANDED.get(word, word).lower().split()
    return out


def _segments(a: Doc, b: Doc, opcodes) -> tuple[list[tuple[int, int, int, int]], list[bool]]:
    """Changed runs as (i1, i2, j1, j2) token ranges, and which draft tokens were kept unchanged."""
    runs: list[list[int]] = []
    kept = [False] * len(a.tokens)

    def boundary(doc: Doc, k: int) -> bool:
        return 0 < k < len(doc.tokens) and doc.block_of[k - 1] != doc.block_of[k]

    def mark(i1: int, i2: int, j1: int, j2: int) -> None:
        adjacent = runs and runs[-1][1] == i1 and runs[-1][3] == j1
        if adjacent and not boundary(a, i1) and not boundary(b, j1):
            runs[-1][1], runs[-1][3] = i2, j2
        else:
            runs.append([i1, i2, j1, j2])

    for op in opcodes:
        if op.tag != "equal":
            mark(op.src_start, op.src_end, op.dest_start, op.dest_end)
            continue
        for d in range(op.src_end - op.src_start):
            i, j = op.src_start + d, op.dest_start + d
            if a.tokens[i] == b.tokens[j]:
                kept[i] = True
            else:
                mark(i, i + 1, j, j + 1)
    out = []
    for i1, i2, j1, j2 in runs:  # one opcode may straddle a block edge on both sides: cut it there
        a_cuts = [k for k in range(i1 + 1, i2) if boundary(a, k)]
        b_cuts = [k for k in range(j1 + 1, j2) if boundary(b, k)]
        if a_cuts and len(a_cuts) == len(b_cuts):
            a_edges, b_edges = [i1, *a_cuts, i2], [j1, *b_cuts, j2]
            out += [(a_edges[n], a_edges[n + 1], b_edges[n], b_edges[n + 1]) for n in range(len(a_cuts) + 1)]
        else:
            out.append((i1, i2, j1, j2))
    return out, kept


def _location(a: Doc, b: Doc, i1: int, i2: int, j1: int, j2: int) -> str:
    if i1 == i2:  # pure insert: where the inserted words stand in the ground truth
        blocks = {b.block_of[j] for j in range(j1, j2)}
        if len(blocks) == 1:
            block = b.blocks[blocks.pop()]
            whole = b.offsets[j1][0] == block.start and b.offsets[j2 - 1][1] == block.end
            body = b.body_blocks
            if whole and body and block == body[0]:
                return "opening"
            if whole and body and block == body[-1]:
                return "closing"
            if block.kind != "paragraph":
                return "heading"
            first, last = b.sentences[b.sentence_of[j1]], b.sentences[b.sentence_of[j2 - 1]]
            if b.offsets[j1][0] == first[0] and b.offsets[j2 - 1][1] == last[1]:
                return "whole_sentence"
            return "sentence"
    token = i1 if i1 < i2 else min(i1, len(a.tokens) - 1)
    if token >= 0 and a.tokens and a.blocks[a.block_of[token]].kind != "paragraph":
        return "heading"
    if i1 < i2:
        first, last = a.sentences[a.sentence_of[i1]], a.sentences[a.sentence_of[i2 - 1]]
        if a.offsets[i1][0] == first[0] and a.offsets[i2 - 1][1] == last[1]:
            return "whole_sentence"
    return "sentence"


def _whole_sentences(a: Doc, b: Doc, i1: int, i2: int, j1: int, j2: int) -> str | None:
    """The draft sentences a span deletes, when its words are exactly theirs and it inserts no words (the
    alignment may shift a full stop across the edge); else None."""
    if i1 == i2 or any(b.tokens[j][0].isalnum() for j in range(j1, j2)):
        return None
    words = {i for i in range(i1, i2) if a.tokens[i][0].isalnum()}
    sentences = sorted({a.sentence_of[i] for i in words})
    if not words or a.blocks[a.block_of[min(words)]].kind != "paragraph":
        return None
    whole = {i for i, k in enumerate(a.sentence_of) if k in sentences and a.tokens[i][0].isalnum()}
    return " ".join(a.sentence_text(k) for k in sentences) if whole == words else None


@lru_cache(maxsize=1024)  # the learner mines and then checks the same pairs; an Analysis is never changed
def analyse(draft: str, ground_truth: str) -> Analysis:
    """Typed edit spans that turn the draft into the ground truth."""
    a, b = Doc(draft), Doc(ground_truth)
    opcodes = Levenshtein.opcodes(a.lower, b.lower)
    runs, kept = _segments(a, b, opcodes)
    spans = []
    for i1, i2, j1, j2 in runs:
        op = "replace" if i1 < i2 and j1 < j2 else ("delete" if i1 < i2 else "insert")
        location, old, new = _location(a, b, i1, i2, j1, j2), a.span_text(i1, i2), b.span_text(j1, j2)
        dropped = _whole_sentences(a, b, i1, i2, j1, j2)
        if dropped:
            op, location, old, new = "delete", "whole_sentence", dropped, ""
        spans.append(EditSpan(
            op=op,
            location=location,
            old=old,
            new=new,
            a=(i1, i2),
            b=(j1, j2),
            before=a.tokens[i1 - 1] if i1 > 0 else "",
            after=a.tokens[i2] if i2 < len(a.tokens) else "",
            sentence=a.sentence_text(a.sentence_of[i1]) if i1 < len(a.tokens) and a.sentences else "",
        ))
    return Analysis(a, b, spans, kept, [(o.tag, o.src_start, o.src_end, o.dest_start, o.dest_end) for o in opcodes])
