"""The Claude engine against a loopback stub of /v1/messages (never the real API): request shape and prompt
caching, the text-editor tool loop, refusals, retries, usage, replay, concurrency, budget, the Claude user."""

import json
import os
import warnings

import anthropic
import pytest

from writebot import bundled
from writebot.editor import PipelineEditor
from writebot.engines import Evidence, make_engine
from writebot.errors import InputError
from writebot.llm import DEFAULT_MODEL, LLM, ReplayMiss, UsageLog
from writebot.pipeline import Pipeline
from writebot.stub import StubServer, echo_writer, last_user_text, text_reply, tool_reply
from writebot.topics import Topic
from writebot.users import ClaudeUser, load_persona

from .conftest import make_topics


@pytest.fixture
def stub(monkeypatch):
    server = StubServer().start()
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key-not-real")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    monkeypatch.delenv("WRITEBOT_MODEL", raising=False)
    yield server
    server.stop()


def starter():
    return Pipeline.load(bundled.starter_pipeline())


def evidence_for(engine, pipeline, topics):
    out = []
    for t in topics:
        draft = engine.write(pipeline, t)
        out.append(Evidence(t, 0, draft, ("Say \"use\", not \"utilize\".",), draft.replace("Utilize", "Use")))
    return out


def scripted(*turns):
    """A responder that answers optimizer requests with the given turns in order, and drafts with echo_writer."""
    queue = list(turns)

    def respond(body):
        if body.get("tools"):
            return queue.pop(0) if queue else text_reply("Done.")
        return echo_writer(body)

    return respond


# -- writer ------------------------------------------------------------------------------------------------
def test_drafts_share_one_byte_identical_cached_prefix_and_read_it_from_cache(stub, cli, tmp_path, topics_file):
    code, out, err = cli("simulate", "--engine", "claude", "--topics", topics_file, "--persona",
                         bundled.persona("warm-casual"), "--epochs", "0", "--concurrency", "1", "--out", tmp_path / "r")
    assert code == 0, err
    drafts = [r for r in stub.requests if not r.get("tools")]
    assert len(drafts) == 8
    systems = {json.dumps(r["system"], sort_keys=True) for r in drafts}
    assert len(systems) == 1
    system = drafts[0]["system"]
    assert system[-1]["cache_control"] == {"type": "ephemeral"}
    assert "## Rules" in system[0]["text"] and "houseplants.md" in system[0]["text"]
    assert drafts[0]["model"] == DEFAULT_MODEL
    later = stub.usage[1:]
    assert all(u["cache_read_input_tokens"] / (u["cache_read_input_tokens"] + u["input_tokens"]) >= 0.8
               for u in later)


def test_usage_csv_sums_equal_what_the_stub_reported(stub, cli, tmp_path, topics_file):
    assert cli("simulate", "--engine", "claude", "--topics", topics_file, "--persona", bundled.persona("warm-casual"),
               "--epochs", "1", "--out", tmp_path / "r")[0] == 0
    rows = UsageLog(tmp_path / "r" / "usage.csv").rows
    assert len(rows) == len(stub.requests) == 8 + 1 + 8  # drafts, one optimizer turn, drafts
    for column in ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"):
        assert sum(int(r[column]) for r in rows) == sum(u[column] for u in stub.usage)
    assert {r["purpose"] for r in rows} == {"draft", "update"}
    assert sum(float(r["cost_usd"]) for r in rows) > 0
    assert {r["epoch"] for r in rows} == {"0", "1"}  # every call says which epoch it belongs to
    assert (tmp_path / "r" / "cost_per_epoch.png").stat().st_size > 5_000


def test_default_model_is_current_and_not_deprecated():
    from anthropic._data import DEPRECATED_MODELS
    from anthropic.types.model_param import ModelParam

    assert DEFAULT_MODEL not in DEPRECATED_MODELS
    assert DEFAULT_MODEL in ModelParam.__args__[0].__args__


def test_model_from_flag_then_environment(stub, monkeypatch):
    monkeypatch.setenv("WRITEBOT_MODEL", "claude-haiku-5-5")
    from writebot.llm import resolve_model

    assert resolve_model(None) == "claude-haiku-5-5"
    assert resolve_model("claude-opus-5-5") == "claude-opus-5-5"


def test_no_deprecation_warning_for_a_draft(stub):
    engine = make_engine("claude", llm=LLM(DEFAULT_MODEL))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert engine.write(starter(), make_topics(1)[0]).startswith("# ")


# -- optimizer tool loop -----------------------------------------------------------------------------------
def test_tool_loop_runs_each_command_and_lands_one_new_version(stub):
    stub.responder = scripted(
        tool_reply({"command": "view", "path": "/pipeline"}, {"command": "view", "path": "/pipeline/STYLE.md",
                                                                "view_range": [1, 3]}),
        tool_reply({"command": "str_replace", "path": "/pipeline/STYLE.md",
                    "old_str": "- Open with the line: Hello, dear readers!",
                    "new_str": "- Open with the line: Hi friends,"}),
        tool_reply({"command": "insert", "path": "/pipeline/STYLE.md", "insert_line": 12,
                    "insert_text": '- Replace "utilize" with "use".'},
                   {"command": "create", "path": "examples/short.md", "file_text": "# Short\n\nHi friends,\n"}),
        text_reply("Swapped the greeting and banned 'utilize', because the user edits both every time."),
    )
    engine = make_engine("claude", llm=LLM(DEFAULT_MODEL))
    before = starter()
    update = engine.update(before, evidence_for(engine, before, make_topics(2)))
    after = update.pipeline
    assert "Open with the line: Hi friends," in after.files["STYLE.md"]
    assert 'Replace "utilize" with "use".' in after.files["STYLE.md"].splitlines()[12]
    assert after.files["examples/short.md"] == "# Short\n\nHi friends,\n"
    assert update.rationale.startswith("Swapped the greeting")
    assert before == starter()  # the input version is untouched
    optimizer = [r for r in stub.requests if r.get("tools")]
    assert optimizer[0]["tools"] == [{"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"}]
    results = optimizer[1]["messages"][-1]["content"]
    assert "/pipeline/STYLE.md" in results[0]["content"] and results[1]["content"].startswith("1: # Style guide")
    assert not any(r["is_error"] for r in results)
    assert len(optimizer) == 4


@pytest.mark.parametrize("call", [
    {"command": "create", "path": "/etc/writebot-escape", "file_text": "x"},
    {"command": "create", "path": "../escape.md", "file_text": "x"},
    {"command": "create", "path": "/pipeline/../../escape.md", "file_text": "x"},
    {"command": "view", "path": "/etc"},
    {"command": "str_replace", "path": "/tmp/x", "old_str": "a", "new_str": "b"},
])
def test_escape_attempts_are_refused_and_nothing_is_written(stub, tmp_path, call):
    stub.responder = scripted(tool_reply(call), text_reply("Tried."))
    engine = make_engine("claude", llm=LLM(DEFAULT_MODEL))
    update = engine.update(starter(), evidence_for(engine, starter(), make_topics(1)))
    result = [r for r in stub.requests if r.get("tools")][1]["messages"][-1]["content"][0]
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
def test_malformed_tool_input_is_a_tool_error_and_the_loop_goes_on(stub, call, message):
    stub.responder = scripted(tool_reply(call), tool_reply({"command": "str_replace", "path": "/pipeline/STYLE.md",
                                                            "old_str": "Hello, dear readers!", "new_str": "Hi!"}),
                              text_reply("Fixed the greeting."))
    engine = make_engine("claude", llm=LLM(DEFAULT_MODEL))
    update = engine.update(starter(), evidence_for(engine, starter(), make_topics(1)))
    first = [r for r in stub.requests if r.get("tools")][1]["messages"][-1]["content"][0]
    assert first["is_error"] and message in first["content"]
    assert "Open with the line: Hi!" in update.pipeline.files["STYLE.md"]


def test_style_budget_refuses_an_edit_that_grows_the_guide_too_much():
    editor = PipelineEditor(starter().files, style_budget=len(starter().files["STYLE.md"]) + 10)
    output, is_error = editor.run({"command": "insert", "path": "/pipeline/STYLE.md", "insert_line": 1,
                                   "insert_text": "x" * 50})
    assert is_error and "over its budget" in output
    assert editor.files == starter().files


def test_turn_limit_stops_the_loop(stub):
    stub.responder = scripted(*[tool_reply({"command": "view", "path": "/pipeline"})] * 10)
    engine = make_engine("claude", llm=LLM(DEFAULT_MODEL))
    engine.max_turns = 3
    update = engine.update(starter(), evidence_for(engine, starter(), make_topics(1)))
    assert "turn limit of 3" in update.rationale
    assert len([r for r in stub.requests if r.get("tools")]) == 3


def test_symlink_out_of_the_pipeline_is_refused(tmp_path):
    starter().save(tmp_path / "p")
    (tmp_path / "secret.txt").write_text("secret")
    (tmp_path / "p" / "examples" / "leak.md").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(InputError, match="symlink that points outside"):
        Pipeline.load(tmp_path / "p")


# -- errors, retries, budget -------------------------------------------------------------------------------
def test_a_529_is_retried(stub):
    stub.failures.extend([529, 529])
    llm = LLM(DEFAULT_MODEL)
    text = make_engine("claude", llm=llm).write(starter(), make_topics(1)[0])
    assert text.startswith("# ") and len(stub.requests) == 3 and len(llm.usage.rows) == 1


def test_exhausted_retries_fail_the_step_cleanly_and_resume_continues(stub, cli, tmp_path, topics_file):
    stub.responder = scripted(tool_reply({"command": "str_replace", "path": "/pipeline/STYLE.md",
                                          "old_str": "Hello, dear readers!", "new_str": "Hi!"}), text_reply("ok"))
    original = stub._message

    def overloaded_optimizer(body):  # every optimizer request (and each SDK retry of it) gets a 529
        if body.get("tools"):
            with stub._lock:
                stub.requests.append(body)
            return 529, {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}
        return original(body)

    stub._message = overloaded_optimizer
    out = tmp_path / "r"
    code, _, err = cli("simulate", "--engine", "claude", "--topics", topics_file, "--persona",
                       bundled.persona("warm-casual"), "--epochs", "1", "--out", out)
    assert code == 1 and "Claude API error after retries" in err and "writebot resume" in err
    assert err.count("\n") == 1
    run_json = json.loads((out / "run.json").read_text())
    assert run_json["status"] == "failed" and "Overloaded" in run_json["error"]
    assert not (out / "versions" / "epoch_001").exists() and not (out / "updates.jsonl").exists()
    assert len([r for r in stub.requests if r.get("tools")]) == 5  # the first try and 4 SDK retries
    assert len((out / "feedback.jsonl").read_text().splitlines()) == 8
    stub._message = original  # the API is back
    code, stdout, err = cli("resume", out)
    assert code == 0, err
    assert json.loads((out / "run.json").read_text())["status"] == "complete"
    assert "Open with the line: Hi!" in (out / "versions" / "epoch_001" / "STYLE.md").read_text()


def test_missing_api_key_is_a_one_line_error(cli, monkeypatch, tmp_path, topics_file):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    code, _, err = cli("simulate", "--engine", "claude", "--topics", topics_file, "--persona",
                       bundled.persona("warm-casual"), "--out", tmp_path / "r")
    assert code == 2 and err.count("\n") == 1
    assert "ANTHROPIC_API_KEY" in err and "--engine rules" in err
    assert not (tmp_path / "r").exists()


def test_budget_stops_cleanly_and_resume_with_more_finishes(stub, cli, tmp_path, topics_file):
    out = tmp_path / "r"
    code, _, err = cli("simulate", "--engine", "claude", "--topics", topics_file, "--persona",
                       bundled.persona("warm-casual"), "--epochs", "1", "--concurrency", "1",
                       "--max-cost-usd", "0.000001", "--out", out)
    assert code == 0 and "stopped cleanly" in err
    assert json.loads((out / "run.json").read_text())["status"] == "stopped"
    assert len((out / "feedback.jsonl").read_text().splitlines()) == 1  # the one step that crossed the limit
    code, _, err = cli("resume", out, "--max-cost-usd", "100")
    assert code == 0, err
    assert len((out / "feedback.jsonl").read_text().splitlines()) == 16
    assert json.loads((out / "run.json").read_text())["status"] == "complete"


# -- concurrency -------------------------------------------------------------------------------------------
def test_concurrency_is_bounded(stub, cli, tmp_path, write_yaml):
    stub.latency = 0.1
    topics = write_yaml("t.yaml", [t.to_dict() for t in make_topics(12)])
    assert cli("simulate", "--engine", "claude", "--topics", topics, "--persona", bundled.persona("warm-casual"),
               "--epochs", "0", "--concurrency", "3", "--out", tmp_path / "r")[0] == 0
    assert stub.max_in_flight == 3


# -- record and replay -------------------------------------------------------------------------------------
def test_record_then_replay_offline_and_a_miss_is_a_clear_error(stub, cli, tmp_path, topics_file, monkeypatch):
    cassette = tmp_path / "run.cassette.jsonl"
    persona = bundled.persona("warm-casual")
    common = ["--topics", topics_file, "--persona", persona, "--epochs", "1", "--concurrency", "1"]
    assert cli("simulate", "--engine", "claude", *common, "--record", cassette, "--out", tmp_path / "live")[0] == 0
    recorded = len(stub.requests)
    stub.stop()
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")  # nothing listens: a live call would fail
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    code, _, err = cli("simulate", "--engine", "replay", "--cassette", cassette, *common, "--out", tmp_path / "replay")
    assert code == 0, err
    live = [json.loads(x)["draft"] for x in (tmp_path / "live" / "feedback.jsonl").read_text().splitlines()]
    again = [json.loads(x)["draft"] for x in (tmp_path / "replay" / "feedback.jsonl").read_text().splitlines()]
    assert live == again and recorded == len(cassette.read_text().splitlines())
    # a different pipeline makes different requests: a miss, never a live call
    other = tmp_path / "other"
    starter().with_file("STYLE.md", starter().files["STYLE.md"] + "\n- Be brief.\n").save(other)
    code, _, err = cli("simulate", "--engine", "replay", "--cassette", cassette, *common, "--pipeline", other,
                       "--out", tmp_path / "miss")
    assert code == 2 and "not in the cassette" in err and err.count("\n") == 1


def test_replay_miss_is_raised_by_the_llm_layer(tmp_path):
    cassette = tmp_path / "empty.jsonl"
    cassette.write_text("")
    llm = LLM(DEFAULT_MODEL, replay=cassette)
    with pytest.raises(ReplayMiss):
        make_engine("replay", llm=llm).write(starter(), make_topics(1)[0])


# -- the Claude-played user --------------------------------------------------------------------------------
def test_claude_user_judges_first_then_revises_with_feedback(stub):
    persona = load_persona(bundled.persona("warm-casual"))

    def respond(body):
        draft = last_user_text(body)
        if "Hi friends" in draft:
            return text_reply("<verdict>fits</verdict>")
        return text_reply("<verdict>revise</verdict>\n<feedback>Too stiff; greet me.</feedback>\n"
                          "<post>\n# T\n\nHi friends,\n\nBody.\n</post>")

    stub.responder = respond
    user = ClaudeUser(persona, LLM(DEFAULT_MODEL))
    topic = Topic("t", "T", ("Body.",))
    fits = user.review(topic, "# T\n\nHi friends,\n\nBody.\n")
    assert fits.ground_truth == "# T\n\nHi friends,\n\nBody.\n" and fits.feedback == []
    revised = user.review(topic, "# T\n\nBody.\n")
    assert revised.ground_truth == "# T\n\nHi friends,\n\nBody.\n" and revised.feedback == ["Too stiff; greet me."]
    assert revised.by == "claude:warm-casual"
    assert persona.description in stub.requests[0]["system"]


def test_sdk_errors_are_not_swallowed_by_the_engine(stub):
    stub.failures.extend([400])
    with pytest.raises(anthropic.BadRequestError):
        make_engine("claude", llm=LLM(DEFAULT_MODEL)).write(starter(), make_topics(1)[0])


# -- batches -----------------------------------------------------------------------------------------------
def test_batch_api_drafts_are_matched_by_custom_id_and_half_price(stub, cli, tmp_path, topics_file):
    persona = bundled.persona("warm-casual")
    common = ["--engine", "claude", "--topics", topics_file, "--persona", persona, "--epochs", "0"]
    assert cli("simulate", *common, "--batch-api", "--out", tmp_path / "batch")[0] == 0
    assert stub.message_calls == 0 and len(stub.requests) == 8  # all 8 drafts went through the batch
    assert cli("simulate", *common, "--concurrency", "1", "--out", tmp_path / "live")[0] == 0
    records = {}
    for name in ("batch", "live"):
        lines = (tmp_path / name / "feedback.jsonl").read_text().splitlines()
        records[name] = {json.loads(x)["topic_id"]: json.loads(x)["draft"] for x in lines}
    assert records["batch"] == records["live"]  # the stub answers batches in reverse order: ids still match
    batch_rows = UsageLog(tmp_path / "batch" / "usage.csv").rows
    live_rows = UsageLog(tmp_path / "live" / "usage.csv").rows
    assert {r["purpose"] for r in batch_rows} == {"draft (batch)"}
    by_tokens = {(r["input_tokens"], r["output_tokens"], r["cache_read_input_tokens"]): float(r["cost_usd"])
                 for r in live_rows}
    halves = [float(r["cost_usd"]) / by_tokens[(r["input_tokens"], r["output_tokens"], r["cache_read_input_tokens"])]
              for r in batch_rows if (r["input_tokens"], r["output_tokens"], r["cache_read_input_tokens"]) in by_tokens]
    assert halves and all(abs(h - 0.5) < 0.01 for h in halves)
    assert json.loads((tmp_path / "batch" / "batches.jsonl").read_text().splitlines()[0])["batch_id"]


def test_a_submitted_batch_is_collected_not_resubmitted_on_resume(stub, cli, tmp_path, topics_file, monkeypatch):
    from writebot.runs import RunStore

    out = tmp_path / "r"
    real = RunStore.record_draft

    def crash(self, record):
        raise KeyboardInterrupt

    monkeypatch.setattr(RunStore, "record_draft", crash)
    code, _, _ = cli("simulate", "--engine", "claude", "--batch-api", "--topics", topics_file, "--persona",
                     bundled.persona("warm-casual"), "--epochs", "0", "--out", out)
    assert code == 1
    monkeypatch.setattr(RunStore, "record_draft", real)
    assert len(stub._batches) == 1
    assert cli("resume", out)[0] == 0
    assert len(stub._batches) == 1  # the same batch's results were fetched again
    assert len((out / "feedback.jsonl").read_text().splitlines()) == 8


# -- init ---------------------------------------------------------------------------------------------------
def examples(tmp_path):
    folder = tmp_path / "examples"
    folder.mkdir()
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


def test_init_with_claude_writes_style_and_steps_with_the_editor(stub, cli, tmp_path):
    stub.responder = scripted(
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
    assert "Chatty." in stub.requests[0]["messages"][0]["content"]


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
def test_shipped_cassette_replays_offline_and_shows_learning(cli, tmp_path, monkeypatch):
    from writebot.impersonator import DEMO

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.delenv("WRITEBOT_MODEL", raising=False)
    code, out, err = cli("simulate", "--engine", "replay", "--cassette", bundled.data_dir() / "cassettes" /
                         "claude-demo.jsonl", "--topics", bundled.starter_topics(), "--persona",
                         bundled.persona(DEMO["persona"]), "--epochs", DEMO["epochs"], "--concurrency", "1",
                         "--out", tmp_path / "replay")
    assert code == 0, err
    rows = [line.split() for line in out.splitlines()[2:5]]
    assert float(rows[-1][4]) < float(rows[0][4])  # val words fell
    assert "LLM calls" in out


def test_shipped_cassette_is_current(tmp_path):
    """The cassette must be re-recorded when prompts or bundled data change, or replay would miss."""
    from writebot.impersonator import record_demo_cassette

    fresh = tmp_path / "fresh.jsonl"
    record_demo_cassette(fresh, tmp_path / "run")
    keys = [json.loads(x)["key"] for x in fresh.read_text().splitlines()]
    shipped = bundled.data_dir() / "cassettes" / "claude-demo.jsonl"
    assert keys == [json.loads(x)["key"] for x in shipped.read_text().splitlines()], (
        "stale cassette: run python -m writebot.impersonator data/cassettes/claude-demo.jsonl")


def test_user_claude_from_the_cli_and_the_key_never_reaches_the_run_folder(stub, cli, tmp_path, topics_file,
                                                                          monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-SECRET-do-not-store")
    out, cassette = tmp_path / "r", tmp_path / "c.jsonl"
    code, _, err = cli("simulate", "--engine", "claude", "--user", "claude", "--topics", topics_file, "--persona",
                       bundled.persona("warm-casual"), "--epochs", "0", "--record", cassette, "--out", out)
    assert code == 0, err
    records = [json.loads(x) for x in (out / "feedback.jsonl").read_text().splitlines()]
    assert {r["by"] for r in records} == {"claude:warm-casual"}
    assert {r["purpose"] for r in UsageLog(out / "usage.csv").rows} == {"draft", "user"}
    for path in [cassette, *out.rglob("*")]:
        if path.is_file():
            assert b"SECRET" not in path.read_bytes(), path
