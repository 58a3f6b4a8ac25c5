"""Stop reasons everywhere (writer, Claude user, revision, init, optimizer): an answer cut at max_tokens is asked
again once with a larger budget, a refusal once more; a second failure never becomes a draft, a ground truth or an
update. Against the Messages API simulator."""

import json

import pytest

from writebot import bundled
from writebot.claude.llm import DEFAULT_MODEL, LLM
from writebot.errors import OutputCut, Refused
from writebot.loop.registry import build_engine
from writebot.store.run_folder import RunStore
from writebot.testing.replies import echo_writer, last_user_text, scripted, text_reply, tool_reply
from writebot.text.pipeline import Pipeline
from writebot.text.topics import Topic
from writebot.users import ClaudeUser, load_persona

from .conftest import make_topics


def starter():
    return Pipeline.load(bundled.starter_pipeline())


def when(predicate, fault, times=1):
    """A fault_for that answers the first `times` requests matching `predicate` with `fault`."""
    left = [times]

    def decide(body):
        if left[0] and predicate(body):
            left[0] -= 1
            return fault
        return None

    return decide


def is_draft_of(topic_id):
    title = next(t.title for t in make_topics(8) if t.id == topic_id)
    return lambda body: body["max_tokens"] > 0 and not body.get("tools") and f"Title: {title}" in last_user_text(body)


def records(out, name="feedback.jsonl"):
    path = out / name
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def simulate(cli, out, topics_file, *args):
    return cli("simulate", "--engine", "claude", "--topics", topics_file, "--persona", bundled.persona("warm-casual"),
               "--out", out, "--concurrency", "1", *args)


# -- the writer ---------------------------------------------------------------------------------------------
def test_a_draft_cut_once_is_asked_again_with_a_larger_budget_and_kept_whole(sim):
    sim.fault_for = when(lambda b: b["max_tokens"] == 8000, "max_tokens")
    draft = build_engine("claude", llm=LLM(DEFAULT_MODEL)).write(starter(), make_topics(1)[0])
    assert [r["max_tokens"] for r in sim.requests] == [0, 8000, 16000]  # warm-up, cut, larger budget
    assert draft == echo_writer(sim.requests[-1])["content"][0]["text"]


def test_a_draft_cut_twice_fails_the_run_cleanly_and_resume_finishes_it(sim, cli, tmp_path, topics_file):
    out = tmp_path / "r"
    sim.fault_for = when(is_draft_of("topic-2"), "max_tokens", times=2)
    code, _, err = simulate(cli, out, topics_file, "--epochs", "0")
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert "cut at max_tokens=8000; then cut at max_tokens=16000" in err and f"writebot resume {out}" in err
    assert json.loads((out / "run.json").read_text())["status"] == "failed"
    assert [r["topic_id"] for r in records(out)] == ["topic-0", "topic-1"]  # nothing partial, nothing after
    code, _, err = cli("resume", out)
    assert code == 0, err
    done = records(out)
    assert sorted(r["topic_id"] for r in done) == [f"topic-{i}" for i in range(8)]
    assert all(r["draft"].startswith("# ") and r["draft"].rstrip().endswith(".") for r in done)


def test_a_refused_topic_is_recorded_as_refused_and_skipped_by_history_and_learner(sim, cli, tmp_path, topics_file):
    out = tmp_path / "r"
    sim.fault_for = when(is_draft_of("topic-1"), "refusal", times=1)
    code, stdout, err = simulate(cli, out, topics_file, "--epochs", "1")
    assert code == 0, err
    refused = records(out, "refusals.jsonl")
    assert [(r["epoch"], r["topic_id"], r["stage"]) for r in refused] == [(0, "topic-1", "draft")]
    assert refused[0]["category"] == "general_harms" and "declined the draft request:" in refused[0]["reason"]
    assert len([r for r in sim.requests if r["max_tokens"] and "Week Number 1" in json.dumps(r)
                and not r.get("tools") and "<verdict>" not in json.dumps(r.get("system"))]) == 2  # epoch 0 once, 1
    assert "draft" not in refused[0] and "ground_truth" not in refused[0]
    assert [r["topic_id"] for r in records(out) if r["epoch"] == 0 and r["topic_id"] == "topic-1"] == []
    assert "topic-1,0" not in (out / "history.csv").read_text().replace("\n", ",")
    prompt = next(r for r in sim.requests if r.get("tools"))["messages"][0]["content"][0]["text"]
    assert 'pair topic="topic-1"' not in prompt  # the learner never sees it
    assert "topic-1" in {r["topic_id"] for r in records(out) if r["epoch"] == 1}  # drafted again next epoch
    assert "1 refused" in stdout


def test_a_refusal_goes_once_to_the_fallback_model_which_writes_the_draft(sim):
    sim.fault_for = when(lambda b: b["max_tokens"] == 8000 and b["model"] == DEFAULT_MODEL, "refusal")
    engine = build_engine("claude", llm=LLM(DEFAULT_MODEL, fallback_model="claude-opus-5-5"))
    draft = engine.llm.run(engine.awrite(starter(), make_topics(1)[0]))
    sent = [r["model"] for r in sim.requests if r["max_tokens"] == 8000]
    assert draft.text.startswith("# Planning") and sent == [DEFAULT_MODEL, "claude-opus-5-5"]
    assert draft.model == "claude-opus-5-5"  # the draft says which model wrote it


def test_without_a_fallback_a_refused_request_is_not_sent_again(sim):
    sim.fault_for = when(lambda b: b["max_tokens"] == 8000, "refusal", times=5)
    with pytest.raises(Refused, match="declined the draft request: refused by"):
        build_engine("claude", llm=LLM(DEFAULT_MODEL)).write(starter(), make_topics(1)[0])
    assert len([r for r in sim.requests if r["max_tokens"] == 8000]) == 1  # the same request would be refused again


def test_an_empty_draft_twice_is_never_recorded(sim, cli, tmp_path, topics_file):
    out = tmp_path / "r"
    sim.fault_for = when(is_draft_of("topic-0"), "empty", times=2)
    code, _, err = simulate(cli, out, topics_file, "--epochs", "0")
    assert code == 1 and "no post text in the answer" in err and err.count("\n") == 1
    assert records(out) == []


# -- the Claude-played user ---------------------------------------------------------------------------------
def reader(body):
    if "<verdict>" not in (body.get("system") or ""):
        return echo_writer(body)
    return text_reply("<verdict>revise</verdict>\n<feedback>Greet me.</feedback>\n<post>\n# T\n\nHi friends,\n\n"
                      + "Body. " * 200 + "\n</post>")


def test_a_revision_cut_before_its_closing_tag_is_asked_again_never_taken_as_fits(sim):
    sim.responder = reader
    sim.fault_for = when(lambda b: "<verdict>" in (b.get("system") or ""), "max_tokens")
    user = ClaudeUser(load_persona(bundled.persona("warm-casual")), LLM(DEFAULT_MODEL))
    review = user.review(Topic("t", "T", ("Body.",)), "# T\n\nBody.\n")
    assert review.ground_truth.startswith("# T\n\nHi friends,") and review.feedback == ["Greet me."]
    assert [r["max_tokens"] for r in sim.requests] == [8000, 16000]


def test_a_revision_cut_twice_fails_cleanly(sim):
    sim.responder = reader
    sim.fault_for = when(lambda b: True, "max_tokens", times=2)
    user = ClaudeUser(load_persona(bundled.persona("warm-casual")), LLM(DEFAULT_MODEL))
    with pytest.raises(OutputCut, match="user answer was cut"):
        user.review(Topic("t", "T", ("Body.",)), "# T\n\nBody.\n")


@pytest.mark.parametrize("answer, problem", [
    ("The draft is fine.", "no <verdict>"),
    ("<verdict>revise</verdict>\n<feedback>Shorter.</feedback>\n<post>\n# T\n\nHalf a po", "without a complete <post>"),
])
def test_an_unusable_review_is_asked_again(sim, answer, problem):
    answers = iter([answer, "<verdict>fits</verdict>"])
    sim.responder = lambda body: text_reply(next(answers))
    user = ClaudeUser(load_persona(bundled.persona("warm-casual")), LLM(DEFAULT_MODEL))
    review = user.review(Topic("t", "T", ("Body.",)), "# T\n\nBody.\n")
    assert review.ground_truth == "# T\n\nBody.\n" and review.feedback == [] and len(sim.requests) == 2


@pytest.mark.slow
def test_a_review_refused_twice_records_the_topic_as_refused(sim, cli, tmp_path, topics_file):
    out = tmp_path / "r"
    sim.fault_for = when(lambda b: "<verdict>" in (b.get("system") or "") and "Week Number 3" in last_user_text(b),
                         "refusal", times=2)
    code, _, err = simulate(cli, out, topics_file, "--epochs", "0", "--user", "claude")
    assert code == 0, err
    assert [(r["topic_id"], r["stage"]) for r in records(out, "refusals.jsonl")] == [("topic-3", "user")]
    assert "topic-3" not in {r["topic_id"] for r in records(out)}


# -- the optimizer's editor loop ----------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("fault", ["max_tokens", "refusal"])
def test_an_update_that_cannot_finish_discards_its_edits_and_is_recorded_failed(sim, cli, tmp_path, topics_file,
                                                                               fault):
    out = tmp_path / "r"
    sim.responder = scripted(tool_reply({"command": "str_replace", "path": "/pipeline/STYLE.md",
                                         "old_str": "Hello, dear readers!", "new_str": "Hi friends,"}),
                             text_reply("Changed the greeting."))
    sim.fault_for = when(lambda b: b.get("tools") and len(b["messages"]) == 3, fault, times=2)
    code, _, err = simulate(cli, out, topics_file, "--epochs", "1")
    assert code == 0, err
    update = records(out, "updates.jsonl")[0]
    assert update["status"] == "failed" and "turn 2" in update["error"] and "discarded" in update["rationale"]
    run = RunStore.open(out)
    assert run.load_version(1) == run.load_version(0)  # the first turn's edit did not land
    assert "Hello, dear readers!" in (out / "versions" / "epoch_001" / "STYLE.md").read_text()
    assert len([r for r in records(out) if r["epoch"] == 1]) == 8  # training went on with the unchanged pipeline


# -- init and revision --------------------------------------------------------------------------------------
def test_init_cut_twice_is_one_line_and_writes_nothing(sim, cli, tmp_path):
    (tmp_path / "ex").mkdir()
    (tmp_path / "ex" / "a.md").write_text("# A\n\nHello.\n")
    sim.fault_for = when(lambda b: True, "max_tokens", times=2)
    code, _, err = cli("init", "--engine", "claude", "--description", "Chatty.", "--examples", tmp_path / "ex",
                       "--out", tmp_path / "p")
    assert code == 1 and err.count("\n") == 1 and "could not finish writing the pipeline" in err
    assert not (tmp_path / "p").exists()


def test_a_refused_revision_shows_one_line_in_the_notebook_status(sim, tmp_path):
    from writebot.notebook.widgets import TrainingApp
    from writebot.notebook.workbench import Workbench

    workbench = Workbench.open(tmp_path / "wb", engine="claude")
    app = TrainingApp(workbench)
    sim.fault_for = when(lambda b: "Revise this draft" in last_user_text(b), "refusal", times=2)
    before = app.editor.ground_truth.value
    app.editor.feedback.value = "Shorter, please."
    app.editor.suggest.click()
    assert "declined the revise request" in app.dashboard.status.value
    assert app.editor.ground_truth.value == before  # nothing half-made replaced the text
    sim.fault_for = when(lambda b: "Revise this draft" in last_user_text(b), "refusal", times=2)
    with pytest.raises(Refused):
        workbench.suggest_revision(before, "Shorter, please.")


# -- the deferred gate with refusals ------------------------------------------------------------------------
def test_the_gate_compares_only_topics_reviewed_in_both_epochs(sim, cli, tmp_path, topics_file):
    """An update that makes every draft one word worse is rolled back, even when the most-edited topic of the epoch
    before is refused after it (a plain sum would then call the update an improvement)."""
    from writebot.testing.replies import system_text

    def writer(body):
        reply = echo_writer(body)
        if not body.get("tools") and "- Say utilize more." in system_text(body):
            reply["content"][0]["text"] = reply["content"][0]["text"].rstrip("\n") + " Utilize it.\n"
        return reply

    sim.responder = scripted(tool_reply({"command": "str_replace", "path": "/pipeline/STYLE.md",
                                         "old_str": "- Close with the line: Until next time, happy exploring!",
                                         "new_str": "- Close with the line: Until next time, happy exploring!\n"
                                                    "- Say utilize more."}),
                             text_reply("Added a rule."), drafts=writer)
    sim.fault_for = when(lambda b: is_draft_of("topic-0")(b) and "- Say utilize more." in str(b["system"]),
                         "refusal", times=2)
    out = tmp_path / "r"
    code, _, err = simulate(cli, out, topics_file, "--epochs", "1")
    assert code == 0, err
    verdict = next(u for u in records(out, "updates.jsonl") if u.get("kind") == "gate")
    assert verdict["status"] == "rolled_back" and verdict["topics_compared"] == 5  # 6 train topics, one refused
    assert verdict["train_cost_after"] == verdict["train_cost_before"] + 5


def test_an_epoch_whose_train_topics_were_all_refused_is_not_sent_to_the_optimizer(sim, cli, tmp_path, write_yaml):
    topics = write_yaml("t.yaml", [{"id": "a", "title": "Only One", "points": ["Utilize it."], "split": "train"}])
    sim.fault_for = lambda body: "refusal" if body["max_tokens"] and not body.get("tools") else None
    out = tmp_path / "r"
    code, _, err = cli("simulate", "--engine", "claude", "--topics", topics, "--persona",
                       bundled.persona("warm-casual"), "--epochs", "1", "--out", out)
    assert code == 0, err
    update = records(out, "updates.jsonl")[0]
    assert update["status"] == "unchanged" and "no train draft of epoch 0 was reviewed (1 refused)" in \
        update["rationale"]
    assert not any(r.get("tools") for r in sim.requests)


def test_a_refusal_after_partial_text_never_becomes_a_draft(sim):
    sim.fault_for = when(lambda b: b["max_tokens"] == 8000, "refusal_partial", times=2)
    with pytest.raises(Refused):
        build_engine("claude", llm=LLM(DEFAULT_MODEL)).write(starter(), make_topics(1)[0])
    assert [a["stop_reason"] for _, a in sim.exchanges] == ["max_tokens", "refusal"]
    assert all(a["content"] for _, a in sim.exchanges[1:])  # there was text, and it was not used
