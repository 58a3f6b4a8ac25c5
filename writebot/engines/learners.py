"""The rules engine's learners, one protocol (--learner, docs/FORMATS.md §1): each turns a pipeline and the
evidence (drafts, feedback, ground truths) into an update. Only the oracle holds a persona, and only the registry
hands it one (loop/registry.EngineKind.reads_persona)."""

from __future__ import annotations

import dataclasses
from typing import Protocol

from writebot.engines.base import Evidence, Update
from writebot.engines.by_kind import has_kinds, learn_by_kind
from writebot.engines.learner import _said_left_out, budget_note, learn, within_budget
from writebot.engines.retrieve import remember
from writebot.text.pipeline import Pipeline
from writebot.text.rule_language import contradicts, parse_rule
from writebot.users import Persona


class Learner(Protocol):
    name: str  # as --learner names it

    def update(self, pipeline: Pipeline, evidence: list[Evidence], budget: int) -> Update:
        """The next version of `pipeline` from the evidence, STYLE.md held to `budget` characters."""
        ...


class Mine:
    """The rules learner (engines/learner.py): rules mined from the diffs, per kind of post where the posts have
    kinds (engines/by_kind.py)."""

    name = "mine"

    def update(self, pipeline: Pipeline, evidence: list[Evidence], budget: int) -> Update:
        if has_kinds(pipeline, evidence):
            return learn_by_kind(pipeline, evidence, budget)
        return learn(pipeline, evidence, budget)


class Global:
    """A baseline: the rules learner not shown the kinds of post (one guide for every post)."""

    name = "global"

    def update(self, pipeline: Pipeline, evidence: list[Evidence], budget: int) -> Update:
        return learn(pipeline, [dataclasses.replace(e, topic=dataclasses.replace(e.topic, kind=None))
                                for e in evidence], budget)


class NoLearning:
    """A baseline: the guide never changes."""

    name = "none"

    def update(self, pipeline: Pipeline, evidence: list[Evidence], budget: int) -> Update:
        return Update(pipeline, "no learning (baseline)")


class AppendFeedback:
    """A baseline: the readers' comments appended to the rules, as they were said."""

    name = "append-feedback"

    def update(self, pipeline: Pipeline, evidence: list[Evidence], budget: int) -> Update:
        style = pipeline.style
        new = [c for c in dict.fromkeys(c for e in evidence for c in e.feedback) if c not in style.rules]
        updated, left_out = within_budget(dataclasses.replace(style, rules=style.rules + tuple(new)), budget,
                                          droppable=list(style.rules + tuple(new)))
        return Update(pipeline.with_style(updated), f"appended {len(new)} feedback comments to the rules (baseline)"
                      + _said_left_out(left_out, budget), left_out, budget=budget_note(left_out, budget))


class Retrieve:
    """A baseline, CIPHER offline (engines/retrieve.py): each post's rules from its nearest reviewed briefs."""

    name = "retrieve"

    def update(self, pipeline: Pipeline, evidence: list[Evidence], budget: int) -> Update:
        return remember(pipeline, evidence)


class Oracle:
    """PRELUDE's oracle preference: the persona's edits, every one of them (its skips and one-off edits are noise),
    as rules after the pipeline's own rules that they do not contradict; its edits per kind (docs/FORMATS.md §3c)
    as that kind's section (§11); the best that rules can do."""

    name = "oracle"

    def __init__(self, persona: Persona):
        self.persona = persona

    def update(self, pipeline: Pipeline, evidence: list[Evidence], budget: int) -> Update:
        persona, style = self.persona, pipeline.style
        wanted = [rule for rule, _ in persona.edits]
        keep = [line for line in style.rules
                if not any(contradicts(rule, other) for rule in [parse_rule(line)] if rule for other in wanted)]
        lines = tuple(dict.fromkeys([*keep, *(rule.to_line() for rule in wanted)]))
        sections = {**dict(style.kinds), **{kind: tuple(rule.to_line() for rule, _ in edits)
                                            for kind, edits in persona.kinds.items()}}
        updated, left_out = within_budget(dataclasses.replace(style, rules=lines).with_kinds(sections), budget,
                                          list(lines))
        return Update(pipeline.with_style(updated), f"oracle: the {len(wanted)} edits of persona {persona.name!r} "
                                                    f"as rules (it alone reads the persona)"
                                                    + _said_left_out(left_out, budget), left_out,
                      budget=budget_note(left_out, budget))


LEARNERS = {cls.name: cls for cls in (Mine, NoLearning, AppendFeedback, Global, Retrieve, Oracle)}


def build_learner(name: str, persona: Persona | None = None) -> Learner:
    """The learner --learner calls `name`; the oracle, and only the oracle, is given the persona."""
    if (name == Oracle.name) != (persona is not None):
        raise ValueError("the oracle, and only the oracle, reads the persona")
    return Oracle(persona) if persona is not None else LEARNERS[name]()
