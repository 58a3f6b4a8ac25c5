"""Every request body writebot builds matches the installed SDK's own parameter types (strict, every lazy iterable
consumed, no unknown keys): writer and its cache warm-up, reviewer, optimizer turns with thinking and tool results,
init, revision and batch requests. And the check does catch broken bodies."""

import copy

import pytest

from writebot import bundled
from writebot.testing.contract import violations
from writebot.testing.replies import echo_writer, last_user_text, scripted, text_reply, tool_reply


def reader_and_editor():
    def drafts(body):
        if "<verdict>" in (body.get("system") or ""):
            return text_reply("<verdict>revise</verdict>\n<feedback>Greet me.</feedback>\n<post>\n# T\n\nHi friends,"
                              "\n\nBody.\n</post>")
        return echo_writer(body)

    return scripted(tool_reply({"command": "view", "path": "/pipeline/STYLE.md"}, text=" "),
                    tool_reply({"command": "str_replace", "path": "/pipeline/STYLE.md",
                                "old_str": "Hello, dear readers!", "new_str": "Hi friends,"}),
                    text_reply("Swapped the greeting."), drafts=drafts)


@pytest.mark.slow
def test_every_request_writebot_builds_matches_the_sdk_types(sim, cli, tmp_path, topics_file):
    from writebot.notebook.workbench import Workbench

    sim.thinking_tokens = 120
    sim.responder = reader_and_editor()
    persona = bundled.persona("warm-casual")
    common = ["--topics", topics_file, "--persona", persona, "--out"]
    assert cli("simulate", "--engine", "claude", "--user", "claude", "--epochs", "1", *common, tmp_path / "a")[0] == 0
    assert cli("simulate", "--engine", "claude", "--batch-api", "--epochs", "0", *common, tmp_path / "b")[0] == 0
    (tmp_path / "ex").mkdir()
    (tmp_path / "ex" / "a.md").write_text("# A\n\nHello there.\n")
    sim.responder = scripted(tool_reply({"command": "create", "path": "/pipeline/steps/01.md", "file_text": "Go.\n"}),
                             text_reply("Wrote the steps."))
    assert cli("init", "--engine", "claude", "--description", "Chatty.", "--examples", tmp_path / "ex",
               "--out", tmp_path / "p")[0] == 0
    workbench = Workbench.open(tmp_path / "wb", engine="claude")
    workbench.suggest_revision("# T\n\nA draft.\n", "Shorter.")
    kinds = {"warm-up": lambda b: b["max_tokens"] == 0, "optimizer turn with tool results":
             lambda b: b.get("tools") and any(isinstance(m["content"], list) and m["content"][0]["type"] ==
                                             "tool_result" for m in b["messages"]),
             "thinking sent back": lambda b: any(isinstance(m["content"], list) and m["content"][0]["type"] ==
                                                 "thinking" for m in b["messages"] if m["role"] == "assistant"),
             "reviewer": lambda b: "<verdict>" in str(b.get("system")), "init": lambda b: "Chatty." in str(b),
             "revision": lambda b: "Revise this draft" in last_user_text(b)}
    for kind, matches in kinds.items():
        assert any(matches(b) for b in sim.requests), f"no {kind} request was made"
    assert all(violations(body) == [] for body in sim.requests)
    assert sum(len(b["requests"]) for b in sim._batches.values()) == 8  # and the batch items (checked by the fixture)


BROKEN = [
    (lambda b: b["messages"][1]["content"][1].update(is_error="no"), "is_error as a string"),
    (lambda b: b["tools"][0].update(type="text_editor_2025"), "a tool type the SDK does not know"),
    (lambda b: b.update(temperature=0.7), "a parameter the SDK no longer has"),
    (lambda b: b["messages"][0]["content"][0].pop("signature"), "a thinking block without its signature"),
    (lambda b: b.update(output_config={"effort": "huge"}), "an effort level that does not exist"),
    (lambda b: b["messages"][1]["content"][1].update(tool_use_idd="x"), "a misspelt key"),
]


@pytest.mark.parametrize("breaks, what", BROKEN, ids=[w for _, w in BROKEN])
def test_the_contract_check_fails_on_a_broken_request(breaks, what):
    body = {"model": "claude-sonnet-5-5", "max_tokens": 100, "thinking": {"type": "adaptive"},
            "output_config": {"effort": "low"},
            "tools": [{"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"}],
            "messages": [{"role": "assistant", "content": [{"type": "thinking", "thinking": "", "signature": "c2ln"},
                                                           {"type": "tool_use", "id": "t1", "name": "x", "input": {}}]},
                         {"role": "user", "content": [{"type": "text", "text": "Go."},
                                                      {"type": "tool_result", "tool_use_id": "t1", "content": "ok",
                                                       "is_error": False}]}]}
    assert violations(body) == []
    broken = copy.deepcopy(body)
    breaks(broken)
    assert violations(broken), what


def test_a_broken_request_in_writebot_is_caught(sim, monkeypatch):
    from writebot.claude.llm import DEFAULT_MODEL, LLM
    from writebot.engines import claude as claude_engine
    from writebot.loop.registry import build_engine
    from writebot.text.pipeline import Pipeline

    monkeypatch.setattr(claude_engine, "TOOL", {"type": "text_editor_2025", "name": "str_replace_based_edit_tool"})
    sim.responder = scripted(text_reply("ok"))
    engine = build_engine("claude", llm=LLM(DEFAULT_MODEL))
    starter = Pipeline.load(bundled.starter_pipeline())
    import anthropic

    from writebot.engines.base import Evidence
    from writebot.text.topics import Topic

    topic = Topic("t", "T", ("A point.",))
    sim.expect_400 = True  # the API refuses a tool type it does not know, and so does the simulator
    with pytest.raises(anthropic.BadRequestError, match="text_editor_2025"):
        engine.update(starter, [Evidence(topic, 0, "# T\n\nA.\n", (), "# T\n\nB.\n")])
    assert sim.contract_violations and "tools" in str(sim.contract_violations[0])
    sim.contract_violations.clear()  # seen; the fixture would fail the test otherwise
