"""Does a candidate rule do, where it fires, what the user did? A rule that pays off on a few posts while mangling
the others ("if you" -> "have you" made "beans have you can avoid it") is rejected: most of its firings must be
confirmed by the ground truths. And a word swap that moves a sentence boundary ("Replace ', this' with '? This'")
is no style rule at all: sentences are split and dropped by their own rule kinds.
"""

from __future__ import annotations

import re

from writebot.post import Post, is_heading, sentences
from writebot.rule_language import DropSentencesWith, Replace, Rule

MIN_CONFIRMED = 0.5  # the share of a rule's firings the ground truths must confirm
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


def _replace_firings(rule: Replace, text: str, truth: str) -> tuple[int, int]:
    fired = confirmed = 0
    flat_truth = _flat(truth)
    for m in rule.matches(text):
        left = _LEFT.search(text, 0, m.start()).group(0)  # the word before, and what is glued to the match
        right = _RIGHT.match(text, m.end()).group(0)
        snippet = _flat(left + rule.new + right).strip()
        fired += 1
        confirmed += snippet in flat_truth
    return fired, confirmed


def _drop_firings(rule: DropSentencesWith, text: str, truth: str) -> tuple[int, int]:
    fired = confirmed = 0
    flat_truth = _flat(truth)
    for block in Post.parse(text).body:
        if is_heading(block) or not rule.drops(block):
            continue
        for sentence in sentences(block):
            if rule.drops(sentence):
                fired += 1
                confirmed += _flat(sentence) not in flat_truth
    return fired, confirmed


def confirmed_share(rule: Rule, texts: list[str], truths: list[str]) -> float:
    """The share of the rule's firings on `texts` that the ground truths confirm (1.0 for other rule kinds, which
    act on whole classes, and for a rule that fires nowhere)."""
    if isinstance(rule, Replace):
        count = _replace_firings
    elif isinstance(rule, DropSentencesWith):
        count = _drop_firings
    else:
        return 1.0
    fired = confirmed = 0
    for text, truth in zip(texts, truths, strict=True):
        f, c = count(rule, text, truth)
        fired += f
        confirmed += c
    return confirmed / fired if fired else 1.0
