"""Consistency checks of a pipeline's STYLE.md (docs/FORMATS.md §5): rules that contradict each other, rules that
fired on none of the recorded drafts, notes that repeat a rule or a note, example posts a rule would change, a guide
over its budget, a rule of every post that only one kind's edits ask for.

`writebot lint PIPELINE` prints these; the trainer and the workbench run the same check on every proposed update
and keep the findings in its record; the Claude engine sends a proposal with contradictions back once.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from writebot import defaults
from writebot.text.directives import parse_feedback
from writebot.text.english import content_stems
from writebot.text.hygiene import repair, shown_cost
from writebot.text.kinds import example_kind, one_kind
from writebot.text.pipeline import KIND_SECTION, STYLE, Pipeline, Style, changed_runs, without_comments
from writebot.text.post import normalize
from writebot.text.rule_language import Rule, contradicts, parse_rule, slot, slot_name, undoes
from writebot.text.topics import Topic

CONTRADICTION, DEAD, REPEATED_NOTE, OVER_BUDGET = "contradiction", "dead rule", "note repeats a rule", "over budget"
DUPLICATE_NOTE = "note repeats a note"
EXAMPLE = "example"
UNUSED_KIND = "section for no kind"
ONE_KIND = "one kind's rule"
PROSE = "against the prose"
SAME_NOTE = 85  # rapidfuzz token_sort_ratio from which two notes say the same thing in other words
# content words two notes share from which they make the same complaint, and the share of the shorter one's
# (data/notes/young-children.yaml: paraphrases share 5 to 8, different complaints at most 1)
SAME_WORDS, SAME_SHARE = 4, 0.5


@dataclass(frozen=True)
class Finding:
    kind: str
    line: int  # in STYLE.md, 1-based; 0: the whole file
    message: str

    def __str__(self) -> str:
        return f"{STYLE}:{self.line}: {self.kind}: {self.message}"


@dataclass(frozen=True)
class Source:
    """A text a rule may fire on. followed None: the writer's text before any rule (the offline writer's base), so
    the rules apply to it in order. Otherwise a draft written by a version whose rule lines were `followed`: the
    other rules are each tried on it alone (a rule the draft's version already had tells nothing)."""

    text: str
    followed: frozenset[str] | None = None
    truth: str | None = None  # what the user made of the topic's draft: the check of one kind's rules reads it
    kind: str | None = None  # the topic's kind of post
    topic: str = ""  # the topic's id: a topic's texts count as one post


@dataclass(frozen=True)
class _Line:
    number: int
    text: str
    rule: Rule | None


def _section_lines(style: str) -> dict[str, list[_Line]]:
    """The list items of the Rules and Notes sections, and of each `## Rules for <kind>` section (keyed "for
    <kind>"; docs/FORMATS.md §11), with their line numbers."""
    sections: dict[str, list[_Line]] = {"rules": [], "notes": []}
    current = None
    for number, line in enumerate(style.splitlines(), 1):
        if line.startswith("## "):
            name = line[3:].strip().lower()
            kind = KIND_SECTION.fullmatch(name)
            current = f"for {kind[1].strip()}" if kind else name if name in sections else None
            if kind:
                sections.setdefault(current, [])
        elif current and line.startswith(("- ", "* ")):
            text = line[2:].strip()
            sections[current].append(_Line(number, text, parse_rule(text) if current != "notes" else None))
    return sections


def lint(pipeline: Pipeline, sources: Iterable[Source] | None = None, budget: int = defaults.STYLE_BUDGET,
         kinds: Iterable[str] | None = None) -> list[Finding]:
    """Every finding on the pipeline's STYLE.md; the dead-rule check runs only when `sources` are given, and the
    check for a section of a kind nothing has only when the topics' `kinds` are."""
    style = pipeline.files.get(STYLE, "")
    sections = _section_lines(style)
    rules = [line for line in sections["rules"] if line.rule is not None]
    findings = contradictions(rules)
    findings += kind_sections(sections, pipeline, kinds)
    by_kind = {key[4:]: [line for line in lines if line.rule is not None] for key, lines in sections.items()
               if key.startswith("for ")}
    if sources is not None:
        sources = list(sources)
        findings += dead_rules(rules, sources)
        findings += one_kind_rules(rules, sources, by_kind)
    findings += against_prose(style, [line for key, lines in sections.items() if key != "notes" for line in lines]
                              + sections["notes"])
    findings += repeated_notes(rules, sections["notes"])
    findings += examples_against(rules, pipeline.examples, by_kind)
    size = len(without_comments(style))
    if size > budget:
        findings.append(Finding(OVER_BUDGET, 0, f"{size} characters (comments left out), over the budget of "
                                                f"{budget}; merge or drop rules"))
    return sorted(findings, key=lambda f: (f.line, f.kind))


def kind_sections(sections: dict[str, list[_Line]], pipeline: Pipeline,
                  kinds: Iterable[str] | None) -> list[Finding]:
    """docs/FORMATS.md §11: two rules of one kind's section that decide one thing; a section for a kind that no
    topic and no example has (when the topics' kinds are known). A kind's rule that decides what a general rule
    decides is no finding: the section says whose posts it is for, and it comes after the general rules and wins."""
    out: list[Finding] = []
    known = None if kinds is None else set(kinds) | {k for p in pipeline.examples if (k := example_kind(p))}
    for key, lines in sections.items():
        if not key.startswith("for "):
            continue
        kind = key[4:]
        out += [Finding(f.kind, f.line, f"in '## Rules for {kind}': {f.message}")
                for f in contradictions([line for line in lines if line.rule is not None])]
        if known is not None and kind not in known and lines:
            out.append(Finding(UNUSED_KIND, lines[0].number, f"'## Rules for {kind}': no topic and no example is of "
                                                             f"kind {kind!r}; fix the kind's name or drop the section"))
    return out


def contradictions(rules: list[_Line]) -> list[Finding]:
    out = []
    for i, later in enumerate(rules):
        for earlier in rules[:i]:
            taken_back = undoes(later.rule, earlier.rule) or undoes(earlier.rule, later.rule)
            if contradicts(earlier.rule, later.rule) or taken_back:
                same = slot(earlier.rule) is not None and slot(earlier.rule) == slot(later.rule)
                what = (f"{slot_name(later.rule)} decided twice" if same
                        else "a replacement and its reverse undo each other" if not taken_back
                        else "one replacement writes back, in one context, what the other changes")
                out.append(Finding(CONTRADICTION, later.number, f"{what}: {later.text!r} and line {earlier.number} "
                                                                f"{earlier.text!r}; keep one"))
                break
    return out


def dead_rules(rules: list[_Line], sources: list[Source]) -> list[Finding]:
    """Rules that changed none of the texts they were tried on (a rule tried on none is not judged)."""
    tried: dict[int, int] = {}
    fired = set()
    for source in sources:
        if len(fired) == len(rules):
            break  # every rule fired somewhere: nothing is dead
        text = source.text
        for line in rules:
            if source.followed is None:
                after = line.rule.apply(text)
                tried[line.number] = tried.get(line.number, 0) + 1
                if after != text:
                    fired.add(line.number)
                text = after
            elif line.text not in source.followed:
                tried[line.number] = tried.get(line.number, 0) + 1
                if line.rule.apply(source.text) != source.text:
                    fired.add(line.number)
    base = bool(sources) and sources[0].followed is None
    return [Finding(DEAD, line.number, f"{line.text!r} changes nothing in " + (
        f"the drafts of any of the {tried[line.number]} recorded topics" if base else
        f"any of the {tried[line.number]} recorded drafts written without it") + "; drop it or say what it means")
            for line in rules if line.number in tried and line.number not in fired]


def one_kind_rules(rules: list[_Line], sources: list[Source],
                   by_kind: dict[str, list[_Line]] | None = None) -> list[Finding]:
    """General rules that only one kind's edits support (docs/FORMATS.md §11): on the sources with a ground truth,
    the rule lowers the words the user edits on that kind's posts, and the posts of the other kinds plainly do not
    want it (the rules learner's own test, text/kinds.one_kind). Per source, the cost of what the writer applies to
    a post of its kind (the general rules, then the kind's section) against the same without the rule: on the
    offline writer's base text, all of them in order; on a draft, a rule its version did not follow, tried alone (a
    rule the draft already followed tells nothing). A general rule every other kind's section overrides is no
    finding: it changes nothing there."""
    judged = [s for s in sources if s.truth is not None]
    if len({s.kind for s in judged}) < 2:
        return []
    gains: dict[int, dict[tuple[str | None, str], int]] = {}  # rule line -> (kind, topic) -> words saved
    for source in judged:
        if source.followed is None:
            own = tuple(line.rule for line in (by_kind or {}).get(source.kind or "", []))
            saved = _saved_in_order(source.text, source.truth, tuple(line.rule for line in rules), own)
        else:
            saved = [0 if line.text in source.followed else _saved_alone(source.text, source.truth, line.rule)
                     for line in rules]
        for line, words in zip(rules, saved, strict=True):
            per_post = gains.setdefault(line.number, {})
            per_post[(source.kind, source.topic)] = per_post.get((source.kind, source.topic), 0) + words
    out = []
    for line in rules:
        spreads: dict[str | None, tuple[int, int]] = {}
        for (kind, _), saved in gains.get(line.number, {}).items():
            helped, hurt = spreads.get(kind, (0, 0))
            spreads[kind] = (helped + (saved > 0), hurt + (saved < 0))
        kind = one_kind(spreads)
        if kind is not None:
            others = sum(h for k, (_, h) in spreads.items() if k != kind)
            out.append(Finding(ONE_KIND, line.number, f"{line.text!r} is a rule of every post, but only the {kind} "
                                                      f"posts' edits ask for it (it helps {spreads[kind][0]} of them; "
                                                      f"the other kinds' edits undo it on {others} posts); move it "
                                                      f"to '## Rules for {kind}'"))
    return out


@functools.lru_cache(maxsize=1)
def _qualities() -> tuple[re.Pattern, dict[str, tuple[re.Pattern, str | None]]]:
    """text/qualities.yaml: a pattern for a negation, and per quality a pattern for its words and its opposite."""
    from importlib import resources

    import yaml

    data = yaml.safe_load(resources.files("writebot.text").joinpath("qualities.yaml").read_text("utf-8"))

    def words(items: list[str]) -> str:
        return "|".join(re.escape(w) for w in sorted(items, key=len, reverse=True))

    negation = re.compile(rf"\b(?:{words(data['negations'])})\b(?:\W+\w+){{0,2}}?\W+$", re.I)
    return negation, {name: (re.compile(rf"(?<![\w-])(?:{words(q['words'])})(?![\w-])", re.I), q.get("opposite"))
                      for name, q in data["qualities"].items()}


def _asks(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """The qualities a text asks for and those it denies, each with the words that say so."""
    negation, qualities = _qualities()
    asked, denied = {}, {}
    for name, (pattern, _) in qualities.items():
        for found in pattern.finditer(text):
            clause = re.split(r"[.;:!?]|\bbut\b", text[:found.start()])[-1]
            said = (clause.strip().split() or [""])[-3:]
            target = denied if negation.search(clause + " ") else asked
            target.setdefault(name, " ".join([*said, found[0]]).strip())
    return asked, denied


def against_prose(style: str, lines: list[_Line]) -> list[Finding]:
    """A rule or note that denies a quality the guide's opening prose asks of every post ("keeps a friendly,
    encouraging tone" beside "No pep talk."), or asks for its opposite (text/qualities.yaml): the writer reads both
    and they tell it two things. Change the prose, or drop the line."""
    asked, _ = _asks(without_comments(Style.parse(style).prose))
    if not asked:
        return []
    _, qualities = _qualities()
    out = []
    for line in lines:
        wants, denies = _asks(line.text)
        clash = [(q, f"it says no to {q}") for q in denies if q in asked]
        clash += [(a, f"it asks for {q}") for q in wants for a in asked
                  if q == qualities[a][1] or qualities[q][1] == a]  # its opposite, either way round
        if clash:
            quality, how = clash[0]
            out.append(Finding(PROSE, line.number, f"{line.text!r}: {how}, and the guide's opening prose asks for "
                                                   f"{quality} ({asked[quality]!r}); change the prose or drop the "
                                                   "line"))
    return out


def _cost(text: str, truth: str) -> int:
    return shown_cost(text, truth.split())


@functools.lru_cache(maxsize=4096)  # the gate lints every round's proposal; most rounds leave the rules as they were
def _saved_in_order(base: str, truth: str, general: tuple[Rule, ...], own: tuple[Rule, ...]) -> tuple[int, ...]:
    """Per general rule, the words the user edits without it minus with it, where the writer applies `general` then
    the post's kind's `own` rules to `base`, in order."""
    applied = general + own
    texts = [base]  # texts[i]: the base text after the first i rules
    for rule in applied:
        texts.append(rule.apply(texts[-1]))
    with_all = _cost(texts[-1], truth)
    out = []
    for i in range(len(general)):
        without = texts[i]
        if texts[i + 1] != without:  # a rule that changes nothing where it stands saves nothing
            for later in applied[i + 1:]:
                without = later.apply(without)
        out.append(_cost(without, truth) - with_all if without != texts[-1] else 0)
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def _saved_alone(draft: str, truth: str, rule: Rule) -> int:
    after = rule.apply(draft)
    return 0 if after == draft else _cost(draft, truth) - _cost(after, truth)


_QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”')


def repeats(note: str, rules: list[Rule]) -> Rule | None:
    """The rule a note says again: the same rule in words the rules engine reads, or a note whose quoted phrases
    ("In my opinion") all stand in one rule's line."""
    for said in [parse_rule(note), *parse_feedback(note)]:
        if said in rules:
            return said
    phrases = [(a or b).strip().lower() for a, b in _QUOTED.findall(note)]
    phrases = [p for p in phrases if p]
    if phrases:
        for rule in rules:
            line = rule.to_line().lower()
            if all(p in line for p in phrases):
                return rule
    return None


def claude_only(pipeline: Pipeline) -> list[str]:
    """The rule lines in none of the phrasings the offline engine acts on (prompts/rule_phrasings.md): Claude follows
    them, the rules engine does not. Not a finding; `writebot lint` lists them so none is ignored in silence."""
    lines = _section_lines(pipeline.files.get(STYLE, ""))["rules"]
    return [f"{STYLE}:{line.number}: followed by Claude only (the offline engine acts on the phrasings of "
            f"writebot/claude/prompts/rule_phrasings.md): {line.text!r}" for line in lines if line.rule is None]


def examples_against(rules: list[_Line], examples: dict[str, str],
                     by_kind: dict[str, list[_Line]] | None = None) -> list[Finding]:
    """An example post the guide would change (its rules applied in order, as the writer applies them; an example
    of a kind, the general rules then its kind's, docs/FORMATS.md §11): the bot reads both, and they tell it two
    things. The finding is each rule that changed it."""
    out = []
    for path, text in examples.items():
        post = normalize(text)
        changed, current = [], post
        for line in rules + (by_kind or {}).get(example_kind(path) or "", []):
            after = line.rule.apply(current)
            if after != current:
                changed.append((line, _first_change(current, after)))
            current = after
        if repair(current) != post:  # what the rule would write says what it means offline (title case: "When to")
            out += [Finding(EXAMPLE, line.number, f"{path} does not follow {line.text!r} ({was!r} would be {now!r}); "
                                                  "apply the rule to the example (or change the rule)")
                    for line, (was, now) in changed]
    return out


def _first_change(before: str, after: str) -> tuple[str, str]:
    """The first line a rule changes, before and after (a removed line: after is "")."""
    old, new = before.splitlines(), after.splitlines()
    for _, i1, i2, j1, j2 in changed_runs(old, new)[:1]:
        return (old[i1] if i1 < i2 else ""), (new[j1] if j1 < j2 else "")
    return before, after


def same_note(a: str, b: str) -> bool:
    """Two notes that say the same thing: in nearly the same words ("Make it more playful and talk to the kids
    directly." and "Make it more playful and speak to kids directly!"), or the same complaint in other words, at
    least SAME_WORDS content words in common, half of the shorter note's ("still a plain grown-up guide, not a
    little story for young children" and "reads like a guide for grown-ups; tell it as a little story for young
    children"): the guide keeps one."""
    if fuzz.token_sort_ratio(a, b, processor=default_process) >= SAME_NOTE:
        return True
    first, second = content_stems(a), content_stems(b)
    shared = len(first & second)
    return shared >= SAME_WORDS and shared >= SAME_SHARE * min(len(first), len(second))


def merge_notes(notes: Iterable[str]) -> list[str]:
    """The notes with each one that says what an earlier note says merged into it (the earlier wording stays)."""
    out: list[str] = []
    for note in notes:
        if not any(same_note(note, kept) for kept in out):
            out.append(note)
    return out


def repeated_notes(rules: list[_Line], notes: list[_Line]) -> list[Finding]:
    out = []
    for n, note in enumerate(notes):
        earlier = next((e for e in notes[:n] if same_note(note.text, e.text)), None)
        if earlier is not None:
            out.append(Finding(DUPLICATE_NOTE, note.number, f"{note.text!r} says what line {earlier.number} "
                                                            f"{earlier.text!r} says; merge them"))
            continue
        said = repeats(note.text, [line.rule for line in rules])
        if said is not None:
            line = next(x for x in rules if x.rule == said)
            out.append(Finding(REPEATED_NOTE, note.number, f"{note.text!r} says what line {line.number} "
                                                           f"{line.text!r} says; drop the note"))
    return out


class Reviewed(Protocol):
    """What the dead-rule check reads of a reviewed draft (a writebot.store.formats.DraftRecord)."""

    epoch: int
    topic_id: str
    topic: dict
    draft: str
    ground_truth: str
    kind: str | None


def run_sources(records: list[Reviewed], version_rules: Callable[[int], Iterable[str]],
                base_text: Callable[[Topic], str] | None) -> list[Source]:
    """The texts a run's recorded drafts give the dead-rule check: with the offline writer, its base text for each
    recorded topic; with a model, each draft and the rules of the version that wrote it."""
    if base_text is not None:
        latest = {r.topic_id: r for r in records}
        return [Source(base_text(Topic.from_dict(r.topic)), None, r.ground_truth, r.kind, r.topic_id)
                for r in latest.values()]
    followed: dict[int, frozenset[str]] = {}
    out = []
    for r in records:
        if r.epoch not in followed:
            followed[r.epoch] = frozenset(version_rules(r.epoch))
        out.append(Source(r.draft, followed[r.epoch], r.ground_truth, r.kind, r.topic_id))
    return out
