from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import settings

from writebot import bundled
from writebot.cli import main
from writebot.loop.trainer import Callbacks
from writebot.text.topics import Topic

ROOT = Path(__file__).resolve().parent.parent

# Property tests write nothing into the checkout (no example database) and do not time out on a slow machine.
settings.register_profile("writebot", database=None, deadline=None, max_examples=150)
settings.load_profile("writebot")


class KilledAfterUpdates(Callbacks):
    """A watcher that stands in for a kill: KeyboardInterrupt once `n` updates are recorded (it is not an Exception,
    so the loop lets it through as it would a real interrupt)."""

    def __init__(self, n: int):
        self.n = n

    def on_update(self, record) -> None:
        self.n -= 1
        if self.n == 0:
            raise KeyboardInterrupt


def make_topics(n: int, val_every: int = 4) -> list[Topic]:
    """Small hand-made topics whose points carry words the personas like to change."""
    points = [
        "Utilize a checklist in order to remember every step.",
        "Do not rush the first week, because it is easy to give up.",
        "It is easier to start small, and you can add more later when the habit sticks.",
        "A lot of people forget to write down what worked!",
        "Keep the tools in one box, but label the box clearly so nobody has to guess.",
    ]
    return [
        Topic(f"topic-{i}", f"Planning A Better Week Number {i}", tuple(points[i % 5 :] + points[: i % 5][:1]),
              None, "val" if i % val_every == val_every - 1 else "train")
        for i in range(n)
    ]


@pytest.fixture
def write_yaml(tmp_path):
    def write(name: str, data) -> Path:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return path

    return write


@pytest.fixture
def topics_file(write_yaml):
    return write_yaml("topics.yaml", [t.to_dict() for t in make_topics(8)])


@pytest.fixture
def persona_file():
    return bundled.persona("warm-casual")


@pytest.fixture
def cli(capsys):
    """Run the writebot CLI in-process; returns (exit code, stdout, stderr)."""

    def run(*args: str):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@pytest.fixture
def sim(monkeypatch):
    """The Messages API simulator, with the SDK pointed at it. Every request body is also checked against the SDK's
    own parameter types; a test fails if any request broke them, or if the simulated API refused any with 400."""
    from writebot.testing.simulator import Simulator

    server = Simulator(check_contract=True).start()
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key-not-real")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    monkeypatch.delenv("WRITEBOT_MODEL", raising=False)
    monkeypatch.delenv("WRITEBOT_EFFORT", raising=False)
    yield server
    server.stop()
    assert server.contract_violations == [], "a request broke the SDK's parameter types"
    assert [e for e in server.errors if e["status"] == 400 and not server.expect_400] == [], "the API refused a request"
