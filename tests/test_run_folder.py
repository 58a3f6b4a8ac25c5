"""The run store: atomic writes, fsynced appends, and resume after a crash at any point."""

import os
import signal
import subprocess
import sys
import time

import pytest

from writebot import bundled
from writebot.files import JsonlLog, write_atomic, write_tree_atomic
from writebot.loop.registry import build_engine
from writebot.loop.trainer import train
from writebot.store.formats import UpdateRecord
from writebot.store.run_folder import RunStore
from writebot.testing.topics import generate_topics, to_yaml
from writebot.text.pipeline import Pipeline
from writebot.users import PersonaUser, load_persona

from .conftest import make_topics


class Crash(Exception):
    pass


def run_args():
    return (build_engine("rules"), PersonaUser(load_persona(bundled.persona("warm-casual"))), make_topics(8),
            Pipeline.load(bundled.starter_pipeline()))


def fingerprint(run_dir):
    run = RunStore.open(run_dir)
    drafts = [(r.epoch, r.topic_id, r.draft, r.ground_truth, tuple(r.feedback))
              for r in run.draft_records]
    updates = [(u.epoch, u.status, u.to_version) for u in run.update_records]
    return drafts, updates, (run_dir / "history.csv").read_text()


@pytest.fixture
def clean_run(tmp_path):
    with RunStore.create(tmp_path / "clean", {"epochs": 2}, {}) as run:
        train(run, *run_args(), epochs=2)
    return fingerprint(tmp_path / "clean")


@pytest.mark.slow
@pytest.mark.parametrize("crash_at", [1, 7, 8, 13, 23])
def test_crash_mid_epoch_then_resume_loses_and_doubles_nothing(tmp_path, monkeypatch, clean_run, crash_at):
    run = RunStore.create(tmp_path / "crashed", {"epochs": 2}, {})
    real = RunStore.record_draft
    calls = {"n": 0}

    def flaky(self, record):
        calls["n"] += 1
        if calls["n"] == crash_at:
            raise Crash()
        real(self, record)

    monkeypatch.setattr(RunStore, "record_draft", flaky)
    with pytest.raises(Crash):
        train(run, *run_args(), epochs=2)
    monkeypatch.setattr(RunStore, "record_draft", real)
    run.close()  # what the end of a crashed process does
    assert len(RunStore.open(run.path).draft_records) == crash_at - 1
    with RunStore.open_for_writing(run.path, "test") as again:
        train(again, *run_args(), epochs=2)
    assert fingerprint(run.path) == clean_run


def test_crash_between_snapshot_and_update_record_redoes_the_update_once(tmp_path, monkeypatch, clean_run):
    run = RunStore.create(tmp_path / "crashed", {"epochs": 2}, {})

    def boom(self, record):
        raise Crash()

    monkeypatch.setattr(RunStore, "record_update", boom)
    with pytest.raises(Crash):
        train(run, *run_args(), epochs=2)
    assert run.has_version(1) and not run.update_records  # the next version was written, its record was not
    monkeypatch.undo()
    run.close()
    with RunStore.open_for_writing(run.path, "test") as again:
        train(again, *run_args(), epochs=2)
    assert fingerprint(run.path) == clean_run


def test_a_torn_last_line_is_moved_aside_by_the_writer_and_that_draft_redone(tmp_path, clean_run):
    with RunStore.create(tmp_path / "torn", {"epochs": 2}, {}) as run:
        train(run, *run_args(), epochs=0)
    log = run.path / "feedback.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:5]) + lines[5][:40])  # a crash in the middle of writing record 6
    (run.path / "updates.jsonl").unlink(missing_ok=True)
    reader = RunStore.open(run.path)
    assert len(reader.draft_records) == 5 and [(b.line, b.torn) for b in reader.skipped] == [(6, True)]
    assert log.read_bytes() == b"".join(lines[:5]) + lines[5][:40]  # reading changed nothing
    with RunStore.open_for_writing(run.path, "test") as reopened:
        aside = next(run.path.glob("feedback.jsonl.torn-*"))
        assert aside.read_bytes() == lines[5][:40] and log.read_bytes() == b"".join(lines[:5])
        assert reopened.repaired == [f"feedback.jsonl:6: a torn last line (40 bytes, a write that did not finish) "
                                     f"moved to {aside.name}"]
        train(reopened, *run_args(), epochs=2)
    assert fingerprint(run.path) == clean_run


@pytest.mark.slow
def test_killed_process_resumes_from_the_command_line(tmp_path):
    """A real SIGKILL in the middle of an epoch, then `writebot resume`: same records as an uninterrupted run."""
    topics = tmp_path / "topics.yaml"
    topics.write_text(to_yaml(generate_topics(300, seed=3)), encoding="utf-8")
    persona = bundled.persona("terse-technical")
    common = ["simulate", "--topics", topics, "--persona", persona, "--epochs", "2"]
    cmd = [sys.executable, "-m", "writebot"]
    subprocess.run([*cmd, *common, "--out", tmp_path / "clean"], check=True, capture_output=True)

    victim = subprocess.Popen([*cmd, *common, "--out", tmp_path / "killed"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    log = tmp_path / "killed" / "feedback.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if log.exists() and log.read_bytes().count(b"\n") >= 350:  # inside epoch 1
            break
        time.sleep(0.005)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL
    recorded = log.read_bytes().count(b"\n")
    assert 350 <= recorded < 900, "the kill should land mid-run"

    resumed = subprocess.run([*cmd, "resume", tmp_path / "killed"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert fingerprint(tmp_path / "killed") == fingerprint(tmp_path / "clean")


def test_append_fsyncs_every_record(tmp_path, monkeypatch):
    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd)))
    log = JsonlLog(tmp_path / "log.jsonl")
    for i in range(3):
        log.append({"i": i})
    assert len(synced) == 3
    assert [r["i"] for r in log.read()] == [0, 1, 2]


def test_atomic_writes_leave_no_temp_files_and_replace_whole_trees(tmp_path):
    write_atomic(tmp_path / "a.txt", "one")
    write_atomic(tmp_path / "a.txt", "two")
    write_tree_atomic(tmp_path / "tree", {"x.md": "1", "sub/y.md": "2"})
    write_tree_atomic(tmp_path / "tree", {"z.md": "3"})
    assert (tmp_path / "a.txt").read_text() == "two"
    assert sorted(p.relative_to(tmp_path / "tree").as_posix() for p in (tmp_path / "tree").rglob("*")) == ["z.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "tree"]


def test_failed_atomic_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "history.csv"
    write_atomic(target, "old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_atomic(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["history.csv"]


def test_a_record_without_its_fields_or_with_the_wrong_types_is_set_aside_with_the_reason(tmp_path):
    from writebot.store.formats import DraftRecord

    log = JsonlLog(tmp_path / "feedback.jsonl", DraftRecord)
    good = {"epoch": 0, "topic_id": "a", "split": "train", "version": "v", "draft": "d", "feedback": [],
            "ground_truth": "g", "extra": "kept"}
    log.append(good)
    log.append({**good, "epoch": "1", "feedback": "not a list"})
    log.append({**good, "epoch": True})
    log.append({"epoch": 2, "draft": "d"})
    scan = log.scan()
    assert [r.to_dict() for r in scan.records] == [good]  # a field this version does not know is kept
    assert [b.reason for b in scan.bad] == ["epoch is str, not int, feedback is str, not list of str",
                                            "epoch is bool, not int",
                                            "missing topic_id, split, version, feedback, ground_truth"]


def test_the_update_history_holds_each_update_once_with_its_last_record(tmp_path):
    with RunStore.create(tmp_path / "run", {"epochs": 2}, {}) as run:
        for fields in ({"epoch": 0, "status": "failed", "train_cost_before": 9, "train_cost_after": None,
                        "rationale": "failed: the answer was cut"},
                       {"epoch": 0, "status": "accepted", "train_cost_before": 9, "train_cost_after": 4,
                        "rationale": "Added a greeting."},
                       {"epoch": 1, "status": "pending", "train_cost_before": 4, "train_cost_after": None,
                        "rationale": "Shorter sentences."},
                       {"epoch": 1, "kind": "gate", "status": "rolled_back", "train_cost_before": 4,
                        "train_cost_after": 6}):
            run.record_update(UpdateRecord.model_validate(fields))
        history = run.update_history()
    assert [(h.epoch, h.status, h.train_cost_after, h.rationale) for h in history] == [
        (0, "accepted", 4, "Added a greeting."), (1, "rolled_back", 6, "Shorter sentences.")]
