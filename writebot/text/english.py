"""What the rule language knows of English (english.yaml): enough to tell a clause from a noun phrase after ", and",
and a name from an ordinary word in a heading, so that no rule writes a broken sentence (docs/FORMATS.md §3)."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import yaml

_WORD = re.compile(r"[A-Za-z]+(?:['\u2019][A-Za-z]+)*")


@lru_cache(maxsize=1)
def lexicon() -> dict[str, frozenset[str]]:
    data = yaml.safe_load(resources.files("writebot.text").joinpath("english.yaml").read_text("utf-8"))
    return {key: frozenset(str(w).lower() for w in words) for key, words in data.items()}


def words(text: str) -> list[str]:
    """The words of a text, lower case, apostrophes made straight."""
    return [w.lower().replace("\u2019", "'") for w in _WORD.findall(text)]


@lru_cache(maxsize=16384)
def starts_clause(text: str) -> bool:
    """True when `text` (what follows ", and" or ", but") reads as a clause that can stand as a sentence: it starts
    with an instruction verb, or holds a pronoun or an auxiliary. "spare batteries in a dry bag" does not."""
    found = words(text)
    if not found:
        return False
    known = lexicon()
    if found[0] in known["imperative_verbs"]:
        return True
    return any(w in known["subject_pronouns"] or w in known["object_pronouns"] or w in known["auxiliaries"]
               for w in found)


@lru_cache(maxsize=16384)
def keeps_capital(word: str) -> bool:
    """A word a sentence-case heading writes as it is: "I", a name (days, months, languages, places), a capital
    letter alone (the chords "G, C and D"; not the article "A"), or a word with a capital inside it ("USB",
    "iPhone")."""
    bare = word.strip("\"'“”‘’()[]:;,.!?")
    if not bare:
        return False
    if bare == "I" or bare.startswith(("I'", "I\u2019")) or (len(bare) == 1 and bare.isupper() and bare != "A"):
        return True
    if any(c.isupper() for c in bare[1:]):
        return True
    low, names = bare.lower(), lexicon()["proper_nouns"]
    return bare[:1].isupper() and (low in names or (low.endswith("s") and low[:-1] in names))


# words that carry no content: what a point, a note or a rule says is in the others
STOPWORDS = frozenset("""a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each either every few for from further get
gets had has have having he her here hers him his how i if in into is it its itself just let me more most my no nor
not of off on once only or other our out over own same she should so some such than that the their them then there
these they this those through to too under until up very was we were what when where which while who whom why will
with would you your yours yourself really much many lot lots thing things way ways one ones it's that's there's
you're we're they're i'm i've we've you'll i'll let's""".split())


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A rough stem, cut to six letters: "feeding", "feeds" and "feed" meet; "doubles" and "doubled" too."""
    if word.endswith("'s"):
        word = word[:-2]
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""), ("ly", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: len(word) - len(suffix)] + keep
            break
    return word[:6]


def content_stems(text: str) -> frozenset[str]:
    """The stems of a text's content words (no stop words, no one-letter words)."""
    return frozenset(stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1)
