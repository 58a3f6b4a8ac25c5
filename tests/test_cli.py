"""The command line: the happy paths, and a one-line error with exit 2 for every kind of bad input."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from writebot import bundled

from .conftest import make_topics

GOOD_TOPIC = {"id": "a", "title": "A", "points": ["One point."], "split": "train"}


@pytest.mark.slow
def test_demo_trains_and_writes_the_run_folder(cli, tmp_path):
    code, out, err = cli("demo", "--out", tmp_path / "demo")
    assert code == 0, err
    run = tmp_path / "demo"
    for name in ("run.json", "history.csv", "feedback.jsonl", "updates.jsonl", "usage.csv", "learning_curve.png",
                 "versions/epoch_000/STYLE.md", "versions/epoch_003/STYLE.md"):
        assert (run / name).exists(), name
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["epoch", "train", "sim"]
    rows = [line.split() for line in lines[2:6]]
    assert [r[0] for r in rows] == ["0", "1", "2", "3"]
    assert float(rows[3][4]) < float(rows[0][4])  # val words fell
    assert "Use contractions" in out
    assert json.loads((run / "run.json").read_text())["status"] == "complete"


def test_simulate_with_a_baseline_learner_learns_nothing(cli, tmp_path, topics_file, persona_file):
    code, out, err = cli("simulate", "--topics", topics_file, "--persona", persona_file, "--epochs", "1",
                         "--learner", "none", "--out", tmp_path / "run")
    assert code == 0, err
    rows = [line.split() for line in out.splitlines()[2:4]]
    assert rows[0][1:5] == rows[1][1:5]


def test_edit_prints_the_ground_truth(cli, tmp_path, persona_file, monkeypatch):
    draft = tmp_path / "draft.md"
    draft.write_text("# A Title\n\nI utilize it! In my opinion, it is fine.\n", encoding="utf-8")
    code, out, _ = cli("edit", "--persona", persona_file, draft)
    assert code == 0
    assert out == "# A title\n\nHi friends,\n\nI use it.\n\nThanks so much for reading.\n"


def test_edit_reads_stdin_and_python_m_works(tmp_path, persona_file):
    result = subprocess.run([sys.executable, "-m", "writebot", "edit", "--persona", str(persona_file), "-"],
                            input="# T\n\nIt is good! It is also long enough to be more than a greeting.\n",
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "It's good." in result.stdout


@pytest.mark.slow
def test_report_and_resume_of_a_finished_run(cli, tmp_path, topics_file, persona_file):
    assert cli("simulate", "--topics", topics_file, "--persona", persona_file, "--epochs", "1",
               "--out", tmp_path / "run")[0] == 0
    (tmp_path / "run" / "learning_curve.png").unlink()
    code, out, _ = cli("report", tmp_path / "run")
    assert code == 0 and "train sim" in out
    assert (tmp_path / "run" / "learning_curve.png").stat().st_size > 10_000
    assert (tmp_path / "run" / "style_size.png").exists()
    code, out, err = cli("resume", tmp_path / "run")
    assert code == 0 and "already complete" in err


def yaml_file(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def bad_inputs(tmp_path):
    """(case name, argv, text the one-line error must contain)."""
    good_topics = yaml_file(tmp_path, "good.yaml", json.dumps([GOOD_TOPIC]))
    persona = str(bundled.persona("warm-casual"))
    topics = lambda name, text: ["simulate", "--topics", yaml_file(tmp_path, name, text), "--persona", persona,  # noqa: E731
                                 "--out", tmp_path / f"out-{name}"]
    persona_case = lambda name, text: ["simulate", "--topics", good_topics, "--persona",  # noqa: E731
                                       yaml_file(tmp_path, name, text), "--out", tmp_path / f"out-{name}"]
    not_utf8 = tmp_path / "latin1.yaml"
    not_utf8.write_bytes("- id: caf\xe9\n".encode("latin-1"))
    empty_pipeline = tmp_path / "pipeline"
    (empty_pipeline / "steps").mkdir(parents=True)
    not_a_run = tmp_path / "not-a-run"
    not_a_run.mkdir()
    (not_a_run / "notes.txt").write_text("mine", encoding="utf-8")
    return [
        ("malformed YAML", topics("m.yaml", "- id: a\n  title: [unclosed\n"), "malformed YAML"),
        ("missing field", topics("mf.yaml", '- {id: a, title: A}\n'), "missing 'points'"),
        ("wrong type", topics("wt.yaml", '- {id: a, title: A, points: "one"}\n'), "'points' must be a list"),
        ("duplicate id", topics("d.yaml", json.dumps([GOOD_TOPIC, GOOD_TOPIC])), "duplicate id 'a'"),
        ("bad id", topics("bi.yaml", '- {id: "Bad Id", title: A, points: [x]}\n'), "a-z, 0-9"),
        ("bad split", topics("bs.yaml", '- {id: a, title: A, points: [x], split: test}\n'), "train or val"),
        ("empty topic list", topics("e.yaml", "[]\n"), "empty"),
        ("not a list", topics("nl.yaml", "id: a\n"), "must be a list of topics"),
        ("unknown persona edit", persona_case("p.yaml", "name: p\nedits:\n  - shout: yes\n"), "unknown edit 'shout'"),
        ("persona wrong type", persona_case("pt.yaml", "name: p\nedits:\n  - max_sentence_words: ten\n"),
         "whole number"),
        ("non-UTF-8 file", ["simulate", "--topics", not_utf8, "--persona", persona], "not valid UTF-8"),
        ("missing file", ["simulate", "--topics", tmp_path / "nope.yaml", "--persona", persona], "not found"),
        ("folder instead of file", ["simulate", "--topics", tmp_path, "--persona", persona], "found a folder"),
        ("out is not a run", ["simulate", "--topics", good_topics, "--persona", persona, "--out", not_a_run],
         "not a writebot run"),
        ("bad pipeline", ["simulate", "--topics", good_topics, "--persona", persona, "--pipeline", empty_pipeline,
                          "--out", tmp_path / "o"], "no STYLE.md"),
        ("negative epochs", ["simulate", "--topics", good_topics, "--persona", persona, "--epochs", "-1"],
         "0 or more"),
        ("claude engine", ["simulate", "--topics", good_topics, "--persona", persona, "--engine", "claude"],
         "--engine rules"),
        ("unknown command", ["train"], "invalid choice"),
        ("report a non-run", ["report", not_a_run], "not a writebot run"),
        ("resume a missing run", ["resume", tmp_path / "missing"], "run folder not found"),
        ("edit a missing draft", ["edit", "--persona", persona, tmp_path / "draft.md"], "not found"),
    ]


@pytest.mark.parametrize("case", range(21))
def test_bad_input_is_one_line_exit_2_and_no_traceback(cli, tmp_path, case):
    name, argv, needle = bad_inputs(tmp_path)[case]
    code, out, err = cli(*argv)
    assert code == 2, name
    assert err.count("\n") == 1 and err.startswith("writebot: error: "), (name, err)
    assert needle in err, (name, err)
    assert "Traceback" not in err


def test_unreadable_file_is_a_clear_error(cli, tmp_path, monkeypatch):
    path = yaml_file(tmp_path, "locked.yaml", json.dumps([GOOD_TOPIC]))
    real = Path.read_bytes

    def locked(self):
        if self == path:
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", locked)
    code, _, err = cli("simulate", "--topics", path, "--persona", bundled.persona("warm-casual"))
    assert code == 2 and "cannot read topics file (Permission denied)" in err and err.count("\n") == 1


def test_existing_run_is_never_overwritten(cli, tmp_path, topics_file, persona_file):
    out = tmp_path / "run"
    assert cli("simulate", "--topics", topics_file, "--persona", persona_file, "--epochs", "0", "--out", out)[0] == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    code, _, err = cli("simulate", "--topics", topics_file, "--persona", persona_file, "--out", out)
    assert code == 2 and f"complete: read it with 'writebot report {out}'" in err and "resume" not in err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_bad_input_writes_nothing(cli, tmp_path, persona_file, write_yaml):
    bad = write_yaml("bad.yaml", [t.to_dict() for t in make_topics(2)] + [{"id": "x"}])
    code, _, _ = cli("simulate", "--topics", bad, "--persona", persona_file, "--out", tmp_path / "never")
    assert code == 2 and not (tmp_path / "never").exists()


def test_ctrl_c_marks_the_run_interrupted_and_resume_finishes_it(cli, tmp_path, topics_file, persona_file,
                                                                 monkeypatch):
    from writebot.engines.rules import RulesEngine

    real = RulesEngine.write
    calls = {"n": 0}

    def interrupted(self, pipeline, topic):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return real(self, pipeline, topic)

    monkeypatch.setattr(RulesEngine, "write", interrupted)
    out = tmp_path / "run"
    code, _, err = cli("simulate", "--topics", topics_file, "--persona", persona_file, "--epochs", "1", "--out", out)
    assert code == 1 and f"writebot resume {out}" in err and "Traceback" not in err
    assert json.loads((out / "run.json").read_text())["status"] == "interrupted"
    assert len((out / "feedback.jsonl").read_text().splitlines()) == 4
    monkeypatch.undo()
    code, stdout, err = cli("resume", out)
    assert code == 0, err
    assert "4 drafts" in err
    records = [json.loads(line) for line in (out / "feedback.jsonl").read_text().splitlines()]
    assert sorted((r["epoch"], r["topic_id"]) for r in records) == sorted(
        (e, t.id) for e in (0, 1) for t in make_topics(8))
    assert json.loads((out / "run.json").read_text())["status"] == "complete"


def test_an_empty_draft_on_stdin_is_bad_input():
    result = subprocess.run([sys.executable, "-m", "writebot", "edit", "--persona",
                             str(bundled.persona("warm-casual")), "-"], input="", capture_output=True, text=True)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == "writebot: error: stdin: the draft is empty; pass a Markdown post"


@pytest.mark.slow
def test_a_topics_file_without_a_val_topic_is_said(cli, write_yaml, persona_file, tmp_path):
    topics = write_yaml("three.yaml", [{**t.to_dict(), "split": "train"} for t in make_topics(3)])
    code, _, err = cli("simulate", "--topics", topics, "--persona", persona_file, "--epochs", "1",
                       "--out", tmp_path / "run")
    assert code == 0
    assert f"writebot: warning: {topics}: no topic is in the val split" in err and "split: val" in err
    code, _, err = cli("simulate", "--topics", write_yaml("eight.yaml", [t.to_dict() for t in make_topics(8)]),
                       "--persona", persona_file, "--epochs", "1", "--out", tmp_path / "run2")
    assert code == 0 and "val split" not in err


def test_report_on_a_hand_run_with_no_drafts_points_to_notebook_02(cli, tmp_path):
    from writebot.notebook.workbench import Workbench

    Workbench.open(tmp_path / "hand", engine="rules").close()
    code, _, err = cli("report", tmp_path / "hand")
    assert code == 2 and "notebook 02" in err and "resume" not in err


def test_a_notebook_session_says_in_run_json_whether_it_is_open(tmp_path):
    from writebot.notebook.workbench import Workbench
    from writebot.store.run_folder import RunStore

    workbench = Workbench.open(tmp_path / "hand", engine="rules")
    assert RunStore.open(tmp_path / "hand").config["status"] == "running"
    workbench.close()
    assert RunStore.open(tmp_path / "hand").config["status"] == "closed"
    workbench = Workbench.open(tmp_path / "hand")
    assert RunStore.open(tmp_path / "hand").config["status"] == "running"
    other = Workbench.open(tmp_path / "hand")  # the folder is in use: read-only, and closing it changes nothing
    assert other.read_only
    before = (tmp_path / "hand" / "run.json").read_bytes()
    other.close()
    assert (tmp_path / "hand" / "run.json").read_bytes() == before
    workbench.close()


@pytest.mark.slow
def test_an_interrupt_while_the_report_is_written_says_how_to_finish_it(cli, tmp_path, topics_file, persona_file,
                                                                          monkeypatch):
    import writebot.cli

    def interrupted(run):
        raise KeyboardInterrupt

    monkeypatch.setattr(writebot.cli, "write_plots", interrupted)
    code, _, err = cli("simulate", "--topics", topics_file, "--persona", persona_file, "--epochs", "1",
                       "--out", tmp_path / "run")
    assert code == 1 and f"Write its table and plots with: writebot report {tmp_path / 'run'}" in err
    assert not (tmp_path / "run" / "learning_curve.png").exists()
    monkeypatch.undo()
    assert cli("report", tmp_path / "run")[0] == 0 and (tmp_path / "run" / "learning_curve.png").exists()


def test_a_missing_key_suggests_what_the_command_at_hand_can_do_offline(cli, tmp_path, monkeypatch):
    demo_run = tmp_path / "demo"
    assert cli("demo", "--out", demo_run)[0] == 0
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    draft = tmp_path / "d.md"
    draft.write_text("# T\n\nA post.\n", encoding="utf-8")
    code, _, err = cli("judge", draft, "--topics", bundled.starter_topics(), "--topic-id", "bike-chain",
                       "--judge", "claude")
    assert code == 2 and err.strip().endswith("export it to use Claude, or judge offline with --judge rules")
    code, _, err = cli("write", demo_run, "--title", "T", "--point", "A point.", "--engine", "claude")
    assert code == 2 and err.strip().endswith("export it to use Claude, or write offline with --engine rules")
    code, _, err = cli("models")
    assert code == 2 and err.strip().endswith("ANTHROPIC_API_KEY is not set; export it to use Claude")


@pytest.mark.parametrize("command", [["simulate", "--topics", "t.yaml", "--persona", "p.yaml"], ["lint", "."],
                                     ["export", ".", "--format", "skill", "--out", "x"],
                                     ["init", "--description", "d", "--examples", ".", "--out", "x"]])
def test_every_style_budget_below_a_guide_is_refused_alike(cli, command):
    code, _, err = cli(*command, "--style-budget", "150")
    assert code == 2 and "--style-budget: 150 is too small for a style guide; use 200 or more" in err
    assert err.count("\n") == 1


def test_a_folder_that_is_not_there_is_named_as_either_kind(cli, tmp_path):
    for command in (["write", tmp_path / "nope", "--title", "T", "--point", "P"],
                    ["export", tmp_path / "nope", "--format", "skill", "--out", tmp_path / "x"]):
        code, _, err = cli(*command)
        assert code == 2 and "no such folder; pass a pipeline folder" in err and "or a run folder" in err
