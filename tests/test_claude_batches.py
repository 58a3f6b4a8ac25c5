"""Drafts through the Message Batches API: custom_ids from topic ids, one batch per epoch however often the run is
resumed, failed results that keep their error, and answers that stopped short asked again directly."""

import json

import pytest

from writebot import bundled
from writebot.engines.claude import custom_ids
from writebot.llm import UsageLog
from writebot.runs import RunStore

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


def test_batch_drafts_are_matched_by_custom_id_and_half_price(sim, cli, tmp_path, topics_file):
    assert batch_run(cli, tmp_path / "batch", topics_file)[0] == 0
    assert sim.message_calls == 0 and len(sim.requests) == 8  # all 8 drafts went through the batch
    batch = json.loads((tmp_path / "batch" / "batches.jsonl").read_text().splitlines()[0])
    assert set(batch["custom_ids"]) == {t.id for t in make_topics(8)}  # the topic ids themselves
    assert cli("simulate", "--engine", "claude", "--topics", topics_file, "--persona",
               bundled.persona("warm-casual"), "--epochs", "0", "--concurrency", "1",
               "--out", tmp_path / "live")[0] == 0
    drafts = {name: {r["topic_id"]: r["draft"] for r in recorded(tmp_path / name)} for name in ("batch", "live")}
    assert drafts["batch"] == drafts["live"]  # the simulator answers batches in another order: ids still match
    rows = {name: UsageLog(tmp_path / name / "usage.csv").rows for name in ("batch", "live")}
    assert {r["purpose"] for r in rows["batch"]} == {"draft (batch)"}
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
        calls.append(record["topic_id"])
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


@pytest.mark.parametrize("outcome, says", [
    (("errored", "invalid_request_error", "messages.0: something is wrong"),
     "topic-1: errored (invalid_request_error: messages.0: something is wrong)"),
    ("expired", "topic-1: expired"), ("canceled", "topic-1: canceled"),
])
def test_failed_results_keep_their_error_and_a_resumed_run_sends_only_those_again(sim, cli, tmp_path, topics_file,
                                                                                 outcome, says):
    out = tmp_path / "r"
    sim.batch_outcomes = {"topic-1": outcome}
    code, _, err = batch_run(cli, out, topics_file)
    assert code == 1 and err.count("\n") == 1 and says in err and "the others are recorded" in err
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
    assert sim.message_calls == 1 + 2  # a warm-up, then the refused draft asked directly, twice
    assert "topic-5" not in {r["topic_id"] for r in recorded(out)}
