"""Directive-style feedback -> candidate rules ("say X, not Y", "end with X", "no exclamation marks", ...).

Feedback none of these patterns understand is returned as a note, for STYLE.md's Notes (read by the Claude engine).
"""

from __future__ import annotations

import re
from functools import lru_cache

from writebot.text.rule_language import (
    CloseWith,
    Contractions,
    DropSentencesWith,
    HeadingCase,
    MaxSentenceWords,
    OpenWith,
    Replace,
    Rule,
)

_Q = r"[\"\u201c\u201d']"
_QUOTED = rf"{_Q}([^\"\u201c\u201d]+?){_Q}"
_SWAP = [
    re.compile(rf"\bsay {_QUOTED},? (?:not|instead of|rather than) {_QUOTED}", re.I),
    re.compile(rf"\buse {_QUOTED},? (?:not|instead of|rather than) {_QUOTED}", re.I),
    re.compile(rf"{_QUOTED},? (?:not|instead of|rather than) {_QUOTED}", re.I),
]
_SWAP_REVERSED = [
    re.compile(rf"\breplace {_QUOTED} with {_QUOTED}", re.I),
    # "Cut "in order to"; just say "to"": what to write instead makes it a replacement, not a deletion
    re.compile(rf"\b(?:cut|drop|lose|skip|avoid|no|not|never|(?:don't|do not|stop) (?:use|say|using|saying)) "
               rf"{_QUOTED}[;:,.]?\s*(?:and |just |"
               rf"simply |instead,? |—\s*|-\s*)*(?:say|use|write|put)(?: just| simply)? {_QUOTED}", re.I),
    re.compile(rf"\b(?:not|no) {_QUOTED},? (?:but|use|say) {_QUOTED}", re.I),
    re.compile(rf"{_QUOTED}\s*(?:->|→)\s*{_QUOTED}", re.I),
]
_BAN = re.compile(rf"\b(?:don't|do not|never|avoid|no|drop|cut|stop)(?: using| saying| use| say| writing)? {_QUOTED}",
                  re.I)
_CLOSE = re.compile(rf"\b(?:end|close|sign off|finish|wrap up) with(?: the line)?:? (?:{_QUOTED}|(.+?)\s*$)", re.I)
_OPEN = re.compile(rf"\b(?:open|start|begin|greet (?:me|readers|us)?)\s?with(?: the line)?:? (?:{_QUOTED}|(.+?)\s*$)",
                   re.I)
_NO_BANG = re.compile(r"\b(?:no|fewer|drop the|stop using|less|too many|without)\s+exclamation", re.I)
_SHORTER = re.compile(r"\bshorter sentences\b|\bsentences (?:are |were )?too long\b|\blong sentences\b", re.I)
_UNDER = re.compile(r"\bsentences? (?:under|below|of at most|no longer than|max(?:imum)?) (\d+) words", re.I)
_CONTRACT = re.compile(r"\buse contractions\b|\bcontract\b|\btoo (?:stiff|formal)\b", re.I)
_EXPAND = re.compile(r"\b(?:no|avoid|without|don't use|do not use) contractions\b|\bspell (?:it|them|words) out\b",
                     re.I)
_HEADINGS = re.compile(r"\b(sentence|title|lower)[- ]case\b", re.I)


def _line(m: re.Match) -> str:
    return (m.group(1) or m.group(2) or "").strip().strip("\"'\u201c\u201d")


def parse_feedback(comment: str) -> list[Rule]:
    """Candidate rules a comment asks for (possibly several readings); [] when it is not a directive we know."""
    return list(_parse(comment))


@lru_cache(maxsize=1024)  # users repeat themselves: the same comment comes back on many drafts
def _parse(comment: str) -> tuple[Rule, ...]:
    out: list[Rule] = []
    for pattern in _SWAP:
        for m in pattern.finditer(comment):
            out.append(Replace(m[2].strip(), m[1].strip()))
    for pattern in _SWAP_REVERSED:
        for m in pattern.finditer(comment):
            out.append(Replace(m[1].strip(), m[2].strip()))
    if not out:
        for m in _BAN.finditer(comment):
            phrase = m[1].strip()
            out += [DropSentencesWith((phrase,)), Replace(phrase, "")]
    if _NO_BANG.search(comment):
        out.append(Replace("!", ".", whole_word=False))
    for pattern, kind in ((_CLOSE, CloseWith), (_OPEN, OpenWith)):
        m = pattern.search(comment)
        if m and _line(m):
            out.append(kind(_line(m)))
    m = _UNDER.search(comment)
    if m:
        out.append(MaxSentenceWords(int(m[1])))
    elif _SHORTER.search(comment):
        out += [MaxSentenceWords(n) for n in (12, 15, 18, 20, 25)]
    if _EXPAND.search(comment):
        out.append(Contractions("expand"))
    elif _CONTRACT.search(comment):
        out.append(Contractions("contract"))
    m = _HEADINGS.search(comment)
    if m and re.search(r"\b(?:heading|title)s?\b", comment, re.I):
        out.append(HeadingCase(m[1].lower()))
    return tuple(dict.fromkeys(out))
