"""The seams stay declared: every engine and user keeps its whole contract, the trainer and the workbench never
probe, and engine names live in the registry only."""

import inspect
import re

import pytest

from writebot import bundled
from writebot.claude.llm import LLM
from writebot.compare.faithfulness import Judge
from writebot.engines.base import ABILITIES, Engine, GateKind, ability, revise
from writebot.engines.new_pipeline import init_pipeline
from writebot.errors import InputError
from writebot.loop.registry import ENGINES, JUDGES, USERS, build_engine, build_judge, build_user
from writebot.users import User, load_persona

from .conftest import ROOT


def members(protocol) -> set[str]:
    return {n for n in dir(protocol) if not n.startswith("_")} | set(getattr(protocol, "__annotations__", {}))


def methods(protocol) -> dict[str, inspect.Signature]:
    """The protocol's own methods and their signatures, without self."""
    return {n: inspect.signature(f) for n, f in vars(protocol).items() if inspect.isfunction(f) and n[0] != "_"}


def keeps(engine, protocol) -> list[str]:
    """Where the engine's methods differ from the protocol's: a missing method, other parameter names, or sync
    where async is asked (or the other way)."""
    broken = []
    for name, wanted in methods(protocol).items():
        have = getattr(engine, name, None)
        if have is None:
            broken.append(f"{name} is missing")
            continue
        params = list(wanted.parameters)[1:]
        if list(inspect.signature(have).parameters) != params:
            broken.append(f"{name}{inspect.signature(have)} is not {name}({', '.join(params)})")
        if inspect.iscoroutinefunction(have) != inspect.iscoroutinefunction(getattr(protocol, name)):
            broken.append(f"{name}: async differs")
    return broken


def build(name, tmp_path, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "not-used")
    cassette = tmp_path / "empty.jsonl"
    cassette.write_text("")
    llm = LLM("claude-sonnet-5-5", replay=cassette if ENGINES[name].replays else None) if ENGINES[name].needs_llm \
        else None
    return build_engine(name, llm, persona=load_persona(bundled.persona("warm-casual")))


@pytest.mark.parametrize("name", list(ENGINES))
def test_every_engine_keeps_the_engine_contract_signature_by_signature(name, tmp_path, monkeypatch):
    engine = build(name, tmp_path, monkeypatch)
    assert engine.name == name and isinstance(engine.gate, GateKind) and isinstance(engine.model, str)
    assert not keeps(engine, Engine)


@pytest.mark.parametrize("name", list(ENGINES))
def test_an_engine_has_the_abilities_it_declares_and_no_stubs_of_the_others(name, tmp_path, monkeypatch):
    engine = build(name, tmp_path, monkeypatch)
    assert set(engine.abilities) <= set(ABILITIES)
    for ability_name, protocol in ABILITIES.items():
        if ability_name in engine.abilities:
            assert ability(engine, ability_name) is engine and not keeps(engine, protocol), ability_name
        else:
            assert ability(engine, ability_name) is None
            assert not set(methods(protocol)) & set(dir(engine)), f"{ability_name}: not declared, yet stubbed"


def test_without_an_ability_the_default_holds(tmp_path):
    class Plain:  # the Engine contract and nothing more
        name, model, gate = "plain", "plain-1", GateKind.IMMEDIATE

    assert revise(Plain(), "the draft", "shorter, please") == "the draft"
    with pytest.raises(InputError, match="the plain engine cannot make a new pipeline"):
        init_pipeline("A calm voice.", tmp_path, tmp_path / "out", Plain())
    with pytest.raises(KeyError, match="no engine ability 'fly'"):
        ability(Plain(), "fly")

    class Wrong(Plain):
        def write(self, topic, pipeline):  # the parameters swapped: a name check alone would pass it
            return ""

        async def update(self, pipeline, evidence, history):
            return None

    broken = keeps(Wrong(), Engine)
    assert any(b.startswith("write(topic, pipeline)") for b in broken) and "update: async differs" in broken
    assert "awrite is missing" in broken


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


def test_a_draft_says_which_model_wrote_it_and_no_engine_keeps_a_side_channel_for_it():
    from writebot.aio import run_sync
    from writebot.engines.base import Draft
    from writebot.text.pipeline import Pipeline
    from writebot.text.topics import load_topics

    engine = build_engine("rules")
    topic = load_topics(bundled.starter_topics())[0]
    drafted = run_sync(engine.awrite(Pipeline.load(bundled.starter_pipeline()), topic))
    assert isinstance(drafted, Draft) and drafted.model == engine.model and drafted.text.startswith("# ")
    assert not hasattr(Engine, "written_by")
