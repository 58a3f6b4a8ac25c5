"""The rules learner: from (draft, feedback, ground truth) evidence only, candidate rules are mined from typed edit
spans and directive feedback, and each is kept only if it lowers the total word edit cost over all pairs, with a
gain that is general (selection.Spread) and confirmed where it fires (firings).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from writebot import defaults
from writebot.compare.changes import analyse
from writebot.engines.base import Evidence, Update
from writebot.engines.firings import MIN_CONFIRMED, Firings, firings
from writebot.engines.mining import Pool, mine, split_candidates
from writebot.engines.selection import Selector, Spread, variants
from writebot.engines.writer import sections_of, skeleton
from writebot.text.directives import parse_feedback
from writebot.text.hygiene import repair
from writebot.text.kinds import example_kind
from writebot.text.lint import merge_notes, repeats, same_note
from writebot.text.pipeline import Pipeline, Style, without_comments
from writebot.text.post import normalize
from writebot.text.rule_language import (
    DropSentencesWith,
    Replace,
    Rule,
    apply_rules,
    parse_rule,
    slot,
    slot_name,
    subsumes,
    undoes,
)

MAX_ROUNDS = 4

MAX_NOTES = 20

MAX_CANDIDATES = 60  # per round, best supported first



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
            style = replace(style, notes=style.notes[1:])
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
        style = replace(style, rules=tuple(r for r in style.rules if r != line))
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



def _collapse_chains(selector: Selector, log: list[dict], fixed: frozenset[Rule] = frozenset()) -> None:
    """"A" -> "B" followed by "B" -> "C" says "A" -> "C" twice over: one rule takes the first one's place when the
    second is needed only for what the first produced."""
    for second in [r for r in selector.rules if r not in fixed]:
        first = next((r for r in selector.rules if r not in fixed and isinstance(r, Replace)
                      and isinstance(second, Replace) and r.new.lower() == second.old
                      and r.whole_word == second.whole_word), None)
        if first is None or second not in selector.rules or selector.rules.index(first) > selector.rules.index(second):
            continue
        merged = Replace(first.old, second.new, first.whole_word)
        rules = [merged if r == first else r for r in selector.rules if r != second]
        if merged not in selector.rules and selector.no_worse(rules):
            selector.accept(rules)
            log.append({"rule": merged.to_line(), "action": "replaced", "words_saved": 0,
                        "replaces": [first.to_line(), second.to_line()],
                        "why": f"{second.to_line()} only rewrote what {first.to_line()} wrote: one rule says it"})



def _prune(selector: Selector, log: list[dict], fixed: frozenset[Rule] = frozenset()) -> None:
    """Collapse replacement chains; drop rules that no longer help (e.g. a word swap a class rule now covers); merge
    drop rules into one. The `fixed` rules (the general rules, when a kind is fitted) stay as they are."""
    _collapse_chains(selector, log, fixed)
    for rule in [r for r in selector.rules if r not in fixed]:
        without = [r for r in selector.rules if r != rule]
        if selector.no_worse(without) and not _still_general(selector, without):
            log.append({"rule": rule.to_line(), "action": "removed", "words_saved": 0})
            selector.accept(without)
    drops = [r for r in selector.rules if isinstance(r, DropSentencesWith) and r not in fixed]
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



def fit(rules: list[Rule], evidence: list[Evidence], sections: bool, notes: list[str], margin: int = 1,
        selector: Selector | None = None, fixed: frozenset[Rule] = frozenset(),
        ) -> tuple[Selector, list[dict], int, list[str]]:
    """Mine, screen and keep rules, starting from `rules`, that lower the total edit cost of the evidence: (the
    selector holding the rules kept, what was tried and why, the cost before, the directive comments the edits do
    not show). Comments that are no directive are merged into `notes`. `selector`: one already holding `rules` over
    this evidence (by_kind's subset of the general fit's, so nothing is drafted twice); `fixed`: rules the prune
    leaves alone."""
    if selector is None:
        selector = Selector([skeleton(e.topic, sections) for e in evidence], [e.ground_truth for e in evidence],
                            rules, [e.topic.id for e in evidence])
    selector.margin = margin
    start = selector.total
    log: list[dict] = []
    tried: set[Rule] = set()
    said, readings = _feedback(evidence, notes)
    for round_number in range(MAX_ROUNDS):  # feedback's rules are candidates in the first round only
        if not _select(selector, evidence, log, tried, said if round_number == 0 else []):
            break
    _prune(selector, log, fixed)
    unshown = [comment for comment, read in readings.items() if not any(rule in selector.rules for rule in read)]
    return selector, log, start, unshown


def learn(pipeline: Pipeline, evidence: list[Evidence], budget: int = defaults.STYLE_BUDGET) -> Update:
    """The rules optimizer: mine, screen and keep rules that lower the total edit cost; record why."""
    style = pipeline.style
    parsed = [(line, parse_rule(line)) for line in style.rules]
    prose_lines = tuple(line for line, rule in parsed if rule is None)
    notes = merge_notes(style.notes)
    selector, log, start, unshown = fit([rule for _, rule in parsed if rule is not None], evidence,
                                        sections_of(pipeline), notes)
    for comment in unshown:  # a rule the edits do not show is a note, not a rule
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
    count, said = notes_changed(style, updated, count, said)
    pairs = f"{len(evidence)} pair{'s' * (len(evidence) != 1)}"
    rationale = "; ".join([f"{count} over {pairs}; total word edit cost {start} -> {selector.total}",
                           *said, *([f"the examples follow the rules ({', '.join(followed)})"] if followed else [])])
    return Update(proposal, rationale + _said_left_out(left_out, budget), log, budget=budget_note(left_out, budget))


def notes_changed(before: Style, after: Style, count: str, said: list[str]) -> tuple[str, list[str]]:
    """The count and the lines of an update's rationale, with the notes it added and removed."""
    new_notes = [n for n in after.notes if n not in before.notes]
    gone_notes = [n for n in before.notes if n not in after.notes]
    said = said + [f"note added: {n}" for n in new_notes] + [f"note merged or done with: {n}" for n in gone_notes]
    if new_notes or gone_notes:
        count += f"; {len(new_notes)} note{'s' * (len(new_notes) != 1)} added, {len(gone_notes)} removed"
    return count, said


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



def in_line(pipeline: Pipeline, rules: list[Rule],
            by_kind: dict[str, list[Rule]] | None = None) -> tuple[Pipeline, list[str]]:
    """The pipeline with its example posts brought in line with the rules (the bot reads both: an example that
    greets otherwise than the guide says shows it the wrong thing), and the examples changed. An example of a kind
    (`examples/<kind>/`) follows the general rules, then its kind's (`by_kind`)."""
    changed = []
    for path, text in pipeline.examples.items():
        followed = repair(apply_rules(normalize(text), rules + (by_kind or {}).get(example_kind(path), [])))
        if followed != normalize(text):
            pipeline = pipeline.with_file(path, followed)
            changed.append(path)
    return pipeline, changed
