"""What every simulated (or real) user gives back, and the protocol the trainer holds one by."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from writebot.text.topics import Topic


@dataclass(frozen=True)
class Review:
    """What a user gives back for one draft."""

    ground_truth: str
    feedback: list[str]
    by: str


class User(Protocol):
    """Who reviews the drafts. Error contract: a Review, or `Refused` (the trainer records the topic as refused),
    another `ModelStop` or an SDK error (the run stops, resumable); never a ground truth made of half an answer."""

    name: str

    async def areview(self, topic: Topic, draft: str) -> Review:
        """Edit the draft into the post this user wants and say what was wrong with it."""
        ...

    def review(self, topic: Topic, draft: str) -> Review:
        """areview, from synchronous code."""
        ...

    async def aclose(self) -> None:
        """Close what belongs to the running event loop (API clients)."""
        ...
