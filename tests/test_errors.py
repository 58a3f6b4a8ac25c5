"""One error tree with its exit statuses, and one reading of any error as a line (writebot.errors.explain); the loop's
watchers watch and its stopper stops."""

import ast
import errno
import logging

import pytest

from writebot import bundled, errors
from writebot.errors import (
    BatchIncomplete,
    BudgetReached,
    InputError,
    ModelStop,
    ReadOnly,
    Refused,
    WritebotError,
    explain,
)
from writebot.loop.registry import build_engine
from writebot.loop.trainer import Callbacks, train
from writebot.runs import RunOptions, continue_run, start_run
from writebot.store.run_folder import RunStore
from writebot.store.usage import UsageLog
from writebot.text.topics import load_topics
from writebot.users import PersonaUser, load_persona

from .conftest import ROOT


def test_every_exception_writebot_defines_lives_in_errors_and_is_a_writebot_error():
    elsewhere = []
    for path in (ROOT / "writebot").rglob("*.py"):
        if "testing" in path.parts or path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            bases = [getattr(b, "id", "") or getattr(b, "attr", "") for b in getattr(node, "bases", [])]
            if isinstance(node, ast.ClassDef) and any(b.endswith(("Error", "Exception")) for b in bases):
                elsewhere.append(f"{path.relative_to(ROOT)}: {node.name}")
    assert not elsewhere, elsewhere
    defined = [v for v in vars(errors).values() if isinstance(v, type) and issubclass(v, BaseException)]
    assert len(defined) >= 14 and all(issubclass(e, WritebotError) for e in defined)


@pytest.mark.parametrize(("exc", "code", "says"), [
    (InputError("topics.yaml: topic 3: 'points' is missing; add a list"), 2, "error: topics.yaml: topic 3"),
    (BudgetReached("budget reached in epoch 1 with 3 drafts to go"), 0,
     "writebot: budget reached in epoch 1 with 3 drafts to go (spent $0.5000); stopped cleanly. Continue with: "
     "writebot resume runs/a --max-cost-usd MORE"),
    (Refused("draft", "Claude declined twice"), 1,
     "nothing partial was recorded. Continue with: writebot resume runs/a"),
    (BatchIncomplete("2 batched drafts failed", 2), 2,
     "2 batched drafts failed. Continue with: writebot resume runs/a"),
    (OSError(errno.ENOSPC, "No space left on device", "runs/a/feedback.jsonl"), 1,
     "could not write runs/a/feedback.jsonl (No space left on device); everything recorded before it is kept"),
    (PermissionError(errno.EACCES, "Permission denied", "topics.yaml"), 2,
     "topics.yaml: Permission denied; check the path and its permissions"),
])
def test_one_reading_of_every_error_a_person_should_see_as_a_line(exc, code, says):
    explained = explain(exc, "runs/a", spent=0.5)
    assert explained.exit_code == code and says in explained.line and "\n" not in explained.line
    assert explained.line.startswith("writebot: error: ") == (code != 0)


def test_a_bug_is_not_read_as_a_line_it_keeps_its_traceback():
    assert explain(ValueError("a bug")) is None and explain(ReadOnly("a write through a reader")) is None
    assert explain(ModelStop("draft", "cut twice")).message == "cut twice"  # no run: nothing to continue


def test_the_offline_reading_never_imports_the_sdk():
    import subprocess
    import sys

    probe = ("import sys; from writebot.errors import explain, InputError; explain(InputError('x')); "
             "explain(ValueError('y')); print('anthropic' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr


def _start(tmp_path, topics_file, options=None):
    return start_run(tmp_path / "run", topics_file, bundled.persona("warm-casual"), bundled.starter_pipeline(),
                     options or RunOptions(epochs=1), "test")


def test_a_failing_watcher_is_logged_and_training_goes_on(tmp_path, topics_file, caplog):
    class Broken(Callbacks):
        def on_draft(self, record):
            raise RuntimeError("a plot that could not be drawn")

    class Counting(Callbacks):
        drafts = 0

        def on_draft(self, record):
            Counting.drafts += 1

    with _start(tmp_path, topics_file) as run, caplog.at_level(logging.WARNING, "writebot"):
        persona = load_persona(run.input_path("persona.yaml"))
        train(run, build_engine("rules"), PersonaUser(persona), load_topics(topics_file), run.load_version(0), 1,
              [Broken(), Counting()])
        assert run.config["status"] == "complete" and Counting.drafts == len(run.draft_records) > 0
    failed = [r for r in caplog.records if "Broken failed" in r.getMessage()]
    assert len(failed) == Counting.drafts and "a plot that could not be drawn" in (failed[0].exc_text or "")


def test_the_stopper_stops_and_a_resumed_run_ends_as_an_unstopped_one(tmp_path, topics_file):
    class AfterDrafts:
        def __init__(self, run, n):
            self.run, self.n = run, n

        def reached(self):
            return len(self.run.draft_records) >= self.n

    with _start(tmp_path, topics_file) as run:
        persona = load_persona(run.input_path("persona.yaml"))
        with pytest.raises(BudgetReached, match="budget reached in epoch 0"):
            train(run, build_engine("rules"), PersonaUser(persona), load_topics(topics_file), run.load_version(0), 1,
                  concurrency=1, stopper=AfterDrafts(run, 2))
        assert len(run.draft_records) == 2
    with RunStore.open_for_writing(tmp_path / "run", "resume") as run:
        continue_run(run)
        assert run.config["status"] == "complete"
        assert len(run.draft_records) == 2 * len(load_topics(topics_file))


def test_the_loop_stamps_each_usage_row_with_its_epoch(sim, tmp_path, topics_file):
    with _start(tmp_path, topics_file, RunOptions(engine="claude", epochs=1)) as run:
        continue_run(run)
    rows = UsageLog(tmp_path / "run" / "usage.csv").rows
    drafts = [r for r in rows if r["purpose"] == "draft"]
    assert {r["epoch"] for r in drafts} == {"0", "1"}
    assert sum(r["epoch"] == "0" for r in drafts) == len(load_topics(topics_file))
    updates = [r for r in rows if r["purpose"].startswith("update")]
    assert updates and all(r["epoch"] == "0" for r in updates)


def test_the_workbench_stamps_its_usage_rows_with_the_epoch_too(sim, tmp_path):
    from writebot.notebook.workbench import Workbench

    workbench = Workbench.open(tmp_path / "wb", engine="claude")
    topic = workbench.topics[0]
    draft = workbench.draft(topic)
    workbench.submit(topic, draft, "Shorter.", draft)
    workbench.apply(workbench.propose(), set())
    workbench.draft(workbench.topics[1])
    workbench.close()
    epochs = [r["epoch"] for r in UsageLog(tmp_path / "wb" / "usage.csv").rows]
    assert epochs[0] == "0" and epochs[-1] == "1" and "" not in epochs
