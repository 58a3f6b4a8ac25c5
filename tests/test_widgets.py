"""Widgets, driven the way a person would: set .value, .click(), then check the run folder and the library."""

import json

import pytest

from writebot.notebook.widgets import FeedbackEditor, RunDashboard, TrainingApp, UpdateReview, VersionBrowser, diff_html
from writebot.notebook.workbench import Workbench
from writebot.store.run_folder import RunStore
from writebot.text.topics import topic_from_text


def records(path):
    return [json.loads(x) for x in (path / "feedback.jsonl").read_text().splitlines()]


def test_css_classes_are_stable(tmp_path):
    app = TrainingApp(Workbench.open(tmp_path / "run", engine="rules"))
    editor = app.editor
    assert "wb-draft" in editor.draft._dom_classes and "wb-feedback" in editor.feedback._dom_classes
    assert "wb-ground-truth" in editor.ground_truth._dom_classes and "wb-diff" in editor.diff._dom_classes
    assert "wb-submit" in editor.submit._dom_classes and "wb-train" in app.train._dom_classes
    assert "wb-epoch" in app.dashboard.epoch._dom_classes and "wb-status" in app.dashboard.status._dom_classes


def test_submit_saves_feedback_and_ground_truth_at_once(tmp_path):
    app = TrainingApp(Workbench.open(tmp_path / "run", engine="rules"))
    editor = app.editor
    assert editor.ground_truth.value == editor.draft.value  # prefilled with the draft
    editor.feedback.value = 'Say "use", not "utilize".'
    editor.ground_truth.value = editor.draft.value.replace("Until next time", "See you next time")
    assert editor.ground_truth.value != editor.draft.value
    assert "<del" in editor.diff.value and "<ins" in editor.diff.value  # the live diff follows the edit
    editor.submit.click()
    saved = records(tmp_path / "run")
    assert len(saved) == 1 and saved[0]["feedback"] == ['Say "use", not "utilize".']
    assert saved[0]["ground_truth"] == editor.ground_truth.value and saved[0]["by"] == "human"
    assert "saved" in app.dashboard.status.value and editor.submit.disabled


def test_suggest_revision_applies_the_feedback_offline(tmp_path):
    app = TrainingApp(Workbench.open(tmp_path / "run", engine="rules"))
    app.editor.feedback.value = "No exclamation marks, please."
    app.editor.suggest.click()
    assert "!" in app.editor.draft.value and "!" not in app.editor.ground_truth.value


def test_review_rejected_hunks_stay_out_of_the_next_version(tmp_path):
    workbench = Workbench.open(tmp_path / "run", engine="rules")
    topic = workbench.topics[0]
    draft = workbench.draft(topic)
    truth = draft.replace("!", ".").replace("utilize", "use").replace("Utilize", "Use") + "\nBye now.\n"
    workbench.submit(topic, draft, 'Say "use", not "utilize".\nNo exclamation marks.\nEnd with "Bye now."', truth)
    proposal = workbench.propose()
    applied = {}
    review = UpdateReview(proposal, lambda accepted: applied.setdefault("ids", accepted) and "ok")
    assert len(review.checks) >= 1 and all(c.value for c in review.checks.values())  # accepted by default
    first = next(iter(review.checks))
    review.checks[first].value = False
    review.apply.click()
    assert applied["ids"] == set(review.checks) - {first}
    new = workbench.apply(proposal, applied["ids"])
    assert workbench.epoch == 1 and RunStore.open(tmp_path / "run").load_version(1) == new
    update = RunStore.open(tmp_path / "run").update_records[-1]
    assert update.rejected_hunks == [first] and update.status in ("partial", "rejected")


def test_train_and_apply_advance_the_epoch_and_the_dashboard(tmp_path):
    app = TrainingApp(Workbench.open(tmp_path / "run", engine="rules"))
    app.train.click()  # nothing submitted yet: a clear message, no update
    assert "submit feedback on a draft first" in app.dashboard.status.value and app.review is None
    app.editor.feedback.value = 'Say "use", not "utilize".'
    app.editor.suggest.click()
    app.editor.submit.click()
    app.train.click()
    app.review.apply.click()
    assert "Epoch 1" in app.dashboard.epoch.value and "new pipeline version saved" in app.dashboard.status.value
    assert (tmp_path / "run" / "versions" / "epoch_001" / "STYLE.md").exists()
    assert app.editor.draft.value == app.workbench.draft(app._current_topic())  # a fresh draft from version 1
    assert "utilize" not in app.editor.draft.value.lower()


def test_reopening_resumes_where_it_stopped(tmp_path):
    first = TrainingApp(Workbench.open(tmp_path / "run", engine="rules"))
    first.editor.feedback.value = "Too stiff."
    first.editor.submit.click()
    first.workbench.close()  # the kernel stopped (a crash does the same: the OS lets go of the lock)
    again = TrainingApp(Workbench.open(tmp_path / "run"))
    assert again.workbench.epoch == 0 and len(again.workbench.submitted()) == 1
    assert "1 draft reviewed" in again.dashboard.status.value


def test_a_run_another_process_writes_opens_read_only_and_says_why(tmp_path):
    import subprocess
    import sys

    Workbench.open(tmp_path / "run", engine="rules").close()
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; "
                               "from writebot.store.run_folder import RunStore; "
                               "held = RunStore.open_for_writing(sys.argv[1], 'resume'); print('locked', flush=True); "
                               "time.sleep(60)", str(tmp_path / "run")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = sorted((p, p.stat().st_mtime_ns) for p in (tmp_path / "run").rglob("*") if p.is_file())
        app = TrainingApp(Workbench.open(tmp_path / "run"))
        status = app.dashboard.status.value
        assert status.startswith("read-only:") and f"in use by pid {holder.pid} (resume)" in status
        app.train.click()
        assert "read-only" in app.dashboard.status.value
        after = sorted((p, p.stat().st_mtime_ns) for p in (tmp_path / "run").rglob("*") if p.is_file())
        assert before == after  # nothing in the folder changed
    finally:
        holder.kill()
        holder.wait()


def test_version_browser_and_dashboard_follow_the_run(tmp_path):
    workbench = Workbench.open(tmp_path / "run", engine="rules")
    topic = topic_from_text("My Own Topic", "Utilize the tools!\nKeep it short.")
    draft = workbench.draft(topic)
    workbench.submit(topic, draft, 'Say "use", not "utilize".', draft.replace("Utilize", "Use"))
    proposal = workbench.propose()
    workbench.apply(proposal, {h.id for h in proposal.hunks})
    browser = VersionBrowser(workbench.run)
    assert browser.slider.max == 1 and "utilize" in browser.style.value and "<ins" in browser.changes.value
    browser.slider.value = 0
    assert "starting pipeline" in browser.changes.value
    dashboard = RunDashboard(workbench.run, workbench.status)
    assert "Epoch 1" in dashboard.epoch.value


def test_diff_html_marks_insertions_and_deletions():
    out = diff_html("I utilize <tools>!", "I use <tools>.")
    assert "&lt;tools&gt;" in out and out.count("<del") == 2 and out.count("<ins") == 2
    assert "no changes yet" in diff_html("same", "same")


def test_feedback_editor_alone(tmp_path):
    got = {}
    editor = FeedbackEditor("A title", "# T\n\nHello!\n", lambda f, g, e: got.update(f=f, g=g, e=e) or "done")
    editor.feedback.value = "fine"
    editor.submit.click()
    assert {k: got[k] for k in "fg"} == {"f": "fine", "g": "# T\n\nHello!\n"} and editor.message.value == "done"
    assert got["e"].words == 1 and got["e"].seconds >= 0  # the feedback's one word


def test_the_editor_counts_the_words_a_person_types_not_the_machine(tmp_path):
    from writebot.users.effort import EffortMeter

    ticks = iter([100.0, 163.4])
    got = {}
    editor = FeedbackEditor("A title", "# T\n\nWe utilize it daily.\n", lambda f, g, e: got.update(e=e) or "ok",
                            lambda d, f: "# T\n\nWe use it daily. Thanks!\n")
    editor.meter = EffortMeter(editor.draft.value, clock=lambda: next(ticks))
    for state in ("# T\n\nWe utiliz it daily.\n", "# T\n\nWe u it daily.\n", "# T\n\nWe it daily.\n",
                  "# T\n\nWe l it daily.\n", "# T\n\nWe lov it daily.\n", "# T\n\nWe love it daily.\n"):
        editor.ground_truth.value = state  # "utilize" backspaced away, "love" typed letter by letter
    editor.feedback.value = "Plain"
    editor.feedback.value = "Plain words"
    editor.suggest.click()  # the machine's revision: not typed
    editor.submit.click()
    assert got["e"].seconds == 63.4
    assert got["e"].words == 2 + 2  # a word deleted, a word typed; two words of feedback


def test_resume_points_a_hand_trained_run_to_the_notebook(tmp_path, cli):
    Workbench.open(tmp_path / "run", engine="rules")
    code, _, err = cli("resume", tmp_path / "run")
    assert code == 2 and "notebook 02" in err and err.count("\n") == 1
    code, out, _ = cli("report", tmp_path / "run")  # nothing drafted yet: a clear error too
    assert code == 2


def test_a_damaged_run_opens_read_only_and_says_where(tmp_path):
    workbench = Workbench.open(tmp_path / "run", engine="rules")
    topic = topic_from_text("My Own Topic", "Utilize the tools!")
    workbench.submit(topic, workbench.draft(topic), "", "# My Own Topic\n\nUse the tools.\n")
    workbench.submit(topic, workbench.draft(topic), "", "# My Own Topic\n\nUse them.\n")
    workbench.close()
    log = tmp_path / "run" / "feedback.jsonl"
    log.write_bytes(b"{oops\n" + log.read_bytes())
    app = TrainingApp(Workbench.open(tmp_path / "run"))
    assert "read-only:" in app.dashboard.status.value and "feedback.jsonl:1: not a JSON record" in \
        app.dashboard.status.value


def test_the_writing_widget_checks_its_options_as_every_other_entry_point_does():
    from writebot import bundled
    from writebot.errors import InputError
    from writebot.notebook.widgets import WritingApp

    with pytest.raises(InputError, match="--judge nope: not a judge"):
        WritingApp(bundled.starter_pipeline(), judge="nope")
