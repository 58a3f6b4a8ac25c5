"""The seams stay declared: every engine and user keeps its whole contract, the trainer and the workbench never
probe, and engine names live in the registry only."""

import inspect
import re

import pytest

from writebot import bundled
from writebot.claude.llm import LLM
from writebot.compare.faithfulness import Judge
from writebot.engines.base import Engine, GateKind
from writebot.loop.registry import ENGINES, JUDGES, USERS, build_engine, build_judge, build_user
from writebot.users import User, load_persona

from .conftest import ROOT


def members(protocol) -> set[str]:
    return {n for n in dir(protocol) if not n.startswith("_")} | set(getattr(protocol, "__annotations__", {}))


@pytest.mark.parametrize("name", list(ENGINES))
def test_every_engine_keeps_the_whole_engine_contract(name, tmp_path, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "not-used")
    cassette = tmp_path / "empty.jsonl"
    cassette.write_text("")
    llm = LLM("claude-sonnet-5-5", replay=cassette if ENGINES[name].replays else None) if ENGINES[name].needs_llm \
        else None
    engine = build_engine(name, llm, persona=load_persona(bundled.persona("warm-casual")))
    assert members(Engine) <= set(dir(engine)), members(Engine) - set(dir(engine))
    assert engine.name == name and isinstance(engine.gate, GateKind)
    assert list(inspect.signature(engine.update).parameters)[:3] == ["pipeline", "evidence", "history"]
    assert inspect.iscoroutinefunction(engine.awrite) and inspect.iscoroutinefunction(engine.aclose)


@pytest.mark.parametrize("name", list(USERS))
def test_every_user_keeps_the_whole_user_contract(name, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "not-used")
    user = build_user(name, load_persona(bundled.persona("warm-casual")), LLM("claude-sonnet-5-5"))
    assert members(User) <= set(dir(user)) and inspect.iscoroutinefunction(user.areview)


@pytest.mark.parametrize("name", list(JUDGES))
def test_every_judge_keeps_the_whole_judge_contract(name, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "not-used")
    judge = build_judge(name, LLM("claude-haiku-5-5") if JUDGES[name].needs_llm else None)
    assert members(Judge) <= set(dir(judge)) and inspect.iscoroutinefunction(judge.ajudge)
    assert 0 <= judge.point_noise < 1 and judge.claims_noise >= 0


SEAMS = ["loop/trainer.py", "loop/drafting.py", "notebook/workbench.py", "runs.py", "loop/gate.py", "cli.py"]


@pytest.mark.parametrize("module", SEAMS)
def test_no_probing_and_no_engine_names_outside_the_registry(module):
    source = (ROOT / "writebot" / module).read_text()
    assert not re.search(r"\b(getattr|hasattr)\(|inspect\.", source), "declare it in the contract instead"
    names = "|".join(re.escape(n) for n in [*ENGINES, *USERS])
    assert not re.findall(rf"""["']({names})["']""", source), "engine and user names belong in loop/registry.py"
