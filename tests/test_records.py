"""A run folder's records are typed (docs/FORMATS.md §4): the store reads each log line into its model
(writebot/store/formats.py), whose fields cover everything a writer records, and readers use its attributes; the
files stay JSON lines, written back byte for byte as they were read."""

import json

import pytest

from writebot import bundled
from writebot.files import JsonlLog
from writebot.notebook.workbench import Workbench
from writebot.runs import replay_demo
from writebot.store.formats import LOGS, BatchRecord, DraftRecord, RefusalRecord, UpdateRecord, UpdateSummary
from writebot.store.run_folder import RunStore
from writebot.text.topics import load_topics
from writebot.users.effort import Effort

from .conftest import make_topics


def uncovered(run_dir) -> dict[str, set[str]]:
    """Per log, the fields of its records that its model does not declare (nested faithfulness fields included);
    and every record, dumped again, must be its line."""
    out: dict[str, set[str]] = {}
    for name, model in LOGS.items():
        path = run_dir / name
        for line in path.read_text("utf-8").splitlines() if path.exists() else []:
            record = model.model_validate(json.loads(line))
            assert json.dumps(record.to_dict(), ensure_ascii=False) == line, (name, line[:80])
            extra = set(record.model_extra)
            if isinstance(record, DraftRecord) and record.faithfulness is not None:
                extra |= {f"faithfulness.{k}" for k in record.faithfulness.model_extra}
            out.setdefault(name, set()).update(extra)
    return out


def test_the_store_returns_each_log_as_its_records_model(cli, tmp_path):
    assert cli("demo", "--out", tmp_path / "demo")[0] == 0
    run = RunStore.open(tmp_path / "demo")
    assert run.draft_records and all(type(r) is DraftRecord for r in run.draft_records)
    assert run.update_records and all(type(u) is UpdateRecord for u in run.update_records)
    assert all(type(h) is UpdateSummary for h in run.update_history())
    record = run.draft_records[0]
    assert record.faithfulness.judge == "rules" and record.word_edit_distance >= 0 and record.written_by == "rules-v1"
    assert run.verdict_for(0).status in ("accepted", "rolled_back", "unchanged")
    assert uncovered(tmp_path / "demo") == {"feedback.jsonl": set(), "updates.jsonl": set()}


def test_a_claude_run_and_a_persons_run_record_no_field_their_models_lack(tmp_path):
    replayed = replay_demo(tmp_path / "claude")  # Claude drafts, reviews, judges and updates (the demo cassette)
    assert uncovered(replayed) == dict.fromkeys(["feedback.jsonl", "updates.jsonl"], set())
    assert RunStore.open(replayed).draft_records[0].written_by.startswith("claude-")
    workbench = Workbench.open(tmp_path / "hand", engine="rules")  # a person reviews and applies by hand
    topic = load_topics(bundled.starter_topics())[0]
    draft = workbench.draft(topic)
    workbench.submit(topic, draft, 'Say "use", not "utilize".', draft.replace("utilize", "use") + "\nBye.\n",
                     Effort(seconds=12.5, words=4))
    proposal = workbench.propose()
    workbench.apply(proposal, {h.id for h in proposal.hunks})
    workbench.close()
    assert uncovered(tmp_path / "hand") == {"feedback.jsonl": set(), "updates.jsonl": set()}
    run = RunStore.open(tmp_path / "hand")
    assert (run.draft_records[0].effort_seconds, run.draft_records[0].by) == (12.5, "human")
    assert run.update_records[0].hunks_reviewed == len(proposal.hunks)


def test_refused_and_batched_drafts_record_no_field_their_models_lack(sim, cli, tmp_path, topics_file):
    title = make_topics(8)[5].title
    sim.fault_for = lambda body: "refusal" if f"Title: {title}" in json.dumps(body) and body["max_tokens"] else None
    code, _, err = cli("simulate", "--engine", "claude", "--batch-api", "--topics", topics_file, "--persona",
                       bundled.persona("warm-casual"), "--epochs", "0", "--out", tmp_path / "r")
    assert code == 0, err
    assert uncovered(tmp_path / "r") == dict.fromkeys(["feedback.jsonl", "refusals.jsonl", "batches.jsonl"], set())
    run = RunStore.open(tmp_path / "r")
    assert [(type(r), r.topic_id, r.stage) for r in run.refusal_records] == [(RefusalRecord, "topic-5", "draft")]
    assert [type(b) for b in run.batches.read()] == [BatchRecord] and run.batches_for(0)


def test_a_field_a_newer_writebot_adds_is_kept_and_written_back_unchanged(tmp_path):
    line = {"epoch": 0, "status": "accepted", "rationale": "r", "from a newer version": [1, 2]}
    record = UpdateRecord.model_validate(line)
    assert record.model_extra == {"from a newer version": [1, 2]} and record.to_dict() == line


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("similarity", "high", "similarity is str, not int or float or null"),
    ("faithfulness", {"judge": "rules"}, "missing faithfulness.points, faithfulness.truth_points, faithfulness.lost"),
    ("faithfulness", {"judge": "rules", "points": ["kept"], "truth_points": ["kept"], "lost": ["0"]},
     "faithfulness.lost[0] is str, not int"),
    ("effort_seconds", True, "effort_seconds is bool, not int or float or null"),
    ("feedback", ["Shorter.", 2], "feedback[1] is int, not str"),
    ("topic", ["not", "a", "topic"], "topic is list, not dict"),
])
def test_a_declared_field_of_the_wrong_type_sets_the_line_aside_with_the_reason(tmp_path, field, value, reason):
    good = {"epoch": 0, "topic_id": "a", "split": "train", "version": "v", "draft": "d", "feedback": [],
            "ground_truth": "g"}
    log = JsonlLog(tmp_path / "feedback.jsonl", DraftRecord)
    log.append(good)
    log.append({**good, field: value})
    scan = log.scan()
    assert [r.to_dict() for r in scan.records] == [good] and [b.reason for b in scan.bad] == [reason]


def test_a_wrong_value_inside_an_update_record_is_named_with_where_it_is():
    line = {"epoch": 0, "status": "accepted", "diff": {"STYLE.md": 3}, "lint": ["fine", None]}
    assert UpdateRecord.problem(line) == "diff['STYLE.md'] is int, not str, lint[1] is NoneType, not str"


def test_a_writer_cannot_record_a_field_no_model_declares(tmp_path):
    with RunStore.create(tmp_path / "run", {}, {}) as run:
        with pytest.raises(RuntimeError, match="surprise not declared in writebot/store/formats.py"):
            run.record_update(UpdateRecord.model_validate({"epoch": 0, "status": "accepted", "surprise": 1}))
        run.record_update(UpdateRecord(epoch=0, status="accepted"))
    assert (tmp_path / "run" / "updates.jsonl").read_text() == '{"epoch": 0, "status": "accepted"}\n'
