"""The one concurrent loop (loop/fan_out): an epoch's drafts and `writebot write` both run through it."""

import asyncio

import pytest

from writebot.loop.fan_out import close_all, fan_out
from writebot.text.topics import Topic

from .conftest import ROOT

TOPICS = [Topic(f"t{i}", f"Title {i}", ("A point.",)) for i in range(6)]


class Budget:
    def __init__(self, allowed: int):
        self.allowed, self.started = allowed, 0

    def reached(self) -> bool:
        return self.started >= self.allowed


def test_at_most_concurrency_pieces_run_at_once_and_every_topic_gets_its_turn():
    running, most, done = 0, 0, []

    async def work(topic):
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01)
        running -= 1
        done.append(topic.id)

    assert asyncio.run(fan_out(TOPICS, work, 2)) == []
    assert most == 2 and sorted(done) == [t.id for t in TOPICS]


def test_nothing_new_starts_at_the_budget_and_the_rest_are_said():
    budget = Budget(3)

    async def work(topic):
        budget.started += 1

    assert asyncio.run(fan_out(TOPICS, work, 1, budget)) == ["t3", "t4", "t5"]


@pytest.mark.parametrize("stop_after_failure, started", [(True, ["t0", "t1"]), (False, [t.id for t in TOPICS])])
def test_a_failure_is_raised_after_the_pieces_in_flight_and_stops_new_ones_unless_told(stop_after_failure, started):
    seen = []

    async def work(topic):
        seen.append(topic.id)
        if topic.id == "t1":
            raise ValueError("t1 broke")

    with pytest.raises(ValueError, match="t1 broke"):
        asyncio.run(fan_out(TOPICS, work, 1, stop_after_failure=stop_after_failure))
    assert seen == started


def test_close_all_closes_each_part_and_the_loop_is_written_once():
    closed = []

    class Part:
        def __init__(self, name):
            self.name = name

        async def aclose(self):
            closed.append(self.name)

    asyncio.run(close_all([Part("engine"), Part("user"), Part("judge")]))
    assert closed == ["engine", "user", "judge"]
    # the semaphore and the gather stand in loop/fan_out.py alone
    loop = ROOT / "writebot" / "loop"
    assert [p.name for p in sorted(loop.glob("*.py")) if "Semaphore(" in p.read_text() or "gather(" in p.read_text()] \
        == ["fan_out.py"]
