"""Engines and simulated users by name: the one place that knows the names. The CLI's choices come from here;
everyone else holds the objects these build."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from writebot import defaults
from writebot.claude.llm import LLM
from writebot.compare.faithfulness import Judge
from writebot.engines.base import Engine
from writebot.text.topics import Topic
from writebot.users import Persona, User

HUMAN = "human"  # the user of a run trained by hand (notebook 02): not a simulated user, not in USERS
REPLAY = "replay"  # the engine that serves a cassette (the shipped demo replays with it)


@dataclass(frozen=True)
class EngineKind:
    help: str
    build: Callable[..., Engine]  # (llm, style_budget, cache_warmup, persona) -> Engine
    needs_llm: bool = False
    replays: bool = False  # the LLM serves a cassette instead of calling the API
    command_line: bool = True  # a choice of `--engine` (the rules baselines are chosen with --learner)
    base_text: Callable[[Topic], str] | None = None  # the writer's text before STYLE.md's rules, if it has one
    reads_persona: bool = False  # the oracle baseline: the one learner that may read the simulated user's persona


def _skeleton(topic: Topic) -> str:
    from writebot.engines.writer import skeleton

    return skeleton(topic)


def _rules(learner: str, name: str):
    """The rules engine with the learner --learner calls `learner` (engines/learners.py); the oracle alone is given
    the persona."""

    def build(llm, style_budget, cache_warmup, persona):
        from writebot.engines.learners import build_learner
        from writebot.engines.rules import RulesEngine

        return RulesEngine(build_learner(learner, persona), name, style_budget)

    return build


def _claude(llm, style_budget, cache_warmup, persona):
    from writebot.engines.claude import ClaudeEngine

    return ClaudeEngine(llm, style_budget=style_budget, warm_cache=cache_warmup)


ENGINES: dict[str, EngineKind] = {
    "rules": EngineKind("offline: a deterministic writer and a rule-mining optimizer", _rules("mine", "rules"),
                        base_text=_skeleton),
    "rules-frozen": EngineKind("offline writer, no learning (baseline)", _rules("none", "rules-frozen"),
                               command_line=False, base_text=_skeleton),
    "rules-append-feedback": EngineKind("offline writer; feedback appended to the rules (baseline)",
                                        _rules("append-feedback", "rules-append-feedback"), command_line=False,
                                        base_text=_skeleton),
    "rules-oracle": EngineKind("offline writer; the persona's edits written as rules (the oracle baseline)",
                               _rules("oracle", "rules-oracle"), command_line=False, base_text=_skeleton,
                               reads_persona=True),
    "rules-global": EngineKind("offline writer; the rules learner not shown the kinds of post: one guide for every "
                               "post (baseline)", _rules("global", "rules-global"), command_line=False,
                               base_text=_skeleton),
    "rules-retrieve": EngineKind("offline writer; each post's rules retrieved from its nearest reviewed briefs "
                                 "(CIPHER, the baseline)", _rules("retrieve", "rules-retrieve"), command_line=False,
                                 base_text=_skeleton),
    "claude": EngineKind("Claude writes, and edits the pipeline with the text editor tool", _claude, needs_llm=True),
    REPLAY: EngineKind("the claude engine served from a cassette (--cassette): no network, no key", _claude,
                         needs_llm=True, replays=True),
}
# --learner (FORMATS §1)
LEARNERS = {"mine": "rules", "none": "rules-frozen", "append-feedback": "rules-append-feedback",
            "oracle": "rules-oracle", "global": "rules-global", "retrieve": "rules-retrieve"}


@dataclass(frozen=True)
class UserKind:
    help: str
    build: Callable[[Persona, LLM | None], User]
    needs_llm: bool = False
    edits_by_rule: bool = False  # applies the persona's edits (docs/FORMATS.md §3): an edit can be checked as unused


def _persona_user(persona: Persona, llm: LLM | None) -> User:
    from writebot.users import PersonaUser

    return PersonaUser(persona)


def _claude_user(persona: Persona, llm: LLM | None) -> User:
    from writebot.users import ClaudeUser

    return ClaudeUser(persona, llm)


USERS: dict[str, UserKind] = {
    "rules": UserKind("the persona's deterministic edits", _persona_user, edits_by_rule=True),
    "claude": UserKind("Claude playing the persona's description", _claude_user, needs_llm=True),
}


@dataclass(frozen=True)
class JudgeKind:
    help: str
    build: Callable[[LLM | None], Judge]
    needs_llm: bool = False


def _offline_judge(llm: LLM | None) -> Judge:
    from writebot.compare.faithfulness import OfflineJudge

    return OfflineJudge()


def _claude_judge(llm: LLM | None) -> Judge:
    from writebot.compare.faithfulness import ClaudeJudge

    return ClaudeJudge(llm)


JUDGES: dict[str, JudgeKind] = {
    "rules": JudgeKind("offline: each point's content words in the draft (heavy paraphrase looks like loss; cannot "
                       "count invented claims)", _offline_judge),
    "claude": JudgeKind("Claude reads brief and draft and answers per point, and lists invented claims "
                        "(--judge-model, a small model by default)", _claude_judge, needs_llm=True),
}


def build_judge(name: str, llm: LLM | None = None) -> Judge:
    """The faithfulness judge called `name` (docs/FORMATS.md §10); a Claude judge needs its own LLM (its model)."""
    kind = JUDGES[name]
    if kind.needs_llm and llm is None:
        raise ValueError(f"the {name} judge needs an LLM")
    return kind.build(llm)


def engine_kind(name: str) -> EngineKind:
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r} (known: {', '.join(ENGINES)})")
    return ENGINES[name]


def build_engine(name: str, llm: LLM | None = None, style_budget: int = defaults.STYLE_BUDGET,
                 cache_warmup: bool = True, persona: Persona | None = None) -> Engine:
    """The engine called `name`. `persona` reaches only an engine that reads_persona (the oracle baseline): every
    other learner sees drafts, feedback and ground truths alone."""
    kind = engine_kind(name)
    if kind.needs_llm and llm is None:
        raise ValueError(f"the {name} engine needs an LLM")
    if kind.reads_persona and persona is None:
        raise ValueError(f"the {name} engine needs the simulated user's persona")
    return kind.build(llm, style_budget, cache_warmup, persona if kind.reads_persona else None)


def build_user(name: str, persona: Persona, llm: LLM | None = None) -> User:
    return USERS[name].build(persona, llm)


def needs_llm(engine: str, user: str, judge: str = defaults.JUDGE) -> bool:
    """Does a run of this engine, user and judge call Claude?"""
    return engine_kind(engine).needs_llm or (user in USERS and USERS[user].needs_llm) or JUDGES[judge].needs_llm


def interactive_engine() -> str:
    """Notebook 02's engine when none is named: Claude with an API key, the offline engine without."""
    return "claude" if os.environ.get("ANTHROPIC_API_KEY") else "rules"
