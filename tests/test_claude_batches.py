"""Drafts through the Message Batches API: custom_ids from topic ids, one batch per epoch however often the run is
resumed, failed results that keep their error, and answers that stopped short asked again directly."""

import json

import pytest

from writebot import bundled
from writebot.engines.claude import custom_ids
from writebot.store.run_folder import RunStore
from writebot.store.usage import UsageLog

from .conftest import make_topics


def batch_run(cli, out, topics_file, *args):
    return cli("simulate", "--engine", "claude", "--batch-api", "--topics", topics_file, "--persona",
               bundled.persona("warm-casual"), "--epochs", "0", "--out", out, *args)


def recorded(out):
    return [json.loads(x) for x in (out / "feedback.jsonl").read_text().splitlines()]


def test_custom_ids_come_from_topic_ids_fit_the_api_pattern_and_are_unique():
    long = "a" * 70
    ids = custom_ids(["topic-1", "odd.id/with spaces", long, long + "b", "x"])
    assert list(ids.values()) == ["topic-1", "odd.id/with spaces", long, long + "b", "x"]
    assert list(ids)[:2] == ["topic-1", "odd-id-with-spaces"]
    assert all(len(c) <= 64 and c.replace("-", "").replace("_", "").isalnum() for c in ids)
    assert len(set(ids)) == 5


@pytest.mark.slow
def test_batch_drafts_are_matched_by_custom_id_and_half_price(sim, cli, tmp_path, topics_file):
    assert batch_run(cli, tmp_path / "batch", topics_file)[0] == 0
    assert sim.message_calls == 1 and sim.requests[0]["max_tokens"] == 0  # one direct check (and cache warm-up)
    assert len(sim.requests) == 1 + 8  # then all 8 drafts went through the batch
    batch = json.loads((tmp_path / "batch" / "batches.jsonl").read_text().splitlines()[0])
    assert set(batch["custom_ids"]) == {t.id for t in make_topics(8)}  # the topic ids themselves
    assert cli("simulate", "--engine", "claude", "--topics", topics_file, "--persona",
               bundled.persona("warm-casual"), "--epochs", "0", "--concurrency", "1",
               "--out", tmp_path / "live")[0] == 0
    drafts = {name: {r["topic_id"]: r["draft"] for r in recorded(tmp_path / name)} for name in ("batch", "live")}
    assert drafts["batch"] == drafts["live"]  # the simulator answers batches in another order: ids still match
    rows = {name: UsageLog(tmp_path / name / "usage.csv").rows for name in ("batch", "live")}
    assert {r["purpose"] for r in rows["batch"]} == {"cache warm-up", "draft (batch)"}
    price = {(r["input_tokens"], r["output_tokens"], r["cache_read_input_tokens"], r["cache_creation_input_tokens"]):
             float(r["cost_usd"]) for r in rows["live"]}
    halves = [float(r["cost_usd"]) / price[k] for r in rows["batch"]
              if (k := (r["input_tokens"], r["output_tokens"], r["cache_read_input_tokens"],
                        r["cache_creation_input_tokens"])) in price]
    assert halves and all(abs(h - 0.5) < 0.01 for h in halves)


def test_a_run_stopped_after_recording_some_batched_drafts_collects_the_same_batch(sim, cli, tmp_path, topics_file,
                                                                                  monkeypatch):
    out = tmp_path / "r"
    real = RunStore.record_draft
    calls = []

    def crash_on_the_fourth(self, record):
        calls.append(record.topic_id)
        if len(calls) == 4:
            raise KeyboardInterrupt
        real(self, record)

    monkeypatch.setattr(RunStore, "record_draft", crash_on_the_fourth)
    assert batch_run(cli, out, topics_file)[0] == 1
    monkeypatch.setattr(RunStore, "record_draft", real)
    assert len(recorded(out)) == 3
    assert cli("resume", out)[0] == 0
    assert len(sim._batches) == 1  # the remaining five came from the batch already paid for
    assert sorted(r["topic_id"] for r in recorded(out)) == sorted(t.id for t in make_topics(8))
    assert len((out / "batches.jsonl").read_text().splitlines()) == 1


@pytest.mark.slow
@pytest.mark.parametrize("outcome, says, code", [
    (("errored", "invalid_request_error", "messages.0: something is wrong"),
     "topic-1: errored (invalid_request_error: messages.0: something is wrong)", 2),
    (("errored", "api_error", "Internal error"), "topic-1: errored (api_error: Internal error)", 1),
    ("expired", "topic-1: expired", 1), ("canceled", "topic-1: canceled", 1),
])
def test_failed_results_keep_their_error_and_a_resumed_run_sends_only_those_again(sim, cli, tmp_path, topics_file,
                                                                                 outcome, says, code):
    out = tmp_path / "r"
    sim.batch_outcomes = {"topic-1": outcome}
    got, _, err = batch_run(cli, out, topics_file)
    assert got == code and err.count("\n") == 1 and says in err and "7 others are recorded" in err
    assert sorted(r["topic_id"] for r in recorded(out)) == sorted(t.id for t in make_topics(8) if t.id != "topic-1")
    assert cli("resume", out)[0] == 0  # failed results are not billed: the resumed run sends that one again
    assert len(recorded(out)) == 8 and len(sim._batches) == 2
    assert json.loads((out / "batches.jsonl").read_text().splitlines()[1])["topic_ids"] == ["topic-1"]


def test_a_batched_answer_refused_is_asked_again_directly_then_recorded_as_refused(sim, cli, tmp_path, topics_file):
    out = tmp_path / "r"
    title = make_topics(8)[5].title
    sim.fault_for = lambda body: "refusal" if f"Title: {title}" in json.dumps(body) and body["max_tokens"] else None
    code, _, err = batch_run(cli, out, topics_file)
    assert code == 0, err
    refused = [json.loads(x) for x in (out / "refusals.jsonl").read_text().splitlines()]
    assert [(r["topic_id"], r["stage"]) for r in refused] == [("topic-5", "draft")]
    assert sim.message_calls == 1 + 1  # a warm-up, then the refused draft asked directly (no fallback: once)
    assert "topic-5" not in {r["topic_id"] for r in recorded(out)}


def test_a_batch_submitted_on_an_earlier_resume_is_collected_too(sim, cli, tmp_path, topics_file, monkeypatch):
    out = tmp_path / "r"
    sim.batch_outcomes = {"topic-1": "expired"}
    assert batch_run(cli, out, topics_file)[0] == 1  # batch 1: topic-1 expired
    real = RunStore.record_draft

    def crash(self, record):
        raise KeyboardInterrupt

    monkeypatch.setattr(RunStore, "record_draft", crash)
    assert cli("resume", out)[0] == 1  # batch 2 (topic-1) submitted and answered, then the run stopped
    monkeypatch.setattr(RunStore, "record_draft", real)
    assert cli("resume", out)[0] == 0
    assert len(sim._batches) == 2 and len(recorded(out)) == 8  # batch 2 was collected, not a batch 3 paid for
    rows = UsageLog(out / "usage.csv").rows
    batched = [r for r in rows if r["purpose"] == "draft (batch)"]
    assert len(batched) == len({r["message_id"] for r in batched}) == 8  # each answer counted once


def test_a_batch_the_api_rejects_is_exit_2_with_its_message(sim, cli, tmp_path, topics_file):
    sim.batch_outcomes = {"topic-3": ("errored", "invalid_request_error", "messages.0.content: bad")}
    code, _, err = batch_run(cli, tmp_path / "r", topics_file)
    assert code == 2 and err.count("\n") == 1 and "invalid_request_error: messages.0.content: bad" in err
    assert "7 others are recorded" in err and "fix what the API says first" in err


def test_a_wrong_model_is_found_by_one_direct_request_before_any_batch(sim, cli, tmp_path, topics_file):
    code, _, err = batch_run(cli, tmp_path / "r", topics_file, "--model", "claude-sonet-5-5")
    assert code == 2 and "model 'claude-sonet-5-5' does not exist" in err
    assert sim._batches == {} and sim.message_calls == 1


def test_a_batched_draft_cut_at_max_tokens_is_asked_again_directly(sim, cli, tmp_path, topics_file):
    title = make_topics(8)[2].title
    sim.fault_for = lambda body: ("max_tokens" if body["max_tokens"] == 8000 and f"Title: {title}" in
                                  json.dumps(body) else None)
    out = tmp_path / "r"
    assert batch_run(cli, out, topics_file)[0] == 0
    draft = next(r["draft"] for r in recorded(out) if r["topic_id"] == "topic-2")
    direct = [q for q, a in sim.exchanges if q["max_tokens"] == 16000]
    assert len(direct) == 1 and draft.startswith(f"# {title}") and draft.rstrip().endswith(".")
