"""Does a candidate rule do, where it fires, what the user did (docs/FORMATS.md §6)? Each place is judged in its
sentence: inside a sentence the user rewrote as a whole, a swap is a piece of a rewrite and confirms nothing ("if
you" -> "have you" made "beans have you can avoid it"); elsewhere the user's words in that place confirm the swap,
show it skipped, or contradict it. A rule with a contradicted place, or confirmed in fewer than half of its places,
is rejected. And a word swap that moves a sentence boundary ("Replace ', this' with '? This'") is no style rule at
all: sentences are split and dropped by their own rule kinds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from writebot.compare.changes import analyse
from writebot.text.post import Post, is_heading, sentences
from writebot.text.rule_language import DropSentencesWith, Replace, Rule

MIN_CONFIRMED = 0.5  # the share of a rule's firings the ground truths must confirm
KEPT_WORDS = 0.5  # a sentence the user kept less of than this share of its words, they dropped
_MARKS = re.compile(r"[.!?]")
_SPACES = re.compile(r"\s+")
_LEFT = re.compile(r"(?:\S+[^\S\n]+)?\S*$")  # the word before, on the same line
_RIGHT = re.compile(r"\S*(?:[^\S\n]+\S+)?")  # the word after, on the same line


def crosses_sentences(old: str, new: str) -> bool:
    """True for a swap of words that also moves, adds or removes a sentence end (. ! ?)."""
    words = any(c.isalpha() for c in old + new)
    return words and _MARKS.findall(old) != _MARKS.findall(new)


def edge_punctuation(old: str) -> bool:
    """True for words with punctuation at an edge (", this", ". i am"): a swap that reaches across a boundary into
    the next clause or sentence. Pure punctuation ("!") is a swap of its own."""
    return any(c.isalpha() for c in old) and not (old[:1].isalnum() and old[-1:].isalnum())


def _flat(text: str) -> str:
    return _SPACES.sub(" ", text).lower()


@dataclass(frozen=True)
class Firings:
    """Where a rule fires on the texts, against the user's ground truths: `confirmed` places the user changed the
    same way, `contradicted` places the user changed otherwise ("many of the" where the rule writes "many the"),
    the rest left alone (a skipped rule) or inside a sentence the user rewrote as a whole."""

    fired: int = 0
    confirmed: int = 0
    contradicted: int = 0
    in_rewrites: int = 0  # places inside a sentence the user rewrote, not confirmed

    @property
    def share(self) -> float:
        return self.confirmed / self.fired if self.fired else 1.0

    def __add__(self, other: Firings) -> Firings:
        return Firings(self.fired + other.fired, self.confirmed + other.confirmed,
                       self.contradicted + other.contradicted, self.in_rewrites + other.in_rewrites)


def _replace_firings(rule: Replace, text: str, truth: str) -> Firings:
    """Each place the swap fires, judged in its sentence: a sentence the user rewrote as a whole confirms a swap
    only if the user wrote the swapped sentence somewhere ("If you have ever ..." -> "Have you ever ...?" confirms
    nothing of "if you" -> "have you"); elsewhere the words the user wrote in that place decide."""
    if rule.old.lower() not in text.lower():  # fires nowhere here: no alignment needed
        return Firings()
    an = analyse(text, truth)
    flat_truth = _flat(truth)
    fired = confirmed = contradicted = rewrites = 0
    draft = an.draft.text
    for m in rule.matches(draft):
        fired += 1
        i1, i2 = an.token_at(m.start()), an.token_at(m.end() - 1) + 1
        if i1 >= i2:
            continue
        k = an.draft.sentence_of[i1]
        if an.rewritten(k):
            if _flat(rule.apply(an.draft.sentence_text(k))) in flat_truth:
                confirmed += 1
            else:
                rewrites += 1
            continue
        words = an.draft.span_text(i1, i2)
        got = an.aligned(i1, i2)
        if got is None:  # the alignment cannot say which words became which: the words around it decide
            left = _LEFT.search(draft, 0, m.start()).group(0)
            right = _RIGHT.match(draft, m.end()).group(0)
            confirmed += _flat(left + rule.new + right).strip() in flat_truth
        elif _flat(got) == _flat(rule.apply(words)):
            confirmed += 1
        elif _flat(got) != _flat(words):  # the user changed these words, and not this way
            contradicted += 1
    return Firings(fired, confirmed, contradicted, rewrites)


def _drop_firings(rule: DropSentencesWith, text: str, truth: str) -> Firings:
    """Each sentence the rule drops, against the ground truth: the user dropped it too (most of its words are gone)
    confirms it; a user who kept it, word for word or edited ("in order to" -> "to"), did not drop it."""
    fired, gone = 0, []
    flat_truth = _flat(truth)
    for block in Post.parse(text).body:
        if is_heading(block) or not rule.drops(block):
            continue
        for sentence in sentences(block):
            if rule.drops(sentence):
                fired += 1
                if _flat(sentence) not in flat_truth:  # the rest the user kept word for word
                    gone.append(_flat(sentence))
    if not gone:
        return Firings(fired, 0)
    an = analyse(text, truth)
    confirmed = 0
    for k in range(len(an.draft.sentences)):
        if _flat(an.draft.sentence_text(k)) in gone and an.sentence_kept(k) < KEPT_WORDS:
            confirmed += 1
    return Firings(fired, min(confirmed, len(gone)))


def firings(rule: Rule, texts: list[str], truths: list[str]) -> Firings:
    """Where the rule fires on `texts` and what the ground truths say there (rules of other kinds act on whole
    classes: they count as fired nowhere)."""
    if isinstance(rule, Replace):
        count = _replace_firings
    elif isinstance(rule, DropSentencesWith):
        count = _drop_firings
    else:
        return Firings()
    total = Firings()
    for text, truth in zip(texts, truths, strict=True):
        total += count(rule, text, truth)
    return total


def confirmed_share(rule: Rule, texts: list[str], truths: list[str]) -> float:
    """The share of the rule's firings on `texts` that the ground truths confirm (1.0 for other rule kinds, which
    act on whole classes, and for a rule that fires nowhere)."""
    return firings(rule, texts, truths).share
