"""What Anthropic's docs say, and writebot did not do (the audit's points): a refused draft goes to a fallback model
once, or is not sent again; batches cache for an hour; a 400 before a batch stops the run; a spend cap is told
apart and not retried; a batch whose results expired is drafted again."""

import json

import pytest

from writebot import bundled
from writebot.store.run_folder import RunStore
from writebot.store.usage import UsageLog

from .conftest import make_topics


def is_draft_of(topic_id: str):
    title = next(t.title for t in make_topics(8) if t.id == topic_id)
    return lambda body: body.get("max_tokens") and not body.get("tools") and f"Title: {title}" in json.dumps(body)


def simulate(cli, out, topics_file, *args):
    return cli("simulate", "--engine", "claude", "--topics", topics_file, "--persona",
               bundled.persona("warm-casual"), "--epochs", "0", "--concurrency", "1", "--out", out, *args)


def records(out, name="feedback.jsonl"):
    path = out / name
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_refused_draft_goes_once_to_the_fallback_model_and_says_who_wrote_it(sim, cli, tmp_path, topics_file):
    """https://platform.claude.com/docs/en/build-with-claude/refusals-and-fallback: "You can usually still get an
    answer by sending the same request to another Claude model"."""
    refused = is_draft_of("topic-2")
    sim.fault_for = lambda body: "refusal" if refused(body) and body["model"] == "claude-sonnet-5-5" else None
    out = tmp_path / "r"
    code, _, err = simulate(cli, out, topics_file, "--fallback-model", "claude-opus-5-5")
    assert code == 0, err
    by_topic = {r["topic_id"]: r for r in records(out)}
    assert by_topic["topic-2"]["written_by"] == "claude-opus-5-5"
    assert {r["written_by"] for t, r in by_topic.items() if t != "topic-2"} == {"claude-sonnet-5-5"}
    assert [r["model"] for r in sim.requests if refused(r)] == ["claude-sonnet-5-5", "claude-opus-5-5"]
    rows = [r for r in UsageLog(out / "usage.csv").rows if r["model"] == "claude-opus-5-5"]
    assert len(rows) == 1 and float(rows[0]["cost_usd"]) > 0  # priced as the fallback model
    assert json.loads((out / "run.json").read_text())["fallback_model"] == "claude-opus-5-5"  # kept for resume


@pytest.mark.slow
def test_without_a_fallback_a_refused_draft_is_recorded_refused_after_one_request(sim, cli, tmp_path, topics_file):
    sim.fault_for = lambda body: "refusal" if is_draft_of("topic-2")(body) else None
    out = tmp_path / "r"
    assert simulate(cli, out, topics_file)[0] == 0
    assert [r["topic_id"] for r in records(out, "refusals.jsonl")] == ["topic-2"]
    assert len([r for r in sim.requests if is_draft_of("topic-2")(r)]) == 1  # no second, identical, paid request


def test_batches_cache_for_an_hour_and_pay_the_hour_rate(sim, cli, tmp_path, topics_file):
    """https://platform.claude.com/docs/en/build-with-claude/batch-processing: batches can take longer than 5
    minutes; "consider using the 1-hour cache duration"."""
    out = tmp_path / "r"
    assert simulate(cli, out, topics_file, "--batch-api")[0] == 0
    controls = [r["system"][0]["cache_control"] for r in sim.requests]
    assert controls and all(c == {"type": "ephemeral", "ttl": "1h"} for c in controls)  # warm-up and batch items
    warm = next(r for r in UsageLog(out / "usage.csv").rows if r["purpose"] == "cache warm-up")
    written = int(warm["cache_creation_input_tokens"])
    from writebot.claude.pricing import price_of

    price = price_of("claude-sonnet-5-5")
    expected = (int(warm["input_tokens"]) * price.input + written * price.cache_write_1h) / 1e6
    assert written and abs(float(warm["cost_usd"]) - expected) < 1e-6  # written at the 1-hour rate


def test_a_400_before_a_batch_stops_the_run_with_the_apis_message(sim, cli, tmp_path, topics_file):
    sim.expect_400 = True
    sim.fault_for = lambda body: 400 if body.get("max_tokens") == 0 else None
    code, _, err = simulate(cli, tmp_path / "r", topics_file, "--batch-api")
    assert code == 2 and err.count("\n") == 1 and "refused the request" in err
    assert sim._batches == {}  # no batch was sent to fail item by item


def test_a_spend_cap_is_told_apart_exit_2_and_not_retried(sim, cli, tmp_path, topics_file):
    """https://platform.claude.com/docs/en/api/errors: a 429 `rate_limit_error` with `error.details.error_code`
    "enforced_spend_limit_reached" and no retry-after: retrying fails until the month turns."""
    sim.fault_for = lambda body: "spend_cap"
    code, _, err = simulate(cli, tmp_path / "r", topics_file)
    assert code == 2 and err.count("\n") == 1
    assert "monthly spend cap" in err and "first day of next month" in err and "try again later" not in err
    assert sim.message_calls == 1
    sim.fault_for = lambda body: 429  # an ordinary rate limit is still retried (four times) and told so
    code, _, err = simulate(cli, tmp_path / "r2", topics_file)
    assert code == 1 and sim.message_calls == 1 + 5 and "try again later" not in err


def test_a_batch_whose_results_expired_is_drafted_again_on_resume(sim, cli, tmp_path, topics_file, monkeypatch):
    """https://platform.claude.com/docs/en/build-with-claude/batch-processing: "Batch results are available for 29
    days after creation"; a run resumed later says so and sends those topics again."""
    out = tmp_path / "r"
    real = RunStore.record_draft

    def stop(self, record):
        raise KeyboardInterrupt

    monkeypatch.setattr(RunStore, "record_draft", stop)
    assert simulate(cli, out, topics_file, "--batch-api")[0] == 1  # the batch was sent, nothing recorded
    monkeypatch.setattr(RunStore, "record_draft", real)
    first = next(iter(sim._batches))
    sim.expired.add(first)  # a month later
    code, _, err = cli("resume", out)
    assert code == 0, err
    assert f"the results of Message Batch {first} are no longer available" in err and "base URL" not in err
    assert len(sim._batches) == 2 and sorted(r["topic_id"] for r in records(out)) == sorted(
        t.id for t in make_topics(8))
