"""The offline writer: a topic brief becomes a post in the engine's own base voice (rules_voice.yaml), with section
headings made of the points they head; STYLE.md's rules (the general ones, then the post's kind's) steer it.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from importlib import resources

import yaml

from writebot.text.english import keeps_capital, lexicon, starts_clause
from writebot.text.pipeline import Pipeline, Style
from writebot.text.post import Post, is_heading
from writebot.text.rule_language import Rule
from writebot.text.topics import Topic


@lru_cache(maxsize=1)
def voice() -> dict:
    return yaml.safe_load(resources.files("writebot.engines").joinpath("rules_voice.yaml").read_text("utf-8"))



def _pick(options: list[str], topic_id: str, salt: str, offset: int = 0) -> str:
    h = int.from_bytes(hashlib.sha256(f"{salt}:{topic_id}".encode()).digest()[:4], "big")
    return options[(h + offset) % len(options)]



def _sentence(point: str) -> str:
    return point if point[-1:] in ".!?" else point + "."



_CLAUSE_END = re.compile(r"[;:]| because | so that | but | which | while ")

_COMMA = re.compile(r", ")

# a heading cut out of an instruction ends right before one of these (the next phrase starts there)
_PHRASE_START = {"at", "in", "on", "for", "with", "before", "after", "until", "by", "into", "onto", "from", "when",
                 "while", "if", "near", "under", "above", "behind", "towards", "without", "every", "each", "per",
                 "to", "so", "where", "which", "once", "up"}

# a statement ("It is better to train ... than ...") is cut only before the clause that depends on it
# (not before "than": "It is easier to cut one big cost" asks "than what?")
_SUBORDINATE = {"when", "once", "if", "because", "while", "until", "before", "after", "unless", "whenever"}

_SMALL = {"a", "an", "the", "and", "but", "or", "of", "to", "in", "on", "at", "by", "for", "with", "from", "into",
          "than", "as", "up", "out", "over", "under", "every", "each", "your", "its", "their", "my", "our", "it",
          "you", "is", "are", "be", "when", "if", "that", "this", "what", "whatever", "no", "more", "less", "not",
          "do", "just", "all", "about", "through", "around"}

# a quantity is not a whole phrase without what follows it ("Sow the seeds six weeks | before the last frost")
_MEASURES = {"second", "seconds", "minute", "minutes", "hour", "hours", "day", "days", "week", "weeks", "month",
             "months", "year", "years", "time", "times", "percent", "degrees", "grams", "metres", "meters", "miles",
             "longer", "shorter", "more", "less", "better", "worse", "earlier", "later"}

_PARTICLES = {"on", "off", "up", "out"}  # "turning on", "lay out": part of the verb, no place to cut

WHOLE_HEADING = 10  # a first clause this short is a heading whole

HEADING_WORDS = 9  # at most, in a heading cut out of a longer point

MIN_HEADING = 3  # at least, in a heading cut out of a longer instruction (a statement: one more)



def _first_clause(point: str) -> str:
    """The point up to its first clause boundary; a comma counts only before a new clause ("Start with G, C and D,
    because ..." keeps its list; "Knead for ten minutes, or until ..." ends at the comma)."""
    text = _CLAUSE_END.split(point.strip().rstrip(".!?"), maxsplit=1)[0]
    for comma in _COMMA.finditer(text):
        rest = text[comma.end():].split()
        if rest and (starts_clause(" ".join(rest[:1])) or rest[0].lower() in ("and", "but", "so", "then", "or")):
            return text[: comma.start()]
    return text



def heading_for(point: str) -> str:
    """A section heading made of the point it heads, always a whole phrase: its first clause whole when short;
    an instruction cut where its first phrase ends (never after a small word or a quantity: "Mix two parts of dry
    brown material with one part of kitchen scraps." -> "Mix two parts of dry brown material"); a statement cut
    only before the clause that depends on it ("A lot of the nerves fade | once you hear ..."); else whole."""
    words = _first_clause(point).split()
    if len(words) > WHOLE_HEADING:
        low = [w.lower().strip(",'\"") for w in words] + ["", ""]
        verbs = lexicon()["imperative_verbs"]
        instruction = low[0] in verbs or low[0] in ("don't", "never") or low[:2] == ["do", "not"]
        starts = _PHRASE_START if instruction else _SUBORDINATE
        most = HEADING_WORDS + 2 * (not instruction)  # a statement's main clause may run a little longer
        cuts = [n for n in range(MIN_HEADING + (not instruction), min(most, len(words) - 2) + 1)
                if (low[n] in starts or instruction and low[n] == "and" and low[n + 1] in verbs)  # "..., and dry it"
                and low[n - 1] not in _SMALL and low[n - 1] not in _MEASURES
                and not words[n - 1].endswith(",") and low[n - 2 : n] != ["in", "order"]
                and not (low[n] in _PARTICLES and (low[n - 1].endswith("ing") or low[n - 1] in verbs))]
        if cuts:  # an instruction keeps as much of itself as a heading holds; a statement its main clause
            words = words[: cuts[-1] if instruction else cuts[0]]
    return " ".join(words).rstrip(",;:.!?") or point.strip().rstrip(".!?")



def _subject(title: str) -> str:
    """The title as it reads inside a sentence ("about {subject}"): lower case, but for names and words with
    capitals inside, and without a leading "About" ("About Sourdough" is about sourdough, not "about about")."""
    words = title.split()
    if len(words) > 1 and words[0].lower() == "about":
        words = words[1:]
    return " ".join(w if keeps_capital(w) else w.lower() for w in words)



@lru_cache(maxsize=20_000)
def skeleton(topic: Topic, sections: bool = True) -> str:
    """The draft before any STYLE.md rule: title, intro, the points in order (a section per few points, headed by
    its first point, when `sections`), outro. Every point's text is carried as written."""
    v = voice()
    fill = {"subject": _subject(topic.title), "audience": topic.audience or "you"}
    blocks = [f"# {topic.title}", _pick(v["intros"], topic.id, "intro").format(**fill)]
    size = v["points_per_section"]
    for n, start in enumerate(range(0, len(topic.points), size)):
        points = topic.points[start : start + size]
        if sections:
            blocks.append("## " + _capitalise_first(heading_for(points[0])))
        blocks.append(" ".join([*map(_sentence, points), _pick(v["asides"], topic.id, "aside", n)]))
    blocks.append(_pick(v["outros"], topic.id, "outro").format(**fill))
    return "\n\n".join(blocks) + "\n"



def _capitalise_first(text: str) -> str:
    return text[:1].upper() + text[1:]



def sections_of(pipeline: Pipeline) -> bool:
    """The examples' shape: the writer heads its sections only if the example posts have section headings (or there
    are no examples to follow)."""
    posts = [Post.parse(t) for t in pipeline.examples.values()]
    return not posts or any(is_heading(b) for p in posts for b in p.body)



@lru_cache(maxsize=256)
def _rules_in(style_text: str, kind: str | None) -> list[Rule]:
    return Style.parse(style_text).parsed_rules(kind)


def style_rules(pipeline: Pipeline, kind: str | None = None) -> list[Rule]:
    """The rules a post of `kind` is written with, in order: the general ones, then its kind's (docs/FORMATS.md
    §11)."""
    return _rules_in(pipeline.files["STYLE.md"], kind)
