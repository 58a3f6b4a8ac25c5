"""What correcting a draft costs a person (notebook 02; docs/FORMATS.md §4): the seconds from the draft shown to
Submit, and the words typed or deleted on the way. The word edit distance between draft and ground truth is only the
lower bound of the second: a person rewrites a sentence twice, types a word and takes it back, writes feedback.
Simulated users cost no effort; their records leave it empty."""

from __future__ import annotations

import difflib
import re
import time
from dataclasses import dataclass

from writebot.compare.metrics import word_edit_distance

_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Effort:
    seconds: float
    words: int


class EffortMeter:
    """Watches one draft's editor: `typed(text)` with every state the ground-truth box goes through (and the
    feedback box, with `feedback=True`), `done(draft, ground_truth)` on Submit. A word typed letter by letter counts
    once, as does one deleted letter by letter; a pasted paragraph counts its words. Text the machine put there (a
    suggested revision: `machine=True`) is not the person's typing."""

    def __init__(self, draft: str, clock=time.monotonic):
        self.clock = clock
        self.started = clock()
        self.words = 0
        self._last = {False: _WORD.findall(draft), True: []}

    def typed(self, text: str, feedback: bool = False, machine: bool = False) -> None:
        tokens = _WORD.findall(text)
        if not machine:
            self.words += changed_words(self._last[feedback], tokens)
        self._last[feedback] = tokens

    def done(self, draft: str, ground_truth: str) -> Effort:
        floor = word_edit_distance(draft, ground_truth)
        return Effort(round(self.clock() - self.started, 1), max(self.words, floor))


def changed_words(before: list[str], after: list[str]) -> int:
    """Words that appeared or went away between two states of a text box: a word that only grew or shrank at its
    end (typing or backspacing within it) is the same word, still being typed."""
    count = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        old, new = before[i1:i2], after[j1:j2]
        if op == "replace" and len(old) == len(new) == 1 and (new[0].startswith(old[0]) or old[0].startswith(new[0])):
            continue
        count += max(len(old), len(new))
    return count
