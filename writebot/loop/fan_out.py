"""The one concurrent loop: a piece of work per topic, at most `concurrency` in flight, nothing new started once
the budget is reached (or, unless told otherwise, after a failure); then the API clients closed, as they belong to
the event loop that ends here. loop/drafting (an epoch's drafts) and loop/writing (`writebot write`) use it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING

from writebot.text.topics import Topic

if TYPE_CHECKING:
    from writebot.loop.budget import Stopper


async def fan_out(topics: list[Topic], work: Callable[[Topic], Awaitable[None]], concurrency: int,
                  stopper: Stopper | None = None, stop_after_failure: bool = True) -> list[str]:
    """Run `work(topic)` for every topic, at most `concurrency` at once. A topic is not started once `stopper` is
    reached, or after another's work failed (with `stop_after_failure`): the ids of those, in order of their turn.
    Raises the first failure once every started piece has ended."""
    slots = asyncio.Semaphore(max(1, concurrency))
    stopped: list[str] = []
    failed: list[str] = []

    async def one(topic: Topic) -> None:
        async with slots:
            if (stop_after_failure and failed) or (stopper is not None and stopper.reached()):
                stopped.append(topic.id)
                return
            try:
                await work(topic)
            except BaseException:
                failed.append(topic.id)
                raise

    results = await asyncio.gather(*(one(t) for t in topics), return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        raise failures[0]
    return stopped


async def close_all(parts: Iterable[object]) -> None:
    """`await part.aclose()` for each: the engine, user and judge hold API clients bound to the running loop."""
    for part in parts:
        await part.aclose()
