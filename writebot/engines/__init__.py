"""Engines write drafts with a pipeline and update the pipeline from evidence; see base.Engine."""

from writebot import defaults
from writebot.engines.base import Engine, Evidence, Update

__all__ = ["Engine", "Evidence", "Update", "make_engine", "ENGINES"]

ENGINES = ("rules", "rules-frozen", "rules-append-feedback", "claude", "replay")


def make_engine(name: str, llm=None, style_budget: int = defaults.STYLE_BUDGET, warm_cache: bool = True) -> Engine:
    """The engine called `name`. claude and replay need an LLM (writebot.llm.LLM; for replay, one built with a
    cassette). rules-frozen and rules-append-feedback are the baselines of bench/learning.py."""
    learners = {"rules": "mine", "rules-frozen": "none", "rules-append-feedback": "append_feedback"}
    if name in learners:
        from writebot.engines.rules import RulesEngine

        return RulesEngine(learner=learners[name])
    if name in ("claude", "replay"):
        from writebot.engines.claude import ClaudeEngine

        if llm is None:
            raise ValueError(f"the {name} engine needs an LLM")
        return ClaudeEngine(llm, style_budget=style_budget, warm_cache=warm_cache)
    raise ValueError(f"unknown engine {name!r}")
