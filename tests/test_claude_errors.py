"""Every API error is one line that says what to do, in every command and in the notebook's status line: exit 2
when the user must fix something (key, model, request), exit 1 when resuming later is the fix."""

import json

import pytest

from writebot import bundled
from writebot.testing.replies import scripted, tool_reply

ERRORS = [  # (status, what the line must say, exit code)
    (401, "check ANTHROPIC_API_KEY", 2),
    (400, "the Claude API refused the request (400 invalid_request_error): simulated 400", 2),
    (403, "may not do this", 2),
    (429, "writebot resume", 1),
    (500, "writebot resume", 1),
    (529, "writebot resume", 1),
]


def always(status):
    return lambda body: status


def one_line(err):
    """One error line (resume says first what it resumes), and no traceback."""
    return len([line for line in err.splitlines() if line.startswith("writebot: error: ")]) == 1 \
        and err.endswith("\n") and "Traceback" not in err and err.splitlines()[-1].startswith("writebot: error: ")


@pytest.mark.slow
@pytest.mark.parametrize("status, says, code", ERRORS)
def test_simulate_and_resume(sim, cli, tmp_path, topics_file, status, says, code):
    sim.expect_400 = True
    sim.fault_for = always(status)
    out = tmp_path / "r"
    got, _, err = cli("simulate", "--engine", "claude", "--topics", topics_file, "--persona",
                      bundled.persona("warm-casual"), "--epochs", "0", "--out", out)
    assert (got, one_line(err)) == (code, True), err
    assert says in err
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "failed" and says.split(":")[0] in run["error"]
    if status in (429, 500, 529):
        assert sim.message_calls == 5  # the first try and the SDK's 4 retries
    got, _, err = cli("resume", out)
    assert (got, one_line(err), says in err) == (code, True, True)
    sim.fault_for = None  # fixed (or the API is back): resume finishes the run
    assert cli("resume", out)[0] == 0


def test_an_unknown_model_names_it_and_resume_takes_another(sim, cli, tmp_path, topics_file):
    out = tmp_path / "r"
    code, _, err = cli("simulate", "--engine", "claude", "--model", "claude-sonet-5-5", "--topics", topics_file,
                       "--persona", bundled.persona("warm-casual"), "--epochs", "0", "--out", out)
    assert code == 2 and one_line(err)
    assert "model 'claude-sonet-5-5' does not exist" in err and "writebot models" in err
    assert f"continue with: writebot resume {out} --model ID" in err
    code, _, err = cli("resume", out, "--judge-model", "claude-haiku-5-5")  # the run's judge calls no model
    assert code == 2 and one_line(err) and "--judge-model goes with a judge that calls Claude" in err
    assert cli("resume", out, "--model", "claude-sonnet-5-5")[0] == 0
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "complete" and run["model"] == "claude-sonnet-5-5"
    assert [(c["option"], c["from"], c["to"], c["drafts_recorded"]) for c in run["model_changes"]] == [
        ("model", "claude-sonet-5-5", "claude-sonnet-5-5", 0)]
    code, _, err = cli("resume", out, "--model", "claude-opus-5")
    assert code == 2 and "is complete, nothing is left to draft" in err


def test_a_judge_model_that_does_not_exist_is_named_with_its_own_option(sim, cli, tmp_path):
    post = tmp_path / "post.md"
    post.write_text("# Cleaning A Bike Chain\n\nWipe the chain.\n")
    code, _, err = cli("judge", post, "--topics", bundled.starter_topics(), "--topic-id", "bike-chain", "--judge",
                       "claude", "--judge-model", "claude-haiku-0")
    assert code == 2 and one_line(err) and "model 'claude-haiku-0' does not exist" in err
    assert "run the command again with --judge-model ID (or WRITEBOT_JUDGE_MODEL)" in err


@pytest.mark.parametrize("status, says, code", ERRORS)
def test_init(sim, cli, tmp_path, status, says, code):
    sim.expect_400 = True
    (tmp_path / "ex").mkdir()
    (tmp_path / "ex" / "a.md").write_text("# A\n\nHello.\n")
    sim.fault_for = always(status)
    got, _, err = cli("init", "--engine", "claude", "--description", "Chatty.", "--examples", tmp_path / "ex",
                      "--out", tmp_path / "p")
    assert (got, one_line(err)) == (code, True), err
    assert (says if code == 2 else "try again later") in err and not (tmp_path / "p").exists()


def test_models_lists_what_the_api_serves_and_explains_a_bad_key(sim, cli):
    code, out, _ = cli("models")
    assert code == 0 and "claude-sonnet-5-5" in out.split()
    sim.api_key = "the-right-key"
    code, _, err = cli("models")
    assert code == 2 and one_line(err) and "check ANTHROPIC_API_KEY" in err


@pytest.mark.slow
@pytest.mark.parametrize("status, says, code", ERRORS)
def test_the_notebook_status_line(sim, tmp_path, status, says, code):
    from writebot.notebook.widgets import TrainingApp
    from writebot.notebook.workbench import Workbench

    sim.expect_400 = True
    workbench = Workbench.open(tmp_path / "wb", engine="claude")
    app = TrainingApp(workbench)
    sim.fault_for = always(status)
    app.own_title.value = "A New Topic"
    app.own_points.value = "One point."
    app.draft_button.click()
    status_line = app.dashboard.status.value
    assert (says if code == 2 else "try again later") in status_line and "\n" not in status_line


def test_the_optimizer_failing_after_retries_leaves_the_pipeline_and_resume_continues(sim, cli, tmp_path,
                                                                                     topics_file):
    sim.responder = scripted(tool_reply({"command": "str_replace", "path": "/pipeline/STYLE.md",
                                         "old_str": "Hello, dear readers!", "new_str": "Hi!"}))
    sim.fault_for = lambda body: 529 if body.get("tools") else None
    out = tmp_path / "r"
    code, _, err = cli("simulate", "--engine", "claude", "--topics", topics_file, "--persona",
                       bundled.persona("warm-casual"), "--epochs", "1", "--out", out)
    assert code == 1 and one_line(err) and "overloaded_error" in err and f"writebot resume {out}" in err
    assert not (out / "versions" / "epoch_001").exists() and not (out / "updates.jsonl").exists()
    assert len((out / "feedback.jsonl").read_text().splitlines()) == 8
    sim.fault_for = None
    code, _, err = cli("resume", out)
    assert code == 0, err
    assert "Open with the line: Hi!" in (out / "versions" / "epoch_001" / "STYLE.md").read_text()


@pytest.mark.slow  # writebot's own backoff between the five tries takes seconds
def test_an_unreachable_api_is_one_line_that_says_writebot_retried(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key-not-real")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")  # loopback, nothing listens: refused at once
    post = tmp_path / "post.md"
    post.write_text("# Cleaning A Bike Chain\n\nWipe the chain.\n")
    code, _, err = cli("judge", post, "--topics", bundled.starter_topics(), "--topic-id", "bike-chain", "--judge",
                       "claude")
    assert code == 1 and one_line(err)
    assert "the Claude API could not be reached, sent 5 times (APIConnectionError)" in err and "SDK" not in err
