"""docs/FORMATS.md §10: what a draft keeps of its brief, recorded for every draft, shown beside edit cost, and guarded
by the gate; the offline judge measured on hand-written drafts (data/faithfulness/cases.yaml), the Claude judge's
requests and answers against the Messages API simulator."""

import json
from pathlib import Path

import pytest
import yaml

from writebot import bundled
from writebot.claude.llm import LLM
from writebot.compare.faithfulness import (
    ContentCheck,
    Judgement,
    OfflineJudge,
    judge_offline,
    judge_schema,
    parse_answer,
    points_lost,
)
from writebot.engines.rules import RulesEngine
from writebot.engines.writer import skeleton
from writebot.errors import BadOutput
from writebot.loop.gate import Verdict, judge_immediate
from writebot.loop.registry import build_judge
from writebot.runs import RunOptions, continue_run, start_run
from writebot.store.formats import DraftRecord
from writebot.store.run_folder import RunStore
from writebot.testing.replies import judge_points, judge_reply, scripted, text_reply, tool_reply
from writebot.testing.topics import generate_topics
from writebot.text.pipeline import Pipeline
from writebot.text.topics import Topic, load_topics

from .conftest import ROOT

TOPICS = {t.id: t for t in load_topics(bundled.starter_topics())}
CASES = yaml.safe_load((ROOT / "data" / "faithfulness" / "cases.yaml").read_text("utf-8"))


def _flags(kinds: tuple[str, ...], which: str) -> tuple[int, int]:
    """(flagged, total) of the points of `which` kind ("dropped", or "kept": neither dropped nor contradicted) in
    the hand-written drafts of `kinds`."""
    flagged = total = 0
    for case in CASES:
        if case["kind"] not in kinds:
            continue
        topic = TOPICS[case["topic"]]
        verdicts = judge_offline(topic.title, topic.points, case["draft"])
        for i, verdict in enumerate(verdicts):
            kept = i not in case["dropped"] and i not in case["contradicted"]
            if (which == "kept") == kept and (which != "dropped" or i in case["dropped"]):
                total += 1
                flagged += verdict != "kept"
    return flagged, total


def test_the_offline_judge_finds_a_dropped_point_and_leaves_kept_points_alone():
    """The issue's target on drafts written by hand, each dropping one point, the others lightly edited: the dropped
    point is flagged in at least 90% of them, a kept point in at most 10%."""
    assert len(CASES) == 120
    dropped, total = _flags(("drop_one",), "dropped")
    assert total == 24 and dropped / total >= 0.9
    kept_flagged, kept_total = _flags(("faithful", "drop_one", "invented", "contradicted"), "kept")
    assert kept_total > 250 and kept_flagged / kept_total <= 0.1


def test_the_offline_judge_tells_a_changed_number_or_a_lost_negation():
    topic = TOPICS["sourdough-starter"]
    text = f"# {topic.title}\n\n" + " ".join(topic.points[:3]) + " It is ready when it doubles within two days.\n"
    assert judge_offline(topic.title, topic.points, text) == ("kept", "kept", "kept", "contradicted")
    bike = TOPICS["bike-chain"]
    sprayed = f"# {bike.title}\n\n{bike.points[0]} Spray degreaser near the brake pads, it ruins their grip.\n"
    assert judge_offline(bike.title, bike.points, sprayed)[:2] == ("kept", "contradicted")


@pytest.mark.parametrize("topics", [list(TOPICS.values()), generate_topics(60, seed=4)])
def test_the_offline_writer_carries_every_point(topics):
    """points_kept is 1.0 before any drop rule is learned: the offline writer writes each point of the brief."""
    for topic in topics:
        assert OfflineJudge().judge(topic, skeleton(topic)).points_kept == 1.0, topic.id


def test_a_point_is_lost_only_if_the_user_keeps_it():
    draft = Judgement(("kept", "dropped", "dropped", "contradicted"), None, "rules")
    truth = Judgement(("kept", "kept", "dropped", "dropped"), None, "rules")
    assert points_lost(draft, truth) == [1]  # 2: the user leaves it out too; 3: nor does the user keep it


def reviewed(**fields) -> DraftRecord:
    """A feedback.jsonl record with the given fields (the others as a review records them)."""
    return DraftRecord.model_validate({"epoch": 0, "topic_id": "t", "split": "train", "version": "v", "draft": "d",
                                       "feedback": [], "ground_truth": "g", **fields})


def test_the_content_check_allows_the_judges_noise_and_says_why():
    said = {"judge": "rules", "points": ["kept"] * 20, "truth_points": ["kept"] * 20, "lost": []}
    before = {"points_lost": 0, "claims_added": 0, "faithfulness": said}
    after = {"points_lost": 1, "claims_added": 3, "faithfulness": said}
    offline = ContentCheck.of("rules", [(reviewed(**{**before, "claims_added": None}),
                                         reviewed(**{**after, "claims_added": None}))])
    assert offline.point_tolerance == 1 and offline.worse() is None  # 5% of 20 points; claims it cannot tell
    worse = ContentCheck.of("claude:claude-haiku-5-5", [(reviewed(**before), reviewed(**{**after, "points_lost": 2}))])
    assert "lose 2 of the brief's points" in worse.worse()
    claims = ContentCheck.of("claude:claude-haiku-5-5", [(reviewed(**before), reviewed(**after))] * 2)
    assert "add 6 claims" in claims.worse() and claims.claims_tolerance == 1
    assert ContentCheck.of("rules", [(reviewed(points_lost=0), reviewed())]) is None  # a record from before the judge


@pytest.mark.slow
def test_every_draft_is_recorded_with_what_it_keeps_and_history_has_the_columns(cli, tmp_path):
    code, out, _ = cli("demo", "--out", tmp_path / "demo")
    assert code == 0 and "kept" in out.splitlines()[0] and "claims" in out.splitlines()[0]
    run = RunStore.open(tmp_path / "demo")
    record = run.draft_records[0]
    assert record.faithfulness.judge == "rules" and record.faithfulness.added is None
    assert len(record.faithfulness.points) == len(record.topic["points"]) and record.points_lost == 0
    header = (tmp_path / "demo" / "history.csv").read_text().splitlines()[0].split(",")
    at = header.index("points_kept")
    assert header[at : at + 3] == ["points_kept", "claims_added", "points_lost"]
    assert all(r.points_kept == 1.0 for r in run.draft_records)  # the demo's guide drops no point


def test_the_gate_keeps_no_update_that_loses_points_the_user_keeps_whatever_its_edit_cost(tmp_path):
    """A proposal that saves words (contractions) but drops a point the user keeps is rolled back."""
    topic = Topic("t", "Feeding A Starter", ("Do not feed it cold water.", "It is ready when it doubles."), None,
                  "train")
    from writebot.compare.faithfulness import judge_review
    from writebot.compare.metrics import word_edit_distance

    start = Pipeline({"STYLE.md": "# S\n\n## Rules\n\n", "steps/01.md": "Draft.\n"})
    saves = start.with_file("STYLE.md", "# S\n\n## Rules\n\n- Use contractions (don't, it's, we're, can't, ...).\n")
    engine, judge = RulesEngine(), OfflineJudge()
    draft, truth = engine.write(start, topic), engine.write(saves, topic)  # the user contracts
    record = reviewed(topic=topic.to_dict(), draft=draft, ground_truth=truth,
                      **judge_review(judge, topic, draft, truth))
    before = word_edit_distance(draft, truth)
    assert before > 5
    verdict, after, extra = judge_immediate(engine, judge, start, saves, [record], before, True)
    assert verdict == Verdict.ACCEPTED and after < before and extra["content"]["lost_after"] == 0
    loses = saves.with_file("STYLE.md", saves.files["STYLE.md"] + '- Drop any sentence containing "doubles".\n')
    lossy_draft = engine.write(loses, topic)
    assert "doubles" not in lossy_draft and word_edit_distance(lossy_draft, truth) < before  # it still saves words
    verdict, after, extra = judge_immediate(engine, judge, start, loses, [record], before, True)
    assert verdict == Verdict.ROLLED_BACK and after < before
    assert extra["content"]["lost_after"] == 1 and "not kept whatever its edit cost" in extra["why"]


# -- the Claude judge ---------------------------------------------------------------------------------------------
def test_the_claude_judge_asks_for_structured_verdicts_and_reads_them(sim):
    topic = TOPICS["sourdough-starter"]

    def respond(body):
        assert body["output_config"]["format"] == {"type": "json_schema", "schema": judge_schema(4)}
        assert body["system"][0]["cache_control"] == {"type": "ephemeral"}  # the same instructions every call
        assert judge_points(body) == list(topic.points)
        return judge_reply(["kept", "dropped", "kept", "contradicted"], ["Ground flour goes stale within days."])

    sim.responder = respond
    judge = build_judge("claude", LLM("claude-haiku-5-5"))
    found = judge.judge(topic, skeleton(topic))
    assert found.points == ("kept", "dropped", "kept", "contradicted")
    assert found.added == ("Ground flour goes stale within days.",) and found.judge == "claude:claude-haiku-5-5"
    assert sim.requests[0]["model"] == "claude-haiku-5-5" and judge.llm.usage.rows[0]["purpose"] == "judge"


def test_an_answer_that_misses_a_point_is_asked_again_then_refused():
    with pytest.raises(ValueError, match="points \\[1, 2\\], the brief has 1 to 3"):
        parse_answer(json.dumps({"points": [{"point": 1, "verdict": "kept", "evidence": ""},
                                            {"point": 2, "verdict": "kept", "evidence": ""}], "added": []}), 3)


def test_a_short_answer_is_asked_again_once_and_then_stops_the_run(sim):
    sim.responder = lambda body: judge_reply(["kept"])  # one verdict for a brief of four points
    judge = build_judge("claude", LLM("claude-haiku-5-5"))
    with pytest.raises(BadOutput, match="unusable twice"):
        judge.judge(TOPICS["sourdough-starter"], "# T\n\nA post.\n")
    assert sim.message_calls == 2


def test_a_schema_the_api_does_not_take_is_a_400(sim):
    """JSON outputs need every object closed (additionalProperties false): the simulator refuses it as the API does."""
    import anthropic

    sim.expect_400 = True
    schema = judge_schema(2)
    del schema["additionalProperties"]
    client = anthropic.Anthropic()
    with pytest.raises(anthropic.BadRequestError, match="additionalProperties"):
        client.messages.create(model="claude-haiku-5-5", max_tokens=100, messages=[{"role": "user", "content": "x"}],
                               output_config={"format": {"type": "json_schema", "schema": schema}})


@pytest.mark.parametrize("bound, value, says", [
    ("maximum", 2, "maximum: this JSON Schema keyword is not supported"),
    ("maxItems", 2, "maxItems: this JSON Schema keyword is not supported"),
    ("minItems", 2, "minItems: only 0 or 1 is supported"),
])
def test_the_judge_schema_bounds_what_json_outputs_take_and_no_more(sim, bound, value, says):
    """Structured outputs take an enum of the point numbers and minItems 1 (the docs' "JSON Schema limitations"),
    not maximum or maxItems: the schema sent holds those bounds, and one with the others is a 400."""
    import anthropic

    schema = judge_schema(3)
    points = schema["properties"]["points"]
    assert points["minItems"] == 1 and points["items"]["properties"]["point"]["enum"] == [1, 2, 3]
    assert "span paragraphs" in points["items"]["properties"]["evidence"]["description"]
    client = anthropic.Anthropic()
    answer = client.messages.create(model="claude-haiku-5-5", max_tokens=100,
                                    messages=[{"role": "user", "content": "x"}],
                                    output_config={"format": {"type": "json_schema", "schema": schema}})
    assert answer.stop_reason == "end_turn"
    sim.expect_400 = True
    (points["items"]["properties"]["point"] if bound == "maximum" else points)[bound] = value
    with pytest.raises(anthropic.BadRequestError, match=says):
        client.messages.create(model="claude-haiku-5-5", max_tokens=100, messages=[{"role": "user", "content": "x"}],
                               output_config={"format": {"type": "json_schema", "schema": schema}})


def _judge_by_style(lossy_marker: str, verdicts_after: list[str], added_after: list[str], drop: bool = True):
    """A responder for a Claude run: the writer adds a claim, and drops the last point when `drop`, once STYLE.md
    holds `lossy_marker`; the optimizer adds it (and a contraction rule that saves words); the judge reads the
    drafts as they are."""

    def writer(body):
        if (body.get("output_config") or {}).get("format"):  # the judge
            text = body["messages"][0]["content"]
            lossy = "swap the doubling test" in text
            return judge_reply(verdicts_after if lossy else ["kept"] * len(judge_points(body)),
                               added_after if lossy else [])
        from writebot.testing.replies import echo_writer, parse_brief, system_text

        if "<verdict>" in system_text(body):
            return echo_writer(body)
        title, _, points = parse_brief(body["messages"][0]["content"])
        if lossy_marker in system_text(body):
            points = [p.replace("It is", "It's") for p in (points[:-1] if drop else points)]
            points += ["We swap the doubling test for a smell test."]
        return text_reply(f"# {title}\n\n" + " ".join(points) + "\n")

    rules = f"## Rules\n\n- Use contractions (don't, it's, we're, can't, ...).\n- {lossy_marker}\n"
    edit = tool_reply({"command": "str_replace", "path": "/pipeline/STYLE.md", "old_str": "## Rules\n",
                       "new_str": rules}, text="Contractions, and a shorter ending.")
    return scripted(edit, drafts=writer)


@pytest.mark.parametrize("judge, verdicts_after, added_after, drop, why", [
    # the offline judge sees the dropped point; the user puts it back (FORMATS §3d), so the edit cost sees it too
    ("rules", None, None, True, "lose 1 of the brief's points"),
    # an invented claim the user leaves in: the edit cost alone would keep the update
    ("claude", ["kept", "kept", "kept", "kept"], ["We swap the doubling test for a smell test."], False,
     "add 1 claims"),
])
def test_a_claude_update_whose_drafts_lose_content_is_rolled_back_whatever_they_cost(
        sim, tmp_path, write_yaml, judge, verdicts_after, added_after, drop, why):
    topic = TOPICS["sourdough-starter"]
    topics = write_yaml("topics.yaml", [{**topic.to_dict(), "split": "train"}])
    persona = write_yaml("persona.yaml", {"name": "p", "edits": [{"contractions": "contract"}]})
    sim.responder = _judge_by_style("End with a shorter test.", verdicts_after or [], added_after or [], drop)
    options = RunOptions(engine="claude", epochs=2, concurrency=1, judge=judge)
    with start_run(tmp_path / "run", topics, persona, bundled.starter_pipeline(), options, "simulate") as run:
        continue_run(run)
    gate = run.gate_for(0)
    assert (gate.train_cost_after > gate.train_cost_before) == drop  # a point put back costs words
    assert gate.status == Verdict.ROLLED_BACK and why in gate.why, gate
    assert run.load_version(2) == run.load_version(0)  # the next version starts from the one before


def test_writebot_judge_prints_verdicts_and_json(cli, tmp_path):
    topic = TOPICS["sourdough-starter"]
    post = tmp_path / "post.md"
    post.write_text(f"# {topic.title}\n\n{topic.points[0]} {topic.points[1]}\n\nIt doubles within two days.\n")
    code, out, _ = cli("judge", "--topics", bundled.starter_topics(), "--topic-id", topic.id, post)
    assert code == 0 and "DROPPED  3." in out and "2 of 4 points kept" in out and "cannot tell" in out
    code, out, _ = cli("judge", "--topics", bundled.starter_topics(), "--topic-id", topic.id, post, "--json")
    data = json.loads(out)
    assert code == 0 and [p["verdict"] for p in data["points"]] == ["kept", "kept", "dropped", "dropped"]
    assert data["points"][0]["point"] == topic.points[0] and data["added"] is None
    code, _, err = cli("judge", "--topics", bundled.starter_topics(), "--topic-id", "no-such", post)
    assert code == 2 and "no topic 'no-such'" in err and len(err.strip().splitlines()) == 1


def test_writebot_judge_with_claude_prints_the_claims_and_the_cost(cli, sim, tmp_path):
    topic = TOPICS["bike-chain"]
    sim.responder = lambda body: judge_reply(["kept", "kept", "dropped"], ["I ride to work every day."])
    post = tmp_path / "post.md"
    post.write_text(f"# {topic.title}\n\nI ride to work every day. {topic.points[0]} {topic.points[1]}\n")
    code, out, err = cli("judge", "--topics", bundled.starter_topics(), "--topic-id", topic.id, post,
                         "--judge", "claude")
    assert code == 0 and "claims added: 1" in out and "I ride to work every day." in out and "$" in err


def test_the_claude_played_reader_sees_the_brief_as_the_authors_own(sim, tmp_path):
    """PRELUDE's user sees the source; ours sees the brief, told its points are the author's facts."""
    from writebot.users import ClaudeUser, Persona

    sim.responder = lambda body: text_reply("<verdict>fits</verdict>")
    user = ClaudeUser(Persona("p", "Warm and casual."), LLM("claude-sonnet-5-5"))
    topic = TOPICS["morning-run"]
    user.review(topic, skeleton(topic))
    body = sim.requests[0]
    prompt = body["messages"][0]["content"]
    assert all(p in prompt for p in topic.points) and "<brief>" in prompt
    assert "your own facts" in body["system"] and "invented" in body["system"]


def test_notebook_02s_editor_shows_the_brief_and_its_review_the_content(tmp_path):
    from writebot.notebook.widgets import FeedbackEditor, UpdateReview
    from writebot.notebook.workbench import Workbench

    workbench = Workbench.open(tmp_path / "run", engine="rules")
    topic = workbench.topics[0]
    draft = workbench.draft(topic)
    editor = FeedbackEditor(topic.title, draft, lambda f, g, e: "ok", None, topic.points,
                            workbench.judge.judge(topic, draft).points)
    assert all(p.split()[0] in editor.brief.value for p in topic.points) and "kept" in editor.brief.value
    truth = draft.replace("Utilize", "Use").replace("utilize", "use")
    workbench.submit(topic, draft, 'Say "use", not "utilize".', truth)
    proposal = workbench.propose()
    review = UpdateReview(proposal, lambda accepted: "applied")
    assert proposal.content is not None and "points of your briefs lost 0" in review.content.value
    workbench.close()


def test_the_judge_files_are_shipped_and_documented():
    assert (ROOT / "writebot" / "claude" / "prompts" / "judge_system.md").is_file()
    formats = (ROOT / "docs" / "FORMATS.md").read_text()
    assert "## 10. Faithfulness" in formats and "mistakes heavy paraphrase" in formats
    assert Path(ROOT / "data" / "faithfulness" / "cases.yaml").is_file()


@pytest.mark.slow
def test_the_claude_judge_is_recorded_in_the_cassette_and_replays_offline(sim, tmp_path, topics_file, persona_file,
                                                                          cli, monkeypatch):
    cassette = tmp_path / "run.jsonl"
    code, _, err = cli("simulate", "--engine", "claude", "--judge", "claude", "--topics", topics_file, "--persona",
                       persona_file, "--epochs", "1", "--out", tmp_path / "live", "--record", cassette)
    assert code == 0, err
    live = RunStore.open(tmp_path / "live")
    assert {r["purpose"] for r in live.usage_rows()} >= {"draft", "judge"}
    assert live.draft_records[0].faithfulness.judge == "claude:claude-haiku-5-5"
    monkeypatch.delenv("ANTHROPIC_BASE_URL")
    code, _, err = cli("simulate", "--engine", "replay", "--cassette", cassette, "--judge", "claude", "--topics",
                       topics_file, "--persona", persona_file, "--epochs", "1", "--out", tmp_path / "replayed")
    assert code == 0, err
    replayed = RunStore.open(tmp_path / "replayed")
    def judged(run):
        return sorted((r.epoch, r.topic_id, json.dumps(r.faithfulness.to_dict())) for r in run.draft_records)

    assert judged(replayed) == judged(live)


def test_the_judge_schema_is_one_the_sdks_own_strict_transform_keeps_whole():
    """The SDK's transform_schema (what `messages.parse` sends) strips what JSON outputs do not take into the
    descriptions: it must keep the judge's bounds (the point numbers' enum, minItems 1) and move nothing."""
    transform = pytest.importorskip("anthropic.lib._parse._transform",
                                    reason="this anthropic release has no strict schema transform").transform_schema
    import copy

    schema = judge_schema(3)
    sent = transform(copy.deepcopy(schema))

    def without_type_beside_enum(node):  # the one rewrite the transform makes: an enum needs no type
        if isinstance(node, dict):
            return {k: without_type_beside_enum(v) for k, v in node.items() if not (k == "type" and "enum" in node)}
        return [without_type_beside_enum(v) for v in node] if isinstance(node, list) else node

    assert sent == without_type_beside_enum(schema)
