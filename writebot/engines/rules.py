"""The embedded offline engine: the offline writer (engines/writer.py) steered by STYLE.md's rules, and a learner
(engines/learners.py): the rules learner or one of its baselines (none, append-feedback, oracle, global, retrieve).
"""

from __future__ import annotations

from writebot import defaults
from writebot.engines.base import Draft, Evidence, GateKind, Update
from writebot.engines.learners import Learner, Mine
from writebot.engines.retrieve import retrieved
from writebot.engines.writer import sections_of, skeleton, style_rules
from writebot.store.formats import UpdateSummary
from writebot.text.directives import parse_feedback
from writebot.text.hygiene import repair
from writebot.text.pipeline import Pipeline
from writebot.text.post import normalize
from writebot.text.rule_language import apply_rules
from writebot.text.topics import Topic


class RulesEngine:
    """Offline writer + optimizer (the Engine contract, engines/base.py): the writer, and a learner
    (engines/learners.py: the rules learner, or a baseline)."""

    model = "rules-v1"
    gate = GateKind.IMMEDIATE  # re-drafting costs nothing here
    abilities = frozenset({"revise", "init"})  # engines/base.ABILITIES; no Message Batches offline

    def __init__(self, learner: Learner | None = None, name: str = "rules",
                 style_budget: int = defaults.STYLE_BUDGET):
        self.learner = learner or Mine()
        self.name = name
        self.style_budget = style_budget

    def write(self, pipeline: Pipeline, topic: Topic) -> str:
        """The base text (in the examples' shape) with STYLE.md's rules applied in order, then mended
        (writebot.text.hygiene): any rule set leaves a well-formed post."""
        rules = style_rules(pipeline, topic.kind) + retrieved(pipeline, topic)  # retrieved: the retrieve baseline's
        return repair(apply_rules(skeleton(topic, sections_of(pipeline)), rules))

    async def awrite(self, pipeline: Pipeline, topic: Topic) -> Draft:
        return Draft(self.write(pipeline, topic), self.model)

    def update(self, pipeline: Pipeline, evidence: list[Evidence],
               history: list[UpdateSummary] | None = None) -> Update:
        """history is not used: the learners re-derive everything from the evidence."""
        return self.learner.update(pipeline, evidence, self.style_budget)

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
