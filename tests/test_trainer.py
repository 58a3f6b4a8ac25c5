"""The epoch loop: epochs 0..N, one version per epoch, one row per (epoch, topic), the acceptance gate."""

import pandas as pd

from writebot import bundled
from writebot.engines import Update
from writebot.engines.rules import RulesEngine
from writebot.loop.registry import build_engine
from writebot.loop.trainer import train
from writebot.report.analysis import load_history
from writebot.store.run_folder import RunStore
from writebot.text.pipeline import Pipeline
from writebot.text.rule_language import Replace
from writebot.users import PersonaUser, load_persona

from .conftest import KilledAfterUpdates, make_topics


def new_run(tmp_path, name="run"):
    return RunStore.create(tmp_path / name, {"engine": "rules", "epochs": 2}, {})


def test_epochs_versions_and_rows(tmp_path):
    topics = make_topics(8)
    run = new_run(tmp_path)
    user = PersonaUser(load_persona(bundled.persona("warm-casual")))
    train(run, build_engine("rules"), user, topics, Pipeline.load(bundled.starter_pipeline()), epochs=2)
    history = load_history(run.path)
    assert sorted(history["epoch"].unique()) == [0, 1, 2]
    assert len(history) == 3 * len(topics)
    assert set(history.columns) >= {"epoch", "topic_id", "split", "similarity", "word_edit_distance",
                                    "char_edit_distance"}
    assert run.versions() == [0, 1, 2]
    assert [u.epoch for u in run.update_records] == [0, 1]
    # each epoch's drafts were written by that epoch's version
    for epoch in (0, 1, 2):
        assert set(history[history.epoch == epoch]["version"]) == {run.load_version(epoch).version_hash}
    # learning happened: the val cost fell
    val = history[history.split == "val"].groupby("epoch")["word_edit_distance"].sum()
    assert val[2] < val[0]
    assert pd.read_json(run.path / "run.json", typ="series")["status"] == "complete"


class Saboteur(RulesEngine):
    """The rules engine, except that its update adds a rule that makes every draft worse."""

    def __init__(self):
        super().__init__(name="saboteur")
        self.seen_topics = set()

    def update(self, pipeline, evidence, history=None):
        self.seen_topics |= {e.topic.id for e in evidence}
        style = pipeline.style
        worse = style.__class__(style.prose, style.rules + (Replace("the", "teh").to_line(),), style.notes)
        return Update(pipeline.with_style(worse), "make it worse")


def test_gate_rolls_back_an_update_that_raises_train_cost(tmp_path):
    topics = make_topics(8)
    run = new_run(tmp_path)
    engine = Saboteur()
    user = PersonaUser(load_persona(bundled.persona("warm-casual")))
    start = Pipeline.load(bundled.starter_pipeline())
    train(run, engine, user, topics, start, epochs=1)
    update = run.update_records[0]
    assert update.status == "rolled_back"
    assert update.train_cost_after > update.train_cost_before
    assert "STYLE.md" in update.diff and "teh" in update.diff["STYLE.md"]
    assert run.load_version(1) == start
    # val topics never reach the learner
    assert engine.seen_topics == {t.id for t in topics if t.split == "train"}


# -- the online protocol (PRELUDE; docs/FORMATS.md §1) ----------------------------------------------------------
def test_online_drafts_one_train_topic_per_round_and_val_with_the_first_and_last_versions(cli, tmp_path,
                                                                                          topics_file):
    from writebot.text.topics import load_topics

    topics = load_topics(topics_file)
    train_ids = [t.id for t in topics if t.split == "train"]
    val_ids = {t.id for t in topics if t.split == "val"}
    code, out, err = cli("simulate", "--topics", topics_file, "--persona", bundled.persona("noisy-casual"),
                         "--online", "--epochs", "2", "--out", tmp_path / "run")
    assert code == 0, err
    run = RunStore.open(tmp_path / "run")
    rounds = 2 * len(train_ids)
    history = load_history(run)
    train_rows = history[history.split == "train"].sort_values("epoch")
    assert list(train_rows["epoch"]) == list(range(rounds))  # one train draft per round
    assert list(train_rows["topic_id"]) == train_ids * 2  # in file order, two passes
    val_rows = history[history.split == "val"]
    assert set(val_rows["epoch"]) == {0, rounds} and set(val_rows["topic_id"]) == val_ids
    assert run.versions() == list(range(rounds + 1))
    assert [u.epoch for u in run.update_records if u.kind != "gate"] == list(range(rounds))
    for epoch in (0, rounds):  # each round's drafts were written by that round's version
        assert set(history[history.epoch == epoch]["version"]) == {run.load_version(epoch).version_hash}
    val = val_rows.groupby("epoch")["word_edit_distance"].sum()
    assert val[rounds] < val[0]  # it learned, one post at a time
    assert run.config["online"] is True and (tmp_path / "run" / "cumulative_cost.png").stat().st_size > 0
    # the table: rounds in a row that left the guide unchanged are one row, their range and their means
    quiet = [u.epoch for u in run.update_records if u.status == "unchanged"]
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit() and "  " in line]
    collapsed = [r for r in rows if "-" in r[0]]
    assert collapsed
    for row in collapsed:
        first, last = map(int, row[0].split("-"))
        assert set(range(first, last + 1)) <= set(quiet) and row[-1] == "rounds"
        assert row[-2] == str(last - first + 1)
        means = train_rows[train_rows.epoch.between(first, last)]["word_edit_distance"].mean()
        assert float(row[2]) == round(means, 1)
    singles = [int(r[0]) for r in rows if r[0].isdigit()]
    assert not [e for e in singles if e in quiet and e + 1 in quiet and e + 1 in singles]  # no two quiet rows in a row


def test_an_online_run_resumes_where_it_stopped(tmp_path, topics_file):
    from writebot.loop.trainer import Online, schedule
    from writebot.runs import RunOptions, continue_run, start_run
    from writebot.text.topics import load_topics

    options = RunOptions(online=True, epochs=1)
    persona = bundled.persona("noisy-formal")
    with start_run(tmp_path / "a", topics_file, persona, bundled.starter_pipeline(), options, "test") as run:
        continue_run(run)
    with start_run(tmp_path / "b", topics_file, persona, bundled.starter_pipeline(), options, "test") as run:
        topics = load_topics(topics_file)
        try:
            train(run, build_engine("rules"), PersonaUser(load_persona(persona)), topics, run.load_version(0), 1,
                  KilledAfterUpdates(3), online=Online())
        except KeyboardInterrupt:
            pass
        assert run.versions() == [0, 1, 2, 3]
    with RunStore.open_for_writing(tmp_path / "b", "resume") as run:
        continue_run(run)
    a, b = load_history(tmp_path / "a"), load_history(tmp_path / "b")
    pd.testing.assert_frame_equal(a, b)
    assert len(schedule(load_topics(topics_file), 1, online=Online())) == len(set(a["epoch"]))

