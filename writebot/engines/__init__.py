"""Engines write drafts with a pipeline and update the pipeline from evidence: the contract is engines/base.Engine;
writebot.loop.registry builds them by name."""

from writebot.engines.base import BatchDrafts, Engine, Evidence, GateKind, Update

__all__ = ["BatchDrafts", "Engine", "Evidence", "GateKind", "Update"]
