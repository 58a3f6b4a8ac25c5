"""Engines write drafts with a pipeline and update the pipeline from evidence; see base.Engine."""

from writebot.engines.base import Engine, Evidence, Update

__all__ = ["Engine", "Evidence", "Update", "make_engine"]


def make_engine(name: str, **options) -> Engine:
    """The engine called `name` (rules | rules-frozen | rules-append-feedback)."""
    from writebot.engines.rules import RulesEngine

    learners = {"rules": "mine", "rules-frozen": "none", "rules-append-feedback": "append_feedback"}
    if name in learners:
        return RulesEngine(learner=learners[name], **options)
    raise ValueError(f"unknown engine {name!r}")
