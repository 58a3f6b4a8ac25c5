"""The rules learner per kind of post (docs/FORMATS.md §11). The general rules are fitted on every post; a general
rule that one kind's posts ask for and the others plainly do not moves to `## Rules for <kind>`; then each kind's
posts are fitted on their own, from the general rules: what they ask beyond or against them (expand here where the
rest contract; another greeting) is their section, which comes after the general rules and wins. So preferences
that disagree between kinds are one rule per kind, never one general rule that flips each update; an opening or
closing line read off one kind's edits needs two posts of that kind (engines/mining.SEEN_TWICE).
"""

from __future__ import annotations

from writebot import defaults
from writebot.engines.base import Evidence, Update
from writebot.engines.learner import (
    MAX_NOTES,
    _net_changes,
    _note,
    _said_left_out,
    budget_note,
    fit,
    in_line,
    notes_changed,
    within_budget,
)
from writebot.engines.selection import Selector, Spread
from writebot.engines.writer import sections_of
from writebot.text.kinds import KIND_MARGIN, one_kind
from writebot.text.lint import merge_notes, repeats
from writebot.text.pipeline import Pipeline, Style
from writebot.text.rule_language import Rule, parse_rule


def has_kinds(pipeline: Pipeline, evidence: list[Evidence]) -> bool:
    """True when the evidence or the guide knows kinds of post (else the learner fits one guide, as ever)."""
    return bool(pipeline.style.kinds) or any(e.topic.kind for e in evidence)


def _spread(selector: Selector, rules: list[Rule], rule: Rule) -> Spread:
    """How `rule`'s gain spreads over these posts: the posts whose cost it lowers, and those it raises."""
    selector.full.verify([r for r in rules if r != rule])
    without = selector.full.pending_costs()
    selector.full.verify(rules)
    return Spread.of(without, selector.full.pending_costs(), selector.keys)


def _kind_of(rule: Rule, rules: list[Rule], by_group: dict[str | None, Selector]) -> str | None:
    """The kind a general rule belongs to instead (text/kinds.one_kind: the one kind whose posts it helps more than
    it hurts, where the posts of all other kinds together plainly do not want it)."""
    spreads = {k: _spread(selector, rules, rule) for k, selector in by_group.items()}
    return one_kind({k: (s.helped, s.hurt) for k, s in spreads.items()})


def learn_by_kind(pipeline: Pipeline, evidence: list[Evidence], budget: int = defaults.STYLE_BUDGET) -> Update:
    """1. Fit the general rules on every post, as the learner fits one guide. 2. A rule it adds that one kind's
    posts ask for and the other kinds' posts do not (`_kind_of`), where other kinds' posts were seen too, moves to
    that kind's section. 3. Fit each
    kind's posts on their own, from the general rules and the kind's section: what a kind's edits ask beyond (or
    against) the general rules is its section. A persona with one taste for every kind learns what it learns
    without kinds."""
    style = pipeline.style
    sections = sections_of(pipeline)
    notes = merge_notes(style.notes)
    groups: dict[str | None, list[Evidence]] = {}
    where: dict[str | None, list[int]] = {}  # each group's places in the evidence
    for i, e in enumerate(evidence):
        groups.setdefault(e.topic.kind, []).append(e)
        where.setdefault(e.topic.kind, []).append(i)
    kinds = sorted(k for k in groups if k is not None)
    prose_lines = tuple(line for line in style.rules if parse_rule(line) is None)
    every, log, start, unshown = fit(style.parsed_rules(), evidence, sections, notes)
    general = list(every.rules)
    sections_now = {k: [r for r in (parse_rule(line) for line in rules) if r is not None] for k, rules in style.kinds}
    by_group = {k: every.subset(where[k], general) for k in groups}
    before = style.parsed_rules()
    for rule in [r for r in general if r not in before] if len(groups) > 1 else []:
        # 2. a rule the update adds, that one kind's posts alone pay for where other kinds' posts could have, is
        # that kind's (with one kind seen so far, nothing tells a kind's rule from a general one: it stays general)
        kind = _kind_of(rule, general, by_group)
        if kind is not None:
            general.remove(rule)
            own = sections_now.setdefault(kind, [])
            if rule not in own:
                own.append(rule)
            log.append({"rule": rule.to_line(), "action": "moved", "kind": kind, "words_saved": 0,
                        "why": f"only the {kind} posts' edits support it: a rule of that kind"})
    costs = {}
    for kind in kinds:  # 3. each kind on its own, from the general rules and its section
        own = [r for r in sections_now.get(kind, []) if r not in general]
        selector, found, before, more = fit(general + own, groups[kind], sections, notes, KIND_MARGIN,
                                            every.subset(where[kind], general + own), frozenset(general))
        unshown += more
        sections_now[kind] = list(dict.fromkeys(r for r in selector.rules if r not in general))
        costs[kind] = (before, selector.total)
        log += [{**entry, "kind": kind} for entry in found]
    for comment in unshown:  # a rule the edits do not show is a note, not a rule
        _note(notes, comment)
    every_rule = general + [r for rules in sections_now.values() for r in rules]
    notes = [n for n in notes if repeats(n, every_rule) is None]
    updated = Style(style.prose, tuple(r.to_line() for r in general) + prose_lines, tuple(notes[-MAX_NOTES:]),
                    style.tail).with_kinds({k: tuple(r.to_line() for r in v) for k, v in sections_now.items()})
    updated, left_out = within_budget(updated, budget, [r.to_line() for r in general])
    log += left_out
    kept = [r for r in general if r.to_line() in updated.rules]
    proposal, followed = in_line(pipeline.with_style(updated), kept, sections_now)
    count, said = _net_changes(style.rules, list(updated.rules), [d for d in log if d.get("kind") is None])
    before_kinds = dict(style.kinds)
    for kind, rules in updated.kinds:
        _, lines = _net_changes(before_kinds.get(kind, ()), list(rules), [d for d in log if d.get("kind") == kind])
        said += [f"{kind}: {line}" for line in lines]
    count, said = notes_changed(style, updated, count, said)
    per_kind = "".join(f", {k} {a} -> {b}" for k, (a, b) in costs.items())
    rationale = "; ".join([f"{count} over {len(evidence)} pair{'s' * (len(evidence) != 1)}; total word edit cost "
                           f"{start} -> {every.total}; per kind after the general rules{per_kind}", *said,
                           *([f"the examples follow the rules ({', '.join(followed)})"] if followed else [])])
    return Update(proposal, rationale + _said_left_out(left_out, budget), log, budget=budget_note(left_out, budget))

