"""What stops a run before its end: its budget. The loop asks the stopper before each draft and each update;
callbacks only watch (writebot.loop.trainer.Callbacks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from writebot.store.usage import UsageLog


class Stopper(Protocol):
    def reached(self) -> bool:
        """True: start no new draft or update; the run stops cleanly (BudgetReached) and can be resumed."""
        ...


class Never:
    """No budget: the run goes to its end."""

    def reached(self) -> bool:
        return False


@dataclass(frozen=True)
class Budget:
    """--max-cost-usd: reached once the run's usage log (every Claude call of the run) costs that much."""

    usage: UsageLog
    max_cost_usd: float | None

    def reached(self) -> bool:
        return self.max_cost_usd is not None and self.usage.cost >= self.max_cost_usd
