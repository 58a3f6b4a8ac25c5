"""The embedded offline engine: a deterministic writer steered by STYLE.md's rules, and a rule-mining optimizer.

Writing: a topic brief becomes a post in the engine's own base voice (rules_voice.yaml), then STYLE.md's rules are
applied in order. Updating: from (draft, feedback, ground truth) evidence only, candidate rules are mined from typed
edit spans and directive feedback, and each is kept only if it lowers the total word edit cost over all pairs.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources

import yaml

from writebot.changes import analyse
from writebot.engines.base import BatchDrafts, Evidence, GateKind, Update
from writebot.engines.directives import parse_feedback
from writebot.engines.mining import Pool, mine, split_candidates
from writebot.engines.selection import Selector, variants
from writebot.pipeline import Pipeline, Style
from writebot.post import normalize
from writebot.rule_language import DropSentencesWith, Rule, apply_rules, parse_rule
from writebot.topics import Topic

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


@lru_cache(maxsize=20_000)
def skeleton(topic: Topic) -> str:
    """The draft before any STYLE.md rule: title, intro, one headed section per few points, outro."""
    v = voice()
    fill = {"subject": topic.title.lower(), "audience": topic.audience or "you"}
    blocks = [f"# {topic.title}", _pick(v["intros"], topic.id, "intro").format(**fill)]
    size = v["points_per_section"]
    for n, start in enumerate(range(0, len(topic.points), size)):
        points = [_sentence(p) for p in topic.points[start : start + size]]
        blocks.append("## " + _pick(v["headings"], topic.id, "heading", n))
        blocks.append(" ".join([*points, _pick(v["asides"], topic.id, "aside", n)]))
    blocks.append(_pick(v["outros"], topic.id, "outro").format(**fill))
    return "\n\n".join(blocks) + "\n"


@lru_cache(maxsize=64)
def _rules_in(style_text: str) -> list[Rule]:
    return Style.parse(style_text).parsed_rules()


def style_rules(pipeline: Pipeline) -> list[Rule]:
    return _rules_in(pipeline.files["STYLE.md"])


class RulesEngine:
    """Offline writer + optimizer (the Engine contract, engines/base.py). learner: mine (rule mining) | none |
    append_feedback (baselines)."""

    model = "rules-v1"
    gate = GateKind.IMMEDIATE  # re-drafting costs nothing here
    batches = False
    cost = 0.0

    def __init__(self, learner: str = "mine", name: str = "rules"):
        if learner not in ("mine", "none", "append_feedback"):
            raise ValueError(f"unknown learner {learner!r}")
        self.learner = learner
        self.name = name

    def write(self, pipeline: Pipeline, topic: Topic) -> str:
        return apply_rules(skeleton(topic), style_rules(pipeline))

    async def awrite(self, pipeline: Pipeline, topic: Topic) -> str:
        return self.write(pipeline, topic)

    async def abatch_write(self, pipeline, topics, submitted, on_submit, on_poll=None) -> BatchDrafts:
        raise NotImplementedError("the rules engine writes no batches (batches is False)")

    def update(self, pipeline: Pipeline, evidence: list[Evidence], history: list[dict] | None = None) -> Update:
        """history is not used: the rules learner re-derives everything from the evidence."""
        if self.learner == "none":
            return Update(pipeline, "no learning (baseline)")
        if self.learner == "append_feedback":
            return _append_feedback(pipeline, evidence)
        return learn(pipeline, evidence)

    def revise(self, draft: str, feedback: str) -> str:
        """The rules the feedback states ("say X, not Y", "no exclamation marks", ...) applied to the draft."""
        rules = [r for r in parse_feedback(feedback) if r.kind != "max_sentence_words"]
        return apply_rules(normalize(draft), rules)

    def new_pipeline(self, description: str, examples: dict[str, str]) -> tuple[Pipeline, str]:
        """The description becomes STYLE.md's prose; rules are mined from what the examples agree on."""
        from writebot.new_pipeline import init_rules

        return init_rules(description, examples)

    async def aclose(self) -> None:
        pass


def _append_feedback(pipeline: Pipeline, evidence: list[Evidence]) -> Update:
    style = pipeline.style
    new = [c for c in dict.fromkeys(c for e in evidence for c in e.feedback) if c not in style.rules]
    updated = Style(style.prose, style.rules + tuple(new), style.notes, style.tail)
    return Update(pipeline.with_style(updated), f"appended {len(new)} feedback comments to the rules (baseline)")


def _feedback(evidence: list[Evidence], notes: list[str]) -> list[tuple[Rule, str, str]]:
    """The rules directive feedback asks for, as (rule, topic, topic@epoch); comments that are no directive we know
    are appended to `notes`."""
    said = []
    for e in evidence:
        for comment in e.feedback:
            rules = parse_feedback(comment)
            said += [(rule, e.topic.id, f"{e.topic.id}@{e.epoch}") for rule in rules]
            if not rules and comment not in notes:
                notes.append(comment)
    return said


def _describe(cand, action: str, saved: int) -> dict:
    return {"rule": cand.rule.to_line(), "action": action, "words_saved": saved, "support": cand.support,
            "topics": len(cand.topics), "source": cand.source, "provenance": cand.provenance}


def _select(selector: Selector, evidence: list[Evidence], log: list[dict], tried: set[Rule],
            said: list[tuple[Rule, str, str]]) -> bool:
    """One round: mine the residual diffs of the current rules (plus the rules feedback `said`), try each new
    candidate; True if any was kept."""
    pool, bounds = Pool(), []
    outputs = selector.screen.outputs()
    sample = [evidence[i] for i in selector.index]
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
        before = selector.total
        # Word swaps are the most numerous candidates and rarely depend on order: try them at the end first
        # (one rule application per pair) and look further only if that already helps.
        probe = [*selector.rules, cand.rule] if cand.rule.kind == "replace" else None
        choice = selector.best(variants(selector.rules, cand.rule), probe)
        if choice is None:
            log.append(_describe(cand, "rejected", 0))
            continue
        replaced = [r for r in selector.rules if r not in choice.rules]
        selector.accept(choice.rules)
        action = f"replaced: {replaced[0].to_line()}" if replaced else "added"
        log.append(_describe(cand, action, before - choice.cost))
        kept = True
    return kept


def _prune(selector: Selector, log: list[dict]) -> None:
    """Drop rules that no longer help (e.g. a word swap a class rule now covers); merge drop rules into one."""
    for rule in list(selector.rules):
        without = [r for r in selector.rules if r != rule]
        if selector.no_worse(without):
            log.append({"rule": rule.to_line(), "action": "removed", "words_saved": 0})
            selector.accept(without)
    drops = [r for r in selector.rules if isinstance(r, DropSentencesWith)]
    if len(drops) > 1:
        merged = DropSentencesWith(tuple(p for r in drops for p in r.phrases))
        for keep in (drops[-1], drops[0]):  # the merged rule takes the place of the last or the first one
            rules = [merged if r is keep else r for r in selector.rules if r is keep or r not in drops]
            if selector.no_worse(rules):
                selector.accept(rules)
                break


def learn(pipeline: Pipeline, evidence: list[Evidence]) -> Update:
    """The rules optimizer: mine, screen and keep rules that lower the total edit cost; record why."""
    style = pipeline.style
    parsed = [(line, parse_rule(line)) for line in style.rules]
    prose_lines = tuple(line for line, rule in parsed if rule is None)
    selector = Selector([skeleton(e.topic) for e in evidence], [e.ground_truth for e in evidence],
                        [rule for _, rule in parsed if rule is not None], [e.topic.id for e in evidence])
    start = selector.total
    log: list[dict] = []
    tried: set[Rule] = set()
    notes = list(style.notes)
    said = _feedback(evidence, notes)
    for round_number in range(MAX_ROUNDS):  # feedback's rules are candidates in the first round only
        if not _select(selector, evidence, log, tried, said if round_number == 0 else []):
            break
    _prune(selector, log)
    updated = Style(style.prose, tuple(r.to_line() for r in selector.rules) + prose_lines,
                    tuple(notes[-MAX_NOTES:]), style.tail)
    kept = [d for d in log if d["action"] != "rejected"]
    rationale = (f"{len(kept)} rule changes over {len(evidence)} pairs; total word edit cost "
                 f"{start} -> {selector.total}. " + "; ".join(f"{d['action']}: {d['rule']}" for d in kept))
    return Update(pipeline.with_style(updated), rationale.strip(), log)
