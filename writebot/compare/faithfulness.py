"""Is a draft faithful to its brief (docs/FORMATS.md §10)? For each point of the brief: kept, dropped, or (where the
judge can tell) contradicted; and the claims the draft adds that the brief does not support. Edit cost cannot see a
dropped fact or an invented one; these figures can.

Two judges keep one contract (`Judge`): the offline one (`OfflineJudge`, the default: deterministic, instant, from
the text alone) and Claude (`ClaudeJudge`, `--judge claude`: per point, structured, and it counts invented claims).
The offline judge matches each point's content words (stemmed, numbers and negations apart) against windows of one
to three sentences of the draft; it mistakes heavy paraphrase for loss and cannot tell an invented claim from a
transition, so its `added` is None ("cannot tell").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from writebot.store.formats import DraftRecord
from writebot.text.english import STOPWORDS, stem
from writebot.text.topics import Topic

KEPT, DROPPED, CONTRADICTED = "kept", "dropped", "contradicted"
VERDICTS = (KEPT, DROPPED, CONTRADICTED)


@dataclass(frozen=True)
class Judgement:
    """What a judge found in one text: a verdict per point of the brief (in the brief's order) and the claims the
    text adds (None: the judge cannot tell)."""

    points: tuple[str, ...]
    added: tuple[str, ...] | None
    judge: str

    @property
    def kept(self) -> set[int]:
        return {i for i, v in enumerate(self.points) if v == KEPT}

    @property
    def points_kept(self) -> float:
        """The share of the brief's points kept, 0..1 (1.0 for a brief with no points)."""
        return len(self.kept) / len(self.points) if self.points else 1.0

    @property
    def claims_added(self) -> int | None:
        return None if self.added is None else len(self.added)

    def to_dict(self, brief: Iterable[str]) -> dict:
        """The `--json` shape of `writebot judge` (docs/FORMATS.md §10)."""
        return {"points": [{"point": p, "verdict": v} for p, v in zip(brief, self.points, strict=True)],
                "added": None if self.added is None else list(self.added)}


class Judge(Protocol):
    """Reads a brief and a text, says what of the brief the text keeps. Error contract: a Judgement, or the
    errors of the service behind it (a ModelStop or an SDK error: the run stops, resumable)."""

    name: str  # what is recorded as the judge: "rules", or "claude:<model>"
    point_noise: float  # the share of points it may misjudge on a text that keeps them (the gate's tolerance)
    claims_noise: float  # invented claims it may see per draft that has none

    async def ajudge(self, topic: Topic, text: str) -> Judgement:
        ...

    def judge(self, topic: Topic, text: str) -> Judgement:
        ...

    async def aclose(self) -> None:
        ...


def points_lost(draft: Judgement, truth: Judgement) -> list[int]:
    """The points the draft did not keep that the user keeps in the ground truth (a user puts back what a draft
    lost, §3d). A point the user leaves out too is not lost (a learned "Drop any sentence containing ..." rule and
    its user agree)."""
    return sorted(i for i in range(len(draft.points)) if draft.points[i] != KEPT and i in truth.kept)


def faithfulness_fields(draft: Judgement, truth: Judgement) -> dict:
    """What a feedback.jsonl record holds of a reviewed draft's faithfulness (docs/FORMATS.md §10)."""
    lost = points_lost(draft, truth)
    return {"faithfulness": {"judge": draft.judge, "points": list(draft.points),
                             "added": None if draft.added is None else list(draft.added),
                             "truth_points": list(truth.points), "lost": lost},
            "points_kept": round(draft.points_kept, 4), "claims_added": draft.claims_added, "points_lost": len(lost)}


def judge_review(judge: Judge, topic: Topic, draft: str, ground_truth: str) -> dict:
    """faithfulness_fields of a reviewed draft, judged now (the ground truth once more only if it differs)."""
    from writebot.text.post import normalize

    of_draft = judge.judge(topic, draft)
    same = ground_truth == draft or normalize(ground_truth) == normalize(draft)
    of_truth = of_draft if same else judge.judge(topic, ground_truth)
    return faithfulness_fields(of_draft, of_truth)


NOISE = {"rules": (0.05, 0.0), "claude": (0.05, 0.5)}  # judge -> (point_noise, claims_noise), as the judges say


@dataclass(frozen=True)
class ContentCheck:
    """What an update did to content, on the topics compared (docs/FORMATS.md §10): the points of the brief the
    drafts lost (points the user keeps), and the claims they added, before and after. A judge's noise allows a
    little: `point_tolerance` points (its point noise times the points compared, rounded down), `claims_tolerance`
    claims (its claims noise times the drafts compared)."""

    topics: int
    lost_before: int
    lost_after: int
    claims_before: int | None
    claims_after: int | None
    point_tolerance: int
    claims_tolerance: int

    @classmethod
    def of(cls, judge: str, pairs: list[tuple[DraftRecord, DraftRecord]]) -> ContentCheck | None:
        """From (before, after) pairs of records on the same topics; None when any record was recorded without
        faithfulness fields (a run from before the judge)."""
        if not pairs or any(r.points_lost is None or r.faithfulness is None for pair in pairs for r in pair):
            return None
        point_noise, claims_noise = NOISE[judge.split(":")[0]]
        points = sum(len(a.faithfulness.points) for a, _ in pairs)
        claims = [(a.claims_added, b.claims_added) for a, b in pairs]
        known = all(a is not None and b is not None for a, b in claims)
        return cls(len(pairs), sum(a.points_lost for a, _ in pairs), sum(b.points_lost for _, b in pairs),
                   sum(a for a, _ in claims) if known else None, sum(b for _, b in claims) if known else None,
                   int(point_noise * points), int(claims_noise * len(pairs)))

    def worse(self) -> str | None:
        """Why the update is not kept on content (None: it keeps what the version before kept)."""
        if self.lost_after > self.lost_before + self.point_tolerance:
            return (f"its drafts lose {self.lost_after} of the brief's points the user keeps, against "
                    f"{self.lost_before} before (on {self.topics} topics; the judge's noise allows "
                    f"{self.point_tolerance})")
        if self.claims_after is not None and self.claims_after > self.claims_before + self.claims_tolerance:
            return (f"its drafts add {self.claims_after} claims the brief does not support, against "
                    f"{self.claims_before} before (on {self.topics} topics; the judge's noise allows "
                    f"{self.claims_tolerance})")
        return None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


# -- the offline judge ------------------------------------------------------------------------------------------
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
NEGATIONS = frozenset({"not", "no", "never", "cannot", "without", "nothing", "none", "nor", "neither", "don't",
                       "doesn't", "didn't", "isn't", "aren't", "wasn't", "won't", "can't", "couldn't", "shouldn't",
                       "wouldn't"})
# what a draft may say a point's "do not" with ("avoid spraying", "skip the", "keep it away from")
NEGATING = NEGATIONS | {"avoid", "skip", "stop", "instead", "rather", "away", "less", "only", "before", "nobody"}
_NUMBER_WORDS = {"zero": 0, "once": 1, "one": 1, "twice": 2, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                 "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
                 "sixteen": 16, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "hundred": 100,
                 "dozen": 12, "half": 0.5, "double": 2}
# times a point may name, each word as the time it means ("tonight" is the night): a draft that keeps the point keeps
# its time
_TIMES = {w: w for w in ("morning", "afternoon", "evening", "night", "midnight", "noon", "dawn", "weekend", "monday",
                         "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "daily", "weekly",
                         "monthly", "yearly", "spring", "summer", "autumn", "winter")}
_TIMES |= {"mornings": "morning", "evenings": "evening", "nights": "night", "tonight": "night", "overnight": "night",
           "weekends": "weekend", "fall": "autumn", "mondays": "monday", "tuesdays": "tuesday",
           "wednesdays": "wednesday", "thursdays": "thursday", "fridays": "friday", "saturdays": "saturday",
           "sundays": "sunday"}
KEEP_THRESHOLD = 0.5  # the weighted share of a point's content words a window must hold to keep it
WINDOW = 3  # sentences a point may be spread over


@dataclass(frozen=True)
class _Profile:
    stems: dict[str, float]  # content stem -> weight
    numbers: frozenset[float]
    negated: bool
    plain: str  # the point's words, contractions spelled out, between spaces: " do not rush the first week "
    times: frozenset[str]  # the times of day or week it names: a fact a paraphrase must keep


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def _numbers(words: list[str]) -> frozenset[float]:
    out = set()
    for w in words:
        if w.isdigit():
            out.add(float(w))
        elif w in _NUMBER_WORDS:
            out.add(float(_NUMBER_WORDS[w]))
    return frozenset(out)


@lru_cache(maxsize=65536)
def _content_stem(word: str) -> str | None:
    """The stem a content word counts as; None for a stop word or a number."""
    if word in STOPWORDS or word.isdigit() or word in _NUMBER_WORDS or len(word) < 2:
        return None
    return stem(word)


def _content(words: list[str]) -> list[str]:
    return [s for s in map(_content_stem, words) if s is not None]


@lru_cache(maxsize=4096)
def _profiles(title: str, points: tuple[str, ...]) -> tuple[_Profile, ...]:
    """Each point's content stems, weighted: a stem the title or another point also has tells less (0.5)."""
    title_stems = _point(title)[0]
    per_point = [_point(p) for p in points]
    out = []
    for n, (stems, numbers, negated, plain) in enumerate(per_point):
        others = title_stems.union(*(s for m, (s, *_) in enumerate(per_point) if m != n))
        out.append(_Profile({s: 0.5 if s in others else 1.0 for s in stems}, numbers, negated, plain,
                            frozenset(_TIMES[w] for w in _words(points[n]) if w in _TIMES)))
    return tuple(out)


@lru_cache(maxsize=16384)
def _point(text: str) -> tuple[frozenset[str], frozenset[float], bool, str]:
    """A point's (or a title's) content stems, numbers, negation and spelled-out words: the same points come back
    in many briefs."""
    words = _words(text)
    return (frozenset(_content(words)), _numbers(words), any(w in NEGATIONS for w in words), _spelled_out(words))


_SENTENCE_CUT = re.compile(r"[.!?]+(?=\s|$)|\n[ \t]*\n")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_TO_SPACE = {c: " " for c in [*range(128), *map(ord, "“”‘—–…«»")] if not (chr(c).isalnum() or chr(c) == "'")}


def _body(text: str) -> str:
    """The text's body in lower case, without its title and headings: a point that only a heading names is not
    kept (a heading announces what the section says; it says nothing)."""
    low = text.lower().replace("\u2019", "'").replace("\r\n", "\n").strip()
    if low.startswith("# "):  # the title: up to the first blank line
        cut = _BLANK_LINE.search(low)
        low = low[cut.end():] if cut else ""
    if "#" in low:
        low = "\n\n".join(b for b in _BLANK_LINE.split(low) if not b.lstrip().startswith("#"))
    return low


def _sentences_of(body: str) -> list[list[str]]:
    """The words of each sentence of a body (a heading counts as one)."""
    out = []
    for sentence in _SENTENCE_CUT.split(body):
        words = sentence.translate(_TO_SPACE).replace(" '", " ").replace("' ", " ").split()
        if words:
            out.append(words)
    return out


@lru_cache(maxsize=1)
def _contraction() -> tuple[re.Pattern, dict[str, str]]:
    from writebot.text.rule_language import EXPANDED

    table = {short.lower(): long.lower() for short, long in EXPANDED.items()}
    return re.compile(r"[a-z]+'[a-z]+"), table


def _spelled_out(words: list[str]) -> str:
    """Words between spaces, contractions spelled out: a point is in a text word for word when its form is in the
    text's."""
    return _expand(" " + " ".join(words) + " ")


def _expand(plain: str) -> str:
    if "'" not in plain:
        return plain
    pattern, table = _contraction()
    return pattern.sub(lambda m: table.get(m.group(0), m.group(0)), plain)


@lru_cache(maxsize=8192)
def judge_offline(title: str, points: tuple[str, ...], text: str) -> tuple[str, ...]:
    """The offline verdicts, one per point: kept when a window of up to WINDOW sentences holds KEEP_THRESHOLD of
    its weighted content words; contradicted when that window gives other numbers, or drops the point's negation
    ("Do not spray degreaser near the pads" -> "Spray degreaser on the pads"); else dropped."""
    body = _body(text)
    raw = " " + " ".join(body.translate(_TO_SPACE).replace(" '", " ").replace("' ", " ").split()) + " "
    plain = None
    found: list[list[str]] | None = None
    verdicts = []
    for profile in _profiles(title, points):
        if profile.plain in raw or profile.plain in (plain := plain or _expand(raw)):  # word for word: at once
            verdicts.append(KEPT)
            continue
        if found is None:
            found = _sentences_of(body)
            stems = [set(_content(s)) for s in found]
        verdicts.append(_verdict(profile, found, stems))
    return tuple(verdicts)


def _verdict(profile: _Profile, found: list[list[str]], stems: list[set[str]]) -> str:
    total = sum(profile.stems.values())
    if not total:
        return KEPT if not profile.numbers or any(profile.numbers & _numbers(s) for s in found) else DROPPED
    # where each stem stands, as a bit per sentence; a window is a run of at most WINDOW bits
    masks = [(w, sum(1 << k for k, sentence in enumerate(stems) if stem in sentence))
             for stem, w in profile.stems.items()]
    present = 0
    for _, mask in masks:
        present |= mask
    holding = []  # the windows that hold enough of the point's words, best first; each starts and ends on its words
    for start in (k for k in range(len(stems)) if present >> k & 1):
        for end in (e for e in range(start + 1, min(start + WINDOW, len(stems)) + 1) if present >> (e - 1) & 1):
            window = ((1 << end) - 1) ^ ((1 << start) - 1)
            score = sum(w for w, mask in masks if mask & window) / total
            if score >= KEEP_THRESHOLD:
                holding.append((-score, start, end))
    if not holding:
        return DROPPED
    # a point told over several sentences is kept when any window that holds it also keeps its facts: its numbers,
    # its negation, its time of day or week (one window missing them is no contradiction)
    verdict = CONTRADICTED
    for _, start, end in sorted(holding):
        window = [w for sentence in found[start:end] for w in sentence]
        verdict = min(verdict, _facts(profile, window), key=_FACT_ORDER.index)
        if verdict == KEPT:
            break
    return verdict


_FACT_ORDER = (KEPT, DROPPED, CONTRADICTED)


def _facts(profile: _Profile, window: list[str]) -> str:
    """What a window that holds a point's words does with its facts: kept; contradicted (other numbers, the
    negation gone, another time); dropped (the point's time left out: "the night before" -> "just before")."""
    given = _numbers(window)
    if profile.numbers and given and not profile.numbers & given:
        return CONTRADICTED
    if profile.negated and not any(w in NEGATING for w in window):
        return CONTRADICTED
    if profile.times:
        said = {_TIMES[w] for w in window if w in _TIMES}
        if not profile.times & said:
            return CONTRADICTED if said else DROPPED
    return KEPT


class OfflineJudge:
    """The default judge: deterministic and instant, from the text alone. It cannot tell an invented claim from a
    transition (its `added` is None), and heavy paraphrase looks like loss to it (bench/faithfulness.py measures
    both)."""

    name = "rules"
    point_noise = 0.05  # bench/faithfulness.py: kept points it calls lost on light edits
    claims_noise = 0.0

    def judge(self, topic: Topic, text: str) -> Judgement:
        return Judgement(judge_offline(topic.title, topic.points, text), None, self.name)

    async def ajudge(self, topic: Topic, text: str) -> Judgement:
        return self.judge(topic, text)

    async def aclose(self) -> None:
        pass


# -- the Claude judge -------------------------------------------------------------------------------------------
def judge_schema(count: int) -> dict:
    """The JSON schema of the judge's answer (structured outputs: `output_config.format`,
    https://platform.claude.com/docs/en/build-with-claude/structured-outputs, "JSON Schema limitations"). Every
    object is closed with `additionalProperties: false`. The bounds the feature takes: a point's number is one of
    1..count (`enum`: numeric limits such as minimum and maximum are not supported), and there is at least one
    verdict (`minItems` 1: only 0 or 1 is, and `maxItems` is not; parse_answer asks for exactly one per point)."""
    point = {"type": "object", "additionalProperties": False, "required": ["point", "verdict", "evidence"],
             "properties": {"point": {"type": "integer", "enum": list(range(1, count + 1)),
                                      "description": f"the point's number, 1 to {count}"},
                            "verdict": {"type": "string", "enum": list(VERDICTS)},
                            "evidence": {"type": "string", "description": "the post's sentences that keep or "
                                         "contradict the point, copied exactly; they may span paragraphs"}}}
    return {"type": "object", "additionalProperties": False, "required": ["points", "added"],
            "properties": {"points": {"type": "array", "items": point, "minItems": 1,
                                      "description": f"one verdict per point, {count} in all"},
                           "added": {"type": "array", "items": {"type": "string"}}}}


def parse_answer(text: str, count: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(verdicts in the brief's order, added claims) from the judge's JSON; ValueError saying what is wrong."""
    import json

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the answer is not JSON ({exc.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("points"), list) or not isinstance(data.get("added"),
                                                                                                   list):
        raise ValueError("the answer lacks its points or added list")
    verdicts: dict[int, str] = {}
    for item in data["points"]:
        if not isinstance(item, dict) or item.get("verdict") not in VERDICTS or not isinstance(item.get("point"), int):
            raise ValueError(f"a point entry is not of the schema: {item!r}"[:200])
        verdicts[item["point"]] = item["verdict"]
    if sorted(verdicts) != list(range(1, count + 1)):
        raise ValueError(f"verdicts for points {sorted(verdicts)}, the brief has 1 to {count}")
    added = tuple(dict.fromkeys(str(a).strip() for a in data["added"] if str(a).strip()))
    return tuple(verdicts[n] for n in range(1, count + 1)), added


class ClaudeJudge:
    """Claude reads the brief and the text and answers per point, structured (JSON outputs), and lists the claims
    the text adds. A small model by default; the instructions are one cached system block, the same for every
    call; calls go through the run's LLM plumbing (usage, cost, budget, cassettes)."""

    point_noise = 0.05  # not measured on a live model here: the share of points a careful reader may misjudge
    claims_noise = 0.5  # per draft: an aside counted as a claim, or a claim missed

    def __init__(self, llm):
        self.llm = llm
        self.name = f"claude:{llm.model}"

    def request(self, topic: Topic, text: str) -> dict:
        from writebot.claude.models import settings
        from writebot.claude.prompts import render

        points = "\n".join(f"{n}. {p}" for n, p in enumerate(topic.points, 1))
        config = settings(self.llm.model, "judge", self.llm.effort).get("output_config", {})
        answer = {"type": "json_schema", "schema": judge_schema(len(topic.points))}
        return {"system": [{"type": "text", "text": render("judge_system"), "cache_control": {"type": "ephemeral"}}],
                "messages": [{"role": "user", "content": render(
                    "judge_request", title=topic.title, audience=topic.audience or "general readers", points=points,
                    post=text.strip(), count=len(topic.points))}],
                "output_config": {**config, "format": answer}}

    async def ajudge(self, topic: Topic, text: str) -> Judgement:
        from writebot.claude.llm import text_of

        def problem(response: dict) -> str | None:
            try:
                parse_answer(text_of(response), len(topic.points))
            except ValueError as exc:
                return str(exc)
            return None

        if not topic.points:
            return Judgement((), (), self.name)
        response = await self.llm.complete("judge", self.request(topic, text), check=problem)
        verdicts, added = parse_answer(text_of(response), len(topic.points))
        return Judgement(verdicts, added, self.name)

    def judge(self, topic: Topic, text: str) -> Judgement:
        return self.llm.run(self.ajudge(topic, text))

    async def aclose(self) -> None:
        await self.llm.aclose()
