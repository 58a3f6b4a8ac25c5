"""The embedded offline engine: the offline writer (engines/writer.py) steered by STYLE.md's rules, and the rules
learner (engines/learner.py) or one of its baselines (none, append-feedback, oracle).
"""

from __future__ import annotations

import dataclasses

from writebot import defaults
from writebot.engines.base import Evidence, GateKind, Update
from writebot.engines.by_kind import has_kinds, learn_by_kind
from writebot.engines.learner import _said_left_out, budget_note, learn, within_budget
from writebot.engines.retrieve import remember, retrieved
from writebot.engines.writer import sections_of, skeleton, style_rules
from writebot.text.directives import parse_feedback
from writebot.text.hygiene import repair
from writebot.text.pipeline import Pipeline
from writebot.text.post import normalize
from writebot.text.rule_language import apply_rules, contradicts, parse_rule
from writebot.text.topics import Topic
from writebot.users import Persona


class RulesEngine:
    """Offline writer + optimizer (the Engine contract, engines/base.py). learner: mine (rule mining) | none |
    append-feedback (baselines)."""

    model = "rules-v1"
    gate = GateKind.IMMEDIATE  # re-drafting costs nothing here
    abilities = frozenset({"revise", "init"})  # engines/base.ABILITIES; no Message Batches offline

    def __init__(self, learner: str = "mine", name: str = "rules", persona: Persona | None = None,
                 style_budget: int = defaults.STYLE_BUDGET):
        if learner not in ("mine", "none", "append-feedback", "oracle", "global", "retrieve"):
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
        rules = style_rules(pipeline, topic.kind) + retrieved(pipeline, topic)  # retrieved: the retrieve baseline's
        return repair(apply_rules(skeleton(topic, sections_of(pipeline)), rules))

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
        if self.learner == "retrieve":
            return remember(pipeline, evidence)
        if self.learner == "global":  # today's single guide: the learner is not shown the kinds (a baseline)
            return learn(pipeline, [dataclasses.replace(e, topic=dataclasses.replace(e.topic, kind=None))
                                    for e in evidence], self.style_budget)
        if has_kinds(pipeline, evidence):
            return learn_by_kind(pipeline, evidence, self.style_budget)
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
    updated, left_out = within_budget(dataclasses.replace(style, rules=style.rules + tuple(new)), budget,
                                      droppable=list(style.rules + tuple(new)))
    return Update(pipeline.with_style(updated), f"appended {len(new)} feedback comments to the rules (baseline)"
                  + _said_left_out(left_out, budget), left_out, budget=budget_note(left_out, budget))


def oracle(pipeline: Pipeline, persona: Persona, budget: int = defaults.STYLE_BUDGET) -> Update:
    """PRELUDE's oracle preference: the persona's edits, every one of them (its skips and one-off edits are noise),
    as rules after the pipeline's own rules that they do not contradict; its edits per kind (docs/FORMATS.md §3c)
    as that kind's section (§11); the best that rules can do."""
    style = pipeline.style
    wanted = [rule for rule, _ in persona.edits]
    keep = [line for line in style.rules
            if not any(contradicts(rule, other) for rule in [parse_rule(line)] if rule for other in wanted)]
    lines = tuple(dict.fromkeys([*keep, *(rule.to_line() for rule in wanted)]))
    sections = {**dict(style.kinds), **{kind: tuple(rule.to_line() for rule, _ in edits)
                                        for kind, edits in persona.kinds.items()}}
    updated, left_out = within_budget(dataclasses.replace(style, rules=lines).with_kinds(sections), budget,
                                      list(lines))
    return Update(pipeline.with_style(updated), f"oracle: the {len(wanted)} edits of persona {persona.name!r} as "
                                                f"rules (it alone reads the persona)"
                                                + _said_left_out(left_out, budget), left_out,
                  budget=budget_note(left_out, budget))
