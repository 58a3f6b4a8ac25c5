"""The embedded offline engine: a deterministic writer steered by STYLE.md's rules, and a rule-mining optimizer.

Writing: a topic brief becomes a post in the engine's own base voice (rules_voice.yaml), then STYLE.md's rules are
applied in order. Updating: from (draft, feedback, ground truth) evidence only, candidate rules are mined from typed
edit spans and directive feedback, and each is kept only if it lowers the total word edit cost over all pairs.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from functools import lru_cache
from importlib import resources

import yaml

from writebot import defaults
from writebot.compare.changes import analyse
from writebot.engines.base import Evidence, GateKind, Update
from writebot.engines.firings import MIN_CONFIRMED, Firings, firings
from writebot.engines.mining import Pool, mine, split_candidates
from writebot.engines.selection import Selector, Spread, variants
from writebot.text.directives import parse_feedback
from writebot.text.english import keeps_capital, lexicon, starts_clause
from writebot.text.hygiene import repair
from writebot.text.lint import merge_notes, repeats, same_note
from writebot.text.pipeline import Pipeline, Style, without_comments
from writebot.text.post import Post, is_heading, normalize
from writebot.text.rule_language import (
    DropSentencesWith,
    Replace,
    Rule,
    apply_rules,
    contradicts,
    parse_rule,
    slot,
    slot_name,
    subsumes,
    undoes,
)
from writebot.text.topics import Topic
from writebot.users import Persona

MAX_ROUNDS = 4
MAX_NOTES = 20
MAX_CANDIDATES = 60  # per round, best supported first


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


@lru_cache(maxsize=64)
def _rules_in(style_text: str) -> list[Rule]:
    return Style.parse(style_text).parsed_rules()


def style_rules(pipeline: Pipeline) -> list[Rule]:
    return _rules_in(pipeline.files["STYLE.md"])


class RulesEngine:
    """Offline writer + optimizer (the Engine contract, engines/base.py). learner: mine (rule mining) | none |
    append-feedback (baselines)."""

    model = "rules-v1"
    gate = GateKind.IMMEDIATE  # re-drafting costs nothing here
    abilities = frozenset({"revise", "init"})  # engines/base.ABILITIES; no Message Batches offline

    def __init__(self, learner: str = "mine", name: str = "rules", persona: Persona | None = None,
                 style_budget: int = defaults.STYLE_BUDGET):
        if learner not in ("mine", "none", "append-feedback", "oracle"):
            raise ValueError(f"unknown learner {learner!r}")
        if (learner == "oracle") != (persona is not None):
            raise ValueError("the oracle, and only the oracle, reads the persona")
        self.learner = learner
        self.name = name
        self._persona = persona
        self.style_budget = style_budget

    def write(self, pipeline: Pipeline, topic: Topic) -> str:
        """The base text (in the examples' shape) with STYLE.md's rules applied in order, then mended
        (writebot.text.hygiene): any rule set leaves a well-formed post."""
        return repair(apply_rules(skeleton(topic, sections_of(pipeline)), style_rules(pipeline)))

    async def awrite(self, pipeline: Pipeline, topic: Topic) -> str:
        return self.write(pipeline, topic)

    def written_by(self, pipeline: Pipeline, topic: Topic) -> str:
        return self.model

    def update(self, pipeline: Pipeline, evidence: list[Evidence], history: list[dict] | None = None) -> Update:
        """history is not used: the rules learner re-derives everything from the evidence."""
        if self.learner == "none":
            return Update(pipeline, "no learning (baseline)")
        if self.learner == "append-feedback":
            return _append_feedback(pipeline, evidence, self.style_budget)
        if self.learner == "oracle":
            return oracle(pipeline, self._persona, self.style_budget)
        return learn(pipeline, evidence, self.style_budget)

    def revise(self, draft: str, feedback: str) -> str:
        """The rules the feedback states ("say X, not Y", "no exclamation marks", ...) applied to the draft."""
        rules = [r for r in parse_feedback(feedback) if r.kind != "max_sentence_words"]
        return repair(apply_rules(normalize(draft), rules))

    def new_pipeline(self, description: str, examples: dict[str, str]) -> tuple[Pipeline, str]:
        """The description becomes STYLE.md's prose; rules are mined from what the examples agree on."""
        from writebot.engines.new_pipeline import init_rules

        return init_rules(description, examples)

    async def aclose(self) -> None:
        pass


def _append_feedback(pipeline: Pipeline, evidence: list[Evidence], budget: int = defaults.STYLE_BUDGET) -> Update:
    style = pipeline.style
    new = [c for c in dict.fromkeys(c for e in evidence for c in e.feedback) if c not in style.rules]
    updated, left_out = within_budget(Style(style.prose, style.rules + tuple(new), style.notes, style.tail), budget,
                                      droppable=list(style.rules + tuple(new)))
    return Update(pipeline.with_style(updated), f"appended {len(new)} feedback comments to the rules (baseline)"
                  + _said_left_out(left_out, budget), left_out, budget=budget_note(left_out, budget))


def within_budget(style: Style, budget: int, droppable: list[str],
                  loss: Callable[[str], int] | None = None) -> tuple[Style, list[dict]]:
    """STYLE.md within its budget (characters, comments left out; docs/FORMATS.md §5): the oldest notes go first,
    then, of the `droppable` rule lines, the one whose loss costs the fewest words (`loss`; without it, the
    oldest). The prose and the lines the learner may not drop stay, so a guide whose prose alone is over its budget
    stays over it (lint says so). Returns the guide and a detail per line left out."""
    left_out, droppable = [], list(droppable)
    while len(without_comments(style.render())) > budget:
        if style.notes:
            left_out.append({"rule": style.notes[0], "action": "left out", "words_lost": 0,
                             "why": f"the oldest note; STYLE.md must fit in {budget} characters"})
            style = Style(style.prose, style.rules, style.notes[1:], style.tail)
            continue
        if not droppable:
            break
        # the fewest words saved per character of the guide it takes (a tie: the later rule; the older when no loss
        # is known)
        costs = [((loss(line) if loss else 0) / len(line), -i if loss else i, line) for i, line in enumerate(droppable)]
        _, _, line = min(costs)
        lost = loss(line) if loss else 0
        droppable.remove(line)
        left_out.append({"rule": line, "action": "left out", "words_lost": lost,
                         "why": f"the rule that saves the fewest words for its length; STYLE.md must fit in {budget} "
                                f"characters"})
        style = Style(style.prose, tuple(r for r in style.rules if r != line), style.notes, style.tail)
    return style, left_out


def _said_left_out(left_out: list[dict], budget: int) -> str:
    return "".join(f"; left out for STYLE.md's budget of {budget} characters: {d['rule']}" for d in left_out)


def budget_note(left_out: list[dict], budget: int) -> str | None:
    """The line the run prints when the learner held STYLE.md to its budget."""
    if not left_out:
        return None
    notes = sum(d["why"].startswith("the oldest note") for d in left_out)
    rules = len(left_out) - notes
    what = " and ".join(part for part in (f"{rules} rule{'s' * (rules != 1)}" if rules else "",
                                          f"{notes} note{'s' * (notes != 1)}" if notes else "") if part)
    return (f"STYLE.md held to its budget of {budget} characters (--style-budget): {what} left out, "
            f"the ones that save the fewest words for their length")


def oracle(pipeline: Pipeline, persona: Persona, budget: int = defaults.STYLE_BUDGET) -> Update:
    """PRELUDE's oracle preference: the persona's edits, every one of them (its skips and one-off edits are noise),
    as rules after the pipeline's own rules that they do not contradict; the best that rules can do."""
    style = pipeline.style
    wanted = [rule for rule, _ in persona.edits]
    keep = [line for line in style.rules
            if not any(contradicts(rule, other) for rule in [parse_rule(line)] if rule for other in wanted)]
    lines = tuple(dict.fromkeys([*keep, *(rule.to_line() for rule in wanted)]))
    updated, left_out = within_budget(Style(style.prose, lines, style.notes, style.tail), budget, list(lines))
    return Update(pipeline.with_style(updated), f"oracle: the {len(wanted)} edits of persona {persona.name!r} as "
                                                f"rules (it alone reads the persona)"
                                                + _said_left_out(left_out, budget), left_out,
                  budget=budget_note(left_out, budget))


def _feedback(evidence: list[Evidence], notes: list[str]) -> tuple[list[tuple[Rule, str, str]], dict[str, list]]:
    """The rules directive feedback asks for, as (rule, topic, topic@epoch), and the readings of each directive
    comment; comments that are no directive we know are appended to `notes`."""
    said, readings = [], {}
    for e in evidence:
        for comment in e.feedback:
            rules = parse_feedback(comment)
            said += [(rule, e.topic.id, f"{e.topic.id}@{e.epoch}") for rule in rules]
            if rules:
                readings[comment] = rules
            else:
                _note(notes, comment)
    return said, readings


def _note(notes: list[str], comment: str) -> None:
    """A comment as a note, unless a note already says the same (then it is merged into that one)."""
    if not any(same_note(comment, note) for note in notes):
        notes.append(comment)


def _describe(cand, action: str, saved: int) -> dict:
    return {"rule": cand.rule.to_line(), "action": action, "words_saved": saved, "support": cand.support,
            "topics": len(cand.topics), "source": cand.source, "provenance": cand.provenance}


def _supersedes(rule: Rule, replaced: list[Rule]) -> str:
    if all(subsumes(rule, r) for r in replaced):
        return f"the class rule covers {'that word swap' if len(replaced) == 1 else 'those word swaps'}"
    if all(slot(r) == slot(rule) for r in replaced):
        return f"both decide {slot_name(rule)}"
    return "a replacement and its reverse undo each other"


def _said(entry: dict) -> str:
    if entry["action"] == "replaced":
        return f"replaced {' and '.join(entry['replaces'])} with {entry['rule']} ({entry['why']})"
    return f"{entry['action']}: {entry['rule']}"


def _select(selector: Selector, evidence: list[Evidence], log: list[dict], tried: set[Rule],
            said: list[tuple[Rule, str, str]]) -> bool:
    """One round: mine the residual diffs of the current rules (plus the rules feedback `said`), try each new
    candidate; True if any was kept."""
    pool, bounds = Pool(), []
    outputs = selector.screen.outputs()
    sample = [evidence[i] for i in selector.index]
    truths = [e.ground_truth for e in sample]
    for e, out in zip(sample, outputs, strict=True):
        where = f"{e.topic.id}@{e.epoch}"
        lo, hi = mine(pool, analyse(out, e.ground_truth), e.topic.id, where)
        bounds.append((lo, hi, e.topic.id, where))
    split_candidates(pool, bounds)
    for rule, topic, where in said:
        pool.add(rule, topic, where, source="feedback")
    kept = False
    for cand in pool.ranked()[:MAX_CANDIDATES]:
        if cand.rule in selector.rules or cand.rule in tried:
            continue
        tried.add(cand.rule)
        taken_back = next((r for r in selector.rules if undoes(cand.rule, r)), None)
        if taken_back is not None:
            log.append({**_describe(cand, "rejected", 0),
                        "why": f"it writes back, in one context, what {taken_back.to_line()} changes: the user "
                               f"skipped that rule on some posts, they did not undo it"})
            continue
        before = selector.total
        # Word swaps are the most numerous candidates and rarely depend on order: try them at the end first
        # (one rule application per pair) and look further only if that already helps.
        probe = [*selector.rules, cand.rule] if cand.rule.kind == "replace" else None
        # a rule the user asked for in words needs no second post to show it; a rule read off the diffs does, and
        # must pay off on the posts it was not read off
        said_so = cand.source == "feedback"
        choice = selector.best(variants(selector.rules, cand.rule), probe, min_helped=1 if said_so else 2,
                               mined=frozenset() if said_so else frozenset(cand.topics))
        if choice is None:
            log.append(_describe(cand, "rejected", 0))
            continue
        found = firings(cand.rule, outputs, truths)
        share = found.share
        why = _unconfirmed(found)
        if why:
            log.append({**_describe(cand, "rejected", before - choice.cost), "why": why})
            continue
        replaced = [r for r in selector.rules if r not in choice.rules]
        selector.accept(choice.rules)
        outputs = selector.screen.outputs()
        entry = {**_describe(cand, "replaced" if replaced else "added", before - choice.cost),
                 "topics_helped": choice.spread.helped, "topics_hurt": choice.spread.hurt,
                 "held_out_words_saved": choice.spread.held_out,
                 "confirmed": round(share, 3)}
        if replaced:  # the guide decides each slot once: say what the new rule supersedes and why
            entry["replaces"] = [r.to_line() for r in replaced]
            entry["why"] = (f"{_supersedes(cand.rule, replaced)}; the user's edits ask for the new rule, which saves "
                            f"{before - choice.cost} words over all pairs")
        log.append(entry)
        kept = True
    return kept


def _unconfirmed(found: Firings) -> str | None:
    """Why the places a rule fires do not show the user's style (None when they do): the user wrote something
    else in some of them, or confirmed fewer than half (pieces of sentences the user rewrote as a whole confirm
    nothing, docs/FORMATS.md §6)."""
    if found.contradicted:
        return (f"the user wrote something else in {found.contradicted} of the {found.fired} places it changes: "
                "kept, it would write what they never did there")
    if found.share < MIN_CONFIRMED:
        pieces = (f"; {found.in_rewrites} are inside sentences the user rewrote as a whole, and a piece of a "
                  "rewrite is no word swap" if found.in_rewrites else "")
        return f"the user's edits confirm only {found.share:.0%} of the {found.fired} places it changes{pieces}"
    return None


def _collapse_chains(selector: Selector, log: list[dict]) -> None:
    """"A" -> "B" followed by "B" -> "C" says "A" -> "C" twice over: one rule takes the first one's place when the
    second is needed only for what the first produced."""
    for second in list(selector.rules):
        first = next((r for r in selector.rules if isinstance(r, Replace) and isinstance(second, Replace)
                      and r.new.lower() == second.old and r.whole_word == second.whole_word), None)
        if first is None or second not in selector.rules or selector.rules.index(first) > selector.rules.index(second):
            continue
        merged = Replace(first.old, second.new, first.whole_word)
        rules = [merged if r == first else r for r in selector.rules if r != second]
        if merged not in selector.rules and selector.no_worse(rules):
            selector.accept(rules)
            log.append({"rule": merged.to_line(), "action": "replaced", "words_saved": 0,
                        "replaces": [first.to_line(), second.to_line()],
                        "why": f"{second.to_line()} only rewrote what {first.to_line()} wrote: one rule says it"})


def _prune(selector: Selector, log: list[dict]) -> None:
    """Collapse replacement chains; drop rules that no longer help (e.g. a word swap a class rule now covers); merge
    drop rules into one."""
    _collapse_chains(selector, log)
    for rule in list(selector.rules):
        without = [r for r in selector.rules if r != rule]
        if selector.no_worse(without) and not _still_general(selector, without):
            log.append({"rule": rule.to_line(), "action": "removed", "words_saved": 0})
            selector.accept(without)
    drops = [r for r in selector.rules if isinstance(r, DropSentencesWith)]
    if len(drops) > 1:
        merged = DropSentencesWith(tuple(p for r in drops for p in r.phrases))
        for keep in (drops[-1], drops[0]):  # the merged rule takes the place of the last or the first one
            rules = [merged if r is keep else r for r in selector.rules if r is keep or r not in drops]
            if selector.no_worse(rules):
                selector.accept(rules)
                log.append({"rule": merged.to_line(), "action": "replaced", "words_saved": 0,
                            "replaces": [r.to_line() for r in drops],
                            "why": "one rule drops the sentences of all of them"})
                break


def _still_general(selector: Selector, without: list[Rule]) -> bool:
    """A rule whose gain the later rules took to nothing or below, but that still helps more posts than it hurts (a
    user who skips it now and then, on posts where it changes much): kept, as Spread.general kept it (the posts
    where the user acted tell more than those where they did not)."""
    selector.full.verify(without)
    spread = Spread.of(selector.full.pending_costs(), selector.full.costs, selector.keys)
    return spread.helped >= 2 and spread.helped > spread.hurt


def learn(pipeline: Pipeline, evidence: list[Evidence], budget: int = defaults.STYLE_BUDGET) -> Update:
    """The rules optimizer: mine, screen and keep rules that lower the total edit cost; record why."""
    style = pipeline.style
    parsed = [(line, parse_rule(line)) for line in style.rules]
    prose_lines = tuple(line for line, rule in parsed if rule is None)
    sections = sections_of(pipeline)
    selector = Selector([skeleton(e.topic, sections) for e in evidence], [e.ground_truth for e in evidence],
                        [rule for _, rule in parsed if rule is not None], [e.topic.id for e in evidence])
    start = selector.total
    log: list[dict] = []
    tried: set[Rule] = set()
    notes = merge_notes(style.notes)
    said, readings = _feedback(evidence, notes)
    for round_number in range(MAX_ROUNDS):  # feedback's rules are candidates in the first round only
        if not _select(selector, evidence, log, tried, said if round_number == 0 else []):
            break
    _prune(selector, log)
    for comment, rules in readings.items():  # a rule the edits do not show is a note, not a rule
        if not any(rule in selector.rules for rule in rules):
            _note(notes, comment)
    notes = [n for n in notes if repeats(n, selector.rules) is None]  # a note a rule now says is done with
    updated = Style(style.prose, tuple(r.to_line() for r in selector.rules) + prose_lines,
                    tuple(notes[-MAX_NOTES:]), style.tail)
    by_line = {r.to_line(): r for r in selector.rules}
    updated, left_out = within_budget(updated, budget, list(by_line), loss=lambda line: selector.full.cost_of(
        [r for r in selector.rules if r != by_line[line]]) - selector.total)
    selector.accept([r for r in selector.rules if r.to_line() in updated.rules])
    log += left_out
    proposal, followed = in_line(pipeline.with_style(updated), selector.rules)
    count, said = _net_changes(style.rules, [r.to_line() for r in selector.rules], log)
    new_notes = [n for n in updated.notes if n not in style.notes]
    gone_notes = [n for n in style.notes if n not in updated.notes]
    said += [f"note added: {n}" for n in new_notes] + [f"note merged or done with: {n}" for n in gone_notes]
    if new_notes or gone_notes:
        count += f"; {len(new_notes)} note{'s' * (len(new_notes) != 1)} added, {len(gone_notes)} removed"
    pairs = f"{len(evidence)} pair{'s' * (len(evidence) != 1)}"
    rationale = "; ".join([f"{count} over {pairs}; total word edit cost {start} -> {selector.total}",
                           *said, *([f"the examples follow the rules ({', '.join(followed)})"] if followed else [])])
    return Update(proposal, rationale + _said_left_out(left_out, budget), log, budget=budget_note(left_out, budget))


def _net_changes(before: tuple[str, ...], after: list[str], log: list[dict]) -> tuple[str, list[str]]:
    """What the update changes, as STYLE.md's diff shows it: the rules added and removed, each once, with the
    reason the log gives. A rule tried and taken back within the update is in the details, not here."""
    added = [line for line in after if line not in before]
    removed = [line for line in before if line not in after]
    said, told = [], {d["rule"] for d in log if d["action"] == "left out"}  # said apart, with the budget
    for entry in log:
        rule, action = entry["rule"], entry["action"]
        if rule in added and action in ("added", "replaced") and rule not in told:
            gone = [r for r in entry.get("replaces", ()) if r in removed and r not in told]
            said.append(_said({**entry, "replaces": gone, "action": "replaced" if gone else "added"}))
            told.update([rule, *gone])
        elif rule in removed and action == "removed" and rule not in told:
            said.append(f"removed: {rule} (no longer saves a word)")
            told.add(rule)
    said += [f"added: {r}" for r in added if r not in told] + [f"removed: {r}" for r in removed if r not in told]
    count = (f"{len(added)} rule{'s' * (len(added) != 1)} added, {len(removed)} removed" if added or removed
             else "no rule changes")
    return count, said


def in_line(pipeline: Pipeline, rules: list[Rule]) -> tuple[Pipeline, list[str]]:
    """The pipeline with its example posts brought in line with the rules (the bot reads both: an example that
    greets otherwise than the guide says shows it the wrong thing), and the examples changed."""
    changed = []
    for path, text in pipeline.examples.items():
        followed = repair(apply_rules(normalize(text), rules))
        if followed != normalize(text):
            pipeline = pipeline.with_file(path, followed)
            changed.append(path)
    return pipeline, changed
