"""The Claude engine against the Messages API simulator (never the real API): request settings and prompt caching,
the text-editor tool loop, retries, usage, replay, concurrency, budget, init and the Claude-played user."""

import json
import os
import warnings

import pytest

from writebot import bundled
from writebot.claude.llm import DEFAULT_MODEL, LLM
from writebot.claude.text_editor_tool import PipelineEditor
from writebot.engines import Evidence
from writebot.errors import InputError, ReplayMiss
from writebot.loop.registry import build_engine
from writebot.store.usage import UsageLog
from writebot.testing.replies import last_user_text, scripted, text_reply, tool_reply
from writebot.text.pipeline import Pipeline
from writebot.text.topics import Topic
from writebot.users import ClaudeUser, load_persona

from .conftest import make_topics


def starter():
    return Pipeline.load(bundled.starter_pipeline())


def evidence_for(engine, pipeline, topics):
    out = []
    for t in topics:
        draft = engine.write(pipeline, t)
        out.append(Evidence(t, 0, draft, ("Say \"use\", not \"utilize\".",), draft.replace("Utilize", "Use")))
    return out


def drafts_of(sim):
    return [r for r in sim.requests if not r.get("tools") and r["max_tokens"] > 0]


def simulate(cli, tmp_path, topics_file, *args, out="r"):
    return cli("simulate", "--engine", "claude", "--topics", topics_file, "--persona", bundled.persona("warm-casual"),
               "--out", tmp_path / out, *args)


# -- writer: settings and the prompt cache ------------------------------------------------------------------
@pytest.mark.slow
def test_drafts_share_one_cached_prefix_written_once_per_version(sim, cli, tmp_path, topics_file):
    sim.latency = 0.05
    code, _, err = simulate(cli, tmp_path, topics_file, "--epochs", "0", "--concurrency", "8")
    assert code == 0, err
    drafts = drafts_of(sim)
    assert len(drafts) == 8 and len({json.dumps(r["system"], sort_keys=True) for r in drafts}) == 1
    assert drafts[0]["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "## Rules" in drafts[0]["system"][0]["text"] and "houseplants.md" in drafts[0]["system"][0]["text"]
    warm = [r for r in sim.requests if r["max_tokens"] == 0]
    assert len(warm) == 1 and warm[0]["system"] == drafts[0]["system"]
    assert (warm[0]["thinking"], warm[0]["output_config"]) == (drafts[0]["thinking"], drafts[0]["output_config"])
    writes = [u for u in sim.usage if u["cache_creation_input_tokens"]]
    assert len(writes) == 1  # the warm-up; all 8 drafts, sent together, read it
    assert all(u["cache_read_input_tokens"] / (u["cache_read_input_tokens"] + u["input_tokens"]) >= 0.8
               for u in sim.usage[1:])


def test_without_the_warm_up_concurrent_drafts_each_pay_the_cache_write(sim, tmp_path):
    # each answer takes 0.5 s, so the four drafts sent together all arrive before any cache write is readable (at
    # 0.1 s, a slow start of the first request on a loaded machine let a later one read it: 3 writes, not 4)
    sim.latency = 0.5
    engine = build_engine("claude", llm=LLM(DEFAULT_MODEL))
    engine.warm_cache = False
    from writebot.loop.budget import Never
    from writebot.loop.drafting import draft_all
    from writebot.loop.trainer import Callbacks

    class Store:  # only what draft_all touches
        def record_draft(self, record):
            pass

    from writebot.aio import run_sync
    from writebot.compare.faithfulness import OfflineJudge
    from writebot.users import PersonaUser

    user = PersonaUser(load_persona(bundled.persona("warm-casual")))
    run_sync(draft_all(Store(), engine, user, OfflineJudge(), starter(), make_topics(4), 0, 4, Callbacks(),
                       Never()))
    assert sum(1 for u in sim.usage if u["cache_creation_input_tokens"]) == 4


def test_a_prefix_below_the_models_minimum_is_not_warmed(sim):
    tiny = Pipeline({"STYLE.md": "# S\n\n## Rules\n\n- Be brief.\n", "steps/1.md": "Write.\n"})
    engine = build_engine("claude", llm=LLM(DEFAULT_MODEL))
    engine.write(tiny, make_topics(1)[0])
    engine.write(tiny, make_topics(2)[1])
    assert [r["max_tokens"] for r in sim.requests] == [8000, 8000]  # no warm-up call
    assert all(u["cache_creation_input_tokens"] == u["cache_read_input_tokens"] == 0 for u in sim.usage)


def revising_reader(body):
    """Drafts echo the brief; the Claude-played reader always asks for a greeting."""
    if "<verdict>" in (body.get("system") or ""):
        draft = last_user_text(body).split("<draft>\n", 1)[1].split("\n</draft>", 1)[0]
        title, _, rest = draft.partition("\n\n")
        return text_reply(f"<verdict>revise</verdict>\n<feedback>Greet me.</feedback>\n<post>\n{title}\n\n"
                          f"Hi friends,\n\n{rest}\n</post>")
    from writebot.testing.replies import echo_writer

    return echo_writer(body)


def test_each_purpose_sends_its_effort_thinking_and_budget(sim, cli, tmp_path, topics_file):
    sim.responder = scripted(tool_reply({"command": "view", "path": "/pipeline/STYLE.md"}), text_reply("Looked."),
                             drafts=revising_reader)
    assert simulate(cli, tmp_path, topics_file, "--epochs", "1", "--user", "claude")[0] == 0
    by_purpose = {}
    for body in sim.requests:
        purpose = "update" if body.get("tools") else "warm" if body["max_tokens"] == 0 else \
            "user" if "<verdict>" in body["system"] else "draft"
        by_purpose.setdefault(purpose, body)
    assert by_purpose["draft"]["output_config"] == {"effort": "low"} and by_purpose["draft"]["max_tokens"] == 8000
    assert by_purpose["user"]["output_config"] == {"effort": "low"}
    assert by_purpose["update"]["output_config"] == {"effort": "high"} and by_purpose["update"]["max_tokens"] == 10000
    assert all(b["thinking"] == {"type": "adaptive"} for b in by_purpose.values())


@pytest.mark.slow
def test_effort_from_the_flag_or_the_environment_per_purpose(sim, cli, tmp_path, topics_file, monkeypatch):
    assert simulate(cli, tmp_path, topics_file, "--epochs", "0", "--effort", "medium", out="a")[0] == 0
    assert {r["output_config"]["effort"] for r in sim.requests} == {"medium"}
    sim.requests.clear()
    monkeypatch.setenv("WRITEBOT_EFFORT", "draft=high")
    assert simulate(cli, tmp_path, topics_file, "--epochs", "0", out="b")[0] == 0
    assert {r["output_config"]["effort"] for r in sim.requests} == {"high"}
    assert json.loads((tmp_path / "b" / "run.json").read_text())["effort"] == "draft=high"  # resume keeps it


@pytest.mark.parametrize("args, message", [
    (["--effort", "huge"], "unknown level 'huge'"),
    (["--effort", "drafts=low"], "unknown call purpose 'drafts'"),
    (["--effort", "xhigh", "--model", "claude-opus-4-6"], "does not take effort 'xhigh'"),
])
def test_an_effort_the_model_does_not_take_is_exit_2_before_anything_is_written(sim, cli, tmp_path, topics_file,
                                                                                  args, message):
    code, _, err = simulate(cli, tmp_path, topics_file, *args)
    assert code == 2 and message in err and err.count("\n") == 1
    assert not (tmp_path / "r").exists() and sim.requests == []


def test_a_model_writebot_does_not_know_gets_no_thinking_or_effort(sim, monkeypatch):
    from writebot.testing import api_rules

    monkeypatch.setitem(api_rules.MODELS, "local-model", api_rules.MODELS["claude-haiku-4-5"])
    engine = build_engine("claude", llm=LLM("local-model"))
    engine.write(starter(), make_topics(1)[0])
    assert "thinking" not in sim.requests[0] and "output_config" not in sim.requests[0]
    assert [r["max_tokens"] for r in sim.requests] == [8000]  # and no cache warm-up for an unknown model


def test_usage_csv_sums_equal_what_the_api_reported(sim, cli, tmp_path, topics_file):
    sim.thinking_tokens = 300
    assert simulate(cli, tmp_path, topics_file, "--epochs", "1")[0] == 0
    rows = UsageLog(tmp_path / "r" / "usage.csv").rows
    assert len(rows) == len(sim.requests) == 1 + 8 + 1 + 8  # warm-up, drafts, one optimizer turn, drafts
    for column in ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"):
        assert sum(int(r[column]) for r in rows) == sum(u[column] for u in sim.usage)
    assert sum(int(r["thinking_tokens"]) for r in rows) == sum(u["output_tokens_details"]["thinking_tokens"]
                                                                for u in sim.usage) > 0
    assert {r["purpose"] for r in rows} == {"cache warm-up", "draft", "update"}
    assert {r["stop_reason"] for r in rows} == {"max_tokens", "end_turn"}  # max_tokens: the warm-up only
    assert {r["epoch"] for r in rows} == {"0", "1"}
    assert (tmp_path / "r" / "cost_per_epoch.png").stat().st_size > 5_000


def test_default_model_is_current_and_not_deprecated():
    try:
        from anthropic._data import DEPRECATED_MODELS
    except ImportError:  # anthropic < 1.12 keeps the list beside messages.create
        from anthropic.resources.messages.messages import DEPRECATED_MODELS
    from anthropic.types.model_param import ModelParam

    assert DEFAULT_MODEL not in DEPRECATED_MODELS
    assert DEFAULT_MODEL in ModelParam.__args__[0].__args__


def test_model_from_flag_then_environment(monkeypatch):
    monkeypatch.setenv("WRITEBOT_MODEL", "claude-haiku-5-5")
    from writebot.claude.llm import resolve_model

    assert resolve_model(None) == "claude-haiku-5-5"
    assert resolve_model("claude-opus-5-5") == "claude-opus-5-5"


def test_no_deprecation_warning_for_a_draft(sim):
    engine = build_engine("claude", llm=LLM(DEFAULT_MODEL))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert engine.write(starter(), make_topics(1)[0]).startswith("# ")


# -- optimizer tool loop -----------------------------------------------------------------------------------
def test_tool_loop_runs_each_command_and_lands_one_new_version(sim):
    sim.responder = scripted(
        tool_reply({"command": "view", "path": "/pipeline"}, {"command": "view", "path": "/pipeline/STYLE.md",
                                                                "view_range": [1, 3]}),
        tool_reply({"command": "str_replace", "path": "/pipeline/STYLE.md",
                    "old_str": "- Open with the line: Hello, dear readers!",
                    "new_str": "- Open with the line: Hi friends,"}),
        tool_reply({"command": "insert", "path": "/pipeline/STYLE.md", "insert_line": 26,
                    "insert_text": '- Replace "utilize" with "use".'},
                   {"command": "create", "path": "examples/short.md", "file_text": "# Short\n\nHi friends,\n"}),
        text_reply("Swapped the greeting and banned 'utilize', because the user edits both every time."),
        # the lint sends it back once (the examples still greet the old way); it answers with its rationale again
        text_reply("Swapped the greeting and banned 'utilize'; the examples keep their greeting for now."),
    )
    engine = build_engine("claude", llm=LLM(DEFAULT_MODEL))
    before = starter()
    update = engine.update(before, evidence_for(engine, before, make_topics(2)))
    after = update.pipeline
    assert "Open with the line: Hi friends," in after.files["STYLE.md"]
    assert 'Replace "utilize" with "use".' in after.files["STYLE.md"].splitlines()[26]
    assert after.files["examples/short.md"] == "# Short\n\nHi friends,\n"
    assert update.rationale.startswith("Swapped the greeting") and update.failed is None
    assert before == starter()  # the input version is untouched
    optimizer = [r for r in sim.requests if r.get("tools")]
    assert optimizer[0]["tools"] == [{"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"}]
    results = optimizer[1]["messages"][-1]["content"]
    assert "/pipeline/STYLE.md" in results[0]["content"] and results[1]["content"].startswith("1: # Style guide")
    assert not any(r["is_error"] for r in results)
    assert len(optimizer) == 5  # the examples still greet the old way: the proposal went back once (§5 `example`)
    sent_back = optimizer[4]["messages"][-1]["content"]
    assert "examples/bike-chain.md does not follow 'Open with the line: Hi friends,'" in sent_back[0]["text"]


def test_thinking_blocks_go_back_unmodified_and_blank_text_is_dropped(sim):
    sim.thinking_tokens = 200
    sim.responder = scripted(
        {"content": [{"type": "text", "text": " \n"}, {"type": "tool_use", "name": "str_replace_based_edit_tool",
                                                       "input": {"command": "view", "path": "/pipeline/STYLE.md"}}],
         "stop_reason": "tool_use"},
        text_reply("Nothing to change."))
    engine = build_engine("claude", llm=LLM(DEFAULT_MODEL))
    engine.update(starter(), evidence_for(engine, starter(), make_topics(1)))
    first, second = [r for r in sim.requests if r.get("tools")]
    answer = next(x for x in sim.responses if any(b["type"] == "tool_use" for b in x["content"]))
    sent_back = second["messages"][1]["content"]
    assert sent_back[0] == answer["content"][0] and sent_back[0]["type"] == "thinking"  # signature and all
    assert [b["type"] for b in sent_back] == ["thinking", "tool_use"]  # the whitespace text block is gone
    assert not sim.errors


def test_viewing_an_empty_file_gives_a_placeholder_not_an_empty_result(sim):
    sim.responder = scripted(tool_reply({"command": "create", "path": "/pipeline/notes.md", "file_text": ""}),
                             tool_reply({"command": "view", "path": "/pipeline/notes.md"}), text_reply("ok"))
    engine = build_engine("claude", llm=LLM(DEFAULT_MODEL))
    engine.update(starter(), evidence_for(engine, starter(), make_topics(1)))
    result = [r for r in sim.requests if r.get("tools")][2]["messages"][-1]["content"][0]
    assert result["content"] == "(/pipeline/notes.md is empty)" and not sim.errors


def test_later_optimizer_turns_read_the_conversation_so_far_from_the_cache(sim):
    sim.responder = scripted(*[tool_reply({"command": "view", "path": "/pipeline/STYLE.md"})] * 4, text_reply("ok"))
    engine = build_engine("claude", llm=LLM(DEFAULT_MODEL))
    engine.update(starter(), evidence_for(engine, starter(), make_topics(6)))
    turns = [u for r, u in zip(sim.requests, sim.usage, strict=True) if r.get("tools")]
    assert len(turns) == 5
    for usage in turns[1:]:
        total = usage["input_tokens"] + usage["cache_read_input_tokens"] + usage["cache_creation_input_tokens"]
        assert usage["cache_read_input_tokens"] / total >= 0.8
    breakpoints = [sum("cache_control" in b for m in r["messages"] for b in m["content"])
                   for r in sim.requests if r.get("tools")]
    assert breakpoints == [1] * 5  # one moving breakpoint, never more than the API's limit of 4


@pytest.mark.parametrize("call", [
    {"command": "create", "path": "/etc/writebot-escape", "file_text": "x"},
    {"command": "create", "path": "../escape.md", "file_text": "x"},
    {"command": "create", "path": "/pipeline/../../escape.md", "file_text": "x"},
    {"command": "view", "path": "/etc"},
    {"command": "str_replace", "path": "/tmp/x", "old_str": "a", "new_str": "b"},
])
def test_escape_attempts_are_refused_and_nothing_is_written(sim, tmp_path, call):
    sim.responder = scripted(tool_reply(call), text_reply("Tried."))
    engine = build_engine("claude", llm=LLM(DEFAULT_MODEL))
    update = engine.update(starter(), evidence_for(engine, starter(), make_topics(1)))
    result = [r for r in sim.requests if r.get("tools")][1]["messages"][-1]["content"][0]
    assert result["is_error"] and "pipeline" in result["content"]
    assert update.pipeline == starter()
    assert not os.path.exists("/etc/writebot-escape") and not (tmp_path.parent / "escape.md").exists()


@pytest.mark.parametrize("call, message", [
    ({"path": "/pipeline/STYLE.md"}, "unknown command"),
    ({"command": "delete", "path": "/pipeline/STYLE.md"}, "unknown command"),
    ({"command": "str_replace", "path": "/pipeline/STYLE.md", "old_str": "not there", "new_str": "x"}, "0 times"),
    ({"command": "str_replace", "path": "/pipeline/STYLE.md", "old_str": "- ", "new_str": "x"}, "must match"),
    ({"command": "insert", "path": "/pipeline/STYLE.md", "insert_line": "two", "insert_text": "x"}, "whole number"),
    ({"command": "insert", "path": "/pipeline/STYLE.md", "insert_line": 999, "insert_text": "x"}, "outside"),
    ({"command": "view", "path": "/pipeline/STYLE.md", "view_range": [5]}, "view_range"),
    ({"command": "create", "path": "/pipeline/x.md"}, "'file_text' must be a string"),
    ({"command": "view", "path": 7}, "'path' must be"),
])
def test_malformed_tool_input_is_a_tool_error_and_the_loop_goes_on(sim, call, message):
    sim.responder = scripted(tool_reply(call), tool_reply({"command": "str_replace", "path": "/pipeline/STYLE.md",
                                                           "old_str": "Hello, dear readers!", "new_str": "Hi!"}),
                             text_reply("Fixed the greeting."))
    engine = build_engine("claude", llm=LLM(DEFAULT_MODEL))
    update = engine.update(starter(), evidence_for(engine, starter(), make_topics(1)))
    first = [r for r in sim.requests if r.get("tools")][1]["messages"][-1]["content"][0]
    assert first["is_error"] and message in first["content"]
    assert "Open with the line: Hi!" in update.pipeline.files["STYLE.md"]


def test_style_budget_refuses_an_edit_that_grows_the_guide_too_much():
    from writebot.text.pipeline import without_comments

    editor = PipelineEditor(starter().files, style_budget=len(without_comments(starter().files["STYLE.md"])) + 10)
    output, is_error = editor.run({"command": "insert", "path": "/pipeline/STYLE.md", "insert_line": 1,
                                   "insert_text": "x" * 50})
    assert is_error and "over its budget" in output
    assert editor.files == starter().files


def test_turn_limit_stops_the_loop(sim):
    sim.responder = scripted(*[tool_reply({"command": "view", "path": "/pipeline"})] * 10)
    engine = build_engine("claude", llm=LLM(DEFAULT_MODEL))
    engine.max_turns = 3
    update = engine.update(starter(), evidence_for(engine, starter(), make_topics(1)))
    assert "turn limit of 3" in update.rationale
    assert len([r for r in sim.requests if r.get("tools")]) == 3


def test_symlink_out_of_the_pipeline_is_refused(tmp_path):
    starter().save(tmp_path / "p")
    (tmp_path / "secret.txt").write_text("secret")
    (tmp_path / "p" / "examples" / "leak.md").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(InputError, match="symlink that points outside"):
        Pipeline.load(tmp_path / "p")


# -- retries, budget, concurrency --------------------------------------------------------------------------
def test_a_529_is_retried_by_the_sdk(sim):
    sim.faults.extend([529, 529])
    llm = LLM(DEFAULT_MODEL)
    text = build_engine("claude", llm=llm).write(starter(), make_topics(1)[0])
    assert text.startswith("# ") and sim.message_calls == 4 and len(llm.usage.rows) == 2  # warm-up + draft


def test_missing_api_key_is_a_one_line_error(cli, monkeypatch, tmp_path, topics_file):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    code, _, err = simulate(cli, tmp_path, topics_file)
    assert code == 2 and err.count("\n") == 1
    assert "ANTHROPIC_API_KEY" in err and "--engine rules" in err
    assert not (tmp_path / "r").exists()


def test_budget_stops_cleanly_and_resume_with_more_finishes(sim, cli, tmp_path, topics_file):
    out = tmp_path / "r"
    code, _, err = simulate(cli, tmp_path, topics_file, "--epochs", "1", "--concurrency", "1",
                            "--max-cost-usd", "0.000001")
    assert code == 0 and "stopped cleanly" in err
    assert json.loads((out / "run.json").read_text())["status"] == "stopped"
    assert len((out / "feedback.jsonl").read_text().splitlines()) == 1  # the one step that crossed the limit
    code, _, err = cli("resume", out, "--max-cost-usd", "100")
    assert code == 0, err
    assert len((out / "feedback.jsonl").read_text().splitlines()) == 16
    assert json.loads((out / "run.json").read_text())["status"] == "complete"


@pytest.mark.slow
def test_concurrency_is_bounded(sim, cli, tmp_path, write_yaml):
    sim.latency = 0.1
    topics = write_yaml("t.yaml", [t.to_dict() for t in make_topics(12)])
    assert simulate(cli, tmp_path, topics, "--epochs", "0", "--concurrency", "3")[0] == 0
    assert sim.max_in_flight == 3


# -- record and replay -------------------------------------------------------------------------------------
@pytest.mark.slow
def test_record_then_replay_offline_and_a_miss_is_a_clear_error(sim, cli, tmp_path, topics_file, monkeypatch):
    cassette = tmp_path / "run.cassette.jsonl"
    persona = bundled.persona("warm-casual")
    common = ["--topics", topics_file, "--persona", persona, "--epochs", "1", "--concurrency", "1"]
    assert cli("simulate", "--engine", "claude", *common, "--record", cassette, "--out", tmp_path / "live")[0] == 0
    recorded = len(sim.requests)
    sim.stop()
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")  # nothing listens: a live call would fail
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    code, _, err = cli("simulate", "--engine", "replay", "--cassette", cassette, *common, "--out", tmp_path / "replay")
    assert code == 0, err
    live = [json.loads(x)["draft"] for x in (tmp_path / "live" / "feedback.jsonl").read_text().splitlines()]
    again = [json.loads(x)["draft"] for x in (tmp_path / "replay" / "feedback.jsonl").read_text().splitlines()]
    assert live == again and recorded == len(cassette.read_text().splitlines())
    other = tmp_path / "other"  # a different pipeline makes different requests: a miss, never a live call
    starter().with_file("STYLE.md", starter().files["STYLE.md"] + "\n- Be brief.\n").save(other)
    code, _, err = cli("simulate", "--engine", "replay", "--cassette", cassette, *common, "--pipeline", other,
                       "--out", tmp_path / "miss")
    assert code == 2 and "not in the cassette" in err and err.count("\n") == 1


def test_replay_miss_is_raised_by_the_llm_layer(tmp_path):
    cassette = tmp_path / "empty.jsonl"
    cassette.write_text("")
    llm = LLM(DEFAULT_MODEL, replay=cassette)
    with pytest.raises(ReplayMiss):
        build_engine("replay", llm=llm).write(starter(), make_topics(1)[0])


# -- the Claude-played user --------------------------------------------------------------------------------
def test_claude_user_judges_first_then_revises_with_feedback(sim):
    persona = load_persona(bundled.persona("warm-casual"))

    def respond(body):
        draft = last_user_text(body)
        if "Hi friends" in draft:
            return text_reply("<verdict>fits</verdict>")
        return text_reply("<verdict>revise</verdict>\n<feedback>Too stiff; greet me.</feedback>\n"
                          "<post>\n# T\n\nHi friends,\n\nBody.\n</post>")

    sim.responder = respond
    user = ClaudeUser(persona, LLM(DEFAULT_MODEL))
    topic = Topic("t", "T", ("Body.",))
    fits = user.review(topic, "# T\n\nHi friends,\n\nBody.\n")
    assert fits.ground_truth == "# T\n\nHi friends,\n\nBody.\n" and fits.feedback == []
    revised = user.review(topic, "# T\n\nBody.\n")
    assert revised.ground_truth == "# T\n\nHi friends,\n\nBody.\n" and revised.feedback == ["Too stiff; greet me."]
    assert revised.by == "claude:warm-casual"
    assert persona.description in sim.requests[0]["system"]


def test_user_claude_from_the_cli_and_the_key_never_reaches_the_run_folder(sim, cli, tmp_path, topics_file,
                                                                          monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-SECRET-do-not-store")
    out, cassette = tmp_path / "r", tmp_path / "c.jsonl"
    code, _, err = simulate(cli, tmp_path, topics_file, "--user", "claude", "--epochs", "0", "--record", cassette)
    assert code == 0, err
    records = [json.loads(x) for x in (out / "feedback.jsonl").read_text().splitlines()]
    assert {r["by"] for r in records} == {"claude:warm-casual"}
    assert {r["purpose"] for r in UsageLog(out / "usage.csv").rows} == {"cache warm-up", "draft", "user"}
    for path in [cassette, *out.rglob("*")]:
        if path.is_file():
            assert b"SECRET" not in path.read_bytes(), path


# -- init ---------------------------------------------------------------------------------------------------
def examples(tmp_path):
    folder = tmp_path / "examples"
    folder.mkdir(exist_ok=True)
    bodies = {"a": "We're here. It's fun. Don't stop. I'm glad.", "b": "It's sunny. We're out. You'll see."}
    for name, body in bodies.items():
        post = f"# Post Number {name.upper()}{name.upper()}\n\nHey there!\n\n## Why It Works\n\n{body}\n\nCheers, Sam\n"
        (folder / f"{name}.md").write_text(post, encoding="utf-8")
    return folder


def test_init_offline_mines_rules_the_examples_agree_on(cli, tmp_path):
    code, out, err = cli("init", "--description", "Chatty and short.", "--examples", examples(tmp_path),
                         "--out", tmp_path / "p")
    assert code == 0, err
    pipeline = Pipeline.load(tmp_path / "p")
    assert pipeline.style.prose.strip().endswith("Chatty and short.")
    assert set(pipeline.style.rules) >= {"Open with the line: Hey there!", "Close with the line: Cheers, Sam",
                                         "Write headings in title case.",
                                         "Use contractions (don't, it's, we're, can't, ...)."}
    assert "examples/a.md" in pipeline.files and pipeline.steps


def test_init_with_claude_writes_style_and_steps_with_the_editor(sim, cli, tmp_path):
    sim.responder = scripted(
        tool_reply({"command": "view", "path": "/pipeline/examples/a.md"}),
        tool_reply({"command": "create", "path": "/pipeline/STYLE.md",
                    "file_text": "# Style guide\n\nChatty.\n\n## Rules\n\n- Use contractions.\n\n## Notes\n"},
                   {"command": "create", "path": "/pipeline/steps/01_draft.md", "file_text": "Write it.\n"}),
        text_reply("Wrote a short guide."))
    code, out, err = cli("init", "--engine", "claude", "--description", "Chatty.", "--examples", examples(tmp_path),
                         "--out", tmp_path / "p")
    assert code == 0, err
    pipeline = Pipeline.load(tmp_path / "p")
    assert pipeline.style.rules == ("Use contractions.",) and pipeline.steps == {"steps/01_draft.md": "Write it.\n"}
    assert "Chatty." in sim.requests[0]["messages"][0]["content"][0]["text"]
    assert sim.requests[0]["output_config"] == {"effort": "high"}


@pytest.mark.parametrize("args, message", [
    (["--description", " ", "--examples", "EX"], "--description is empty"),
    (["--description", "x", "--examples", "MISSING"], "examples folder not found"),
    (["--description", "x", "--examples", "EMPTY"], "no .md files"),
])
def test_init_bad_input(cli, tmp_path, args, message):
    (tmp_path / "empty").mkdir()
    subs = {"EX": str(examples(tmp_path)), "MISSING": str(tmp_path / "nope"), "EMPTY": str(tmp_path / "empty")}
    code, _, err = cli("init", *[subs.get(a, a) for a in args], "--out", tmp_path / "p")
    assert code == 2 and message in err and err.count("\n") == 1


# -- the shipped cassette -------------------------------------------------------------------------------------
@pytest.mark.slow
def test_shipped_cassette_replays_offline_and_shows_learning(cli, tmp_path, monkeypatch):
    recipe = bundled.demo_cassette()
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.delenv("WRITEBOT_MODEL", raising=False)
    code, out, err = cli("simulate", "--engine", "replay", "--cassette", recipe.cassette, "--topics", recipe.topics,
                         "--persona", recipe.persona, "--epochs", recipe.epochs, "--concurrency", recipe.concurrency,
                         "--out", tmp_path / "replay")
    assert code == 0, err
    rows = [line.split() for line in out.splitlines()[2:5]]
    assert float(rows[-1][4]) < float(rows[0][4])  # val words fell
    assert "LLM calls" in out


def test_the_demo_replays_from_its_recipe_the_way_notebook_04_does(tmp_path, monkeypatch):
    from writebot.runs import replay_demo
    from writebot.store.run_folder import RunStore

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    run = RunStore.open(replay_demo(tmp_path / "replay"))
    assert run.config["status"] == "complete" and max(run.versions()) == bundled.demo_cassette().epochs


def test_shipped_cassette_is_current(tmp_path, monkeypatch):
    """The cassette must be re-recorded when prompts or bundled data change, or replay would miss."""
    import importlib.util

    from .conftest import ROOT

    spec = importlib.util.spec_from_file_location("record_demo_cassette", ROOT / "dev" / "record_demo_cassette.py")
    recorder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recorder)
    fresh = tmp_path / "fresh.jsonl"
    recorder.record(fresh, tmp_path / "run")
    keys = [json.loads(x)["key"] for x in fresh.read_text().splitlines()]
    shipped = bundled.demo_cassette().cassette
    assert keys == [json.loads(x)["key"] for x in shipped.read_text().splitlines()], (
        "stale cassette: run python dev/record_demo_cassette.py")


@pytest.mark.slow
def test_a_resumed_run_keeps_the_effort_it_started_with(sim, cli, tmp_path, topics_file, monkeypatch):
    out = tmp_path / "r"
    monkeypatch.setenv("WRITEBOT_EFFORT", "medium")
    assert simulate(cli, tmp_path, topics_file, "--epochs", "0", "--concurrency", "1",
                    "--max-cost-usd", "0.000001")[0] == 0  # stopped after the first draft
    monkeypatch.setenv("WRITEBOT_EFFORT", "xhigh")  # what this shell says now does not change the run
    sim.requests.clear()
    assert cli("resume", out, "--max-cost-usd", "100")[0] == 0
    assert {r["output_config"]["effort"] for r in sim.requests} == {"medium"}
    monkeypatch.setenv("WRITEBOT_EFFORT", "low")
    assert simulate(cli, tmp_path, topics_file, "--epochs", "0", "--effort", "", out="defaults")[0] == 0
    assert json.loads((tmp_path / "defaults" / "run.json").read_text())["effort"] == ""


@pytest.mark.slow
def test_a_server_that_refuses_the_warm_up_still_gets_its_drafts(sim, cli, tmp_path, topics_file):
    sim.expect_400 = True
    sim.fault_for = lambda body: 400 if body["max_tokens"] == 0 else None
    code, _, err = simulate(cli, tmp_path, topics_file, "--epochs", "1", "--concurrency", "4")
    assert code == 0, err
    assert sum(r["max_tokens"] == 0 for r in sim.requests) == 0 and len(sim.errors) == 1  # tried once, then not
    code, _, err = simulate(cli, tmp_path, topics_file, "--epochs", "0", "--no-cache-warmup", out="off")
    assert code == 0 and len(sim.errors) == 1


@pytest.mark.slow
def test_the_update_column_says_what_its_figures_are(sim, cli, tmp_path, topics_file):
    """Online with Claude (a deferred gate), each round drafts another topic: no topic is in both rounds, and the
    table says so instead of "accepted (0 -> 0 words)" beside a round that edited words."""
    from writebot.report import summary_table
    from writebot.store.run_folder import RunStore
    from writebot.testing.stand_in import respond

    sim.responder = respond  # writes with the rules writer and edits STYLE.md as the rules learner would
    code, _, err = simulate(cli, tmp_path, topics_file, "--online", "--epochs", "1")
    assert code == 0, err
    run = RunStore.open(tmp_path / "r")
    table = summary_table(run)
    rows = [line for line in table.splitlines() if line[:5].strip().isdigit()]
    judged = [e for e in range(len(rows)) if (v := run.verdict_for(e)) and v.topics_compared == 0]
    assert judged, "every round's update was judged on a topic of the next round: the case is not met"
    for epoch in judged:
        assert rows[epoch].endswith("no topic in both rounds, nothing compared"), rows[epoch]
    assert "0 -> 0" not in table and "reviewed in both rounds" in table


@pytest.mark.slow
def test_the_update_column_of_an_offline_run_is_a_replay(cli, tmp_path, topics_file):
    from writebot.report import summary_table
    from writebot.store.run_folder import RunStore

    assert cli("simulate", "--topics", topics_file, "--persona", bundled.persona("warm-casual"), "--epochs", "1",
               "--out", tmp_path / "r")[0] == 0
    run = RunStore.open(tmp_path / "r")
    update = run.verdict_for(0)
    table = summary_table(run)
    assert (f"{update.status}: {update.train_cost_before} -> {update.train_cost_after} replayed"
            in table.splitlines()[2])
    train = [r.word_edit_distance for r in run.draft_records if r.epoch == 0 and r.split == "train"]
    assert update.train_cost_before == sum(train)  # a is the sum the footnote says
    assert "'train words' is their mean per draft" in table and "against the same ground truths (replayed" in table
