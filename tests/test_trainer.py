"""The epoch loop: epochs 0..N, one version per epoch, one row per (epoch, topic), the acceptance gate."""

import pandas as pd

from writebot import bundled
from writebot.analysis import load_history
from writebot.engines import Update
from writebot.engines.rules import RulesEngine
from writebot.pipeline import Pipeline
from writebot.registry import build_engine
from writebot.rule_language import Replace
from writebot.run_folder import RunStore
from writebot.trainer import train
from writebot.users import PersonaUser, load_persona

from .conftest import make_topics


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
    assert [u["epoch"] for u in run.update_records] == [0, 1]
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
    assert update["status"] == "rolled_back"
    assert update["train_cost_after"] > update["train_cost_before"]
    assert "STYLE.md" in update["diff"] and "teh" in update["diff"]["STYLE.md"]
    assert run.load_version(1) == start
    # val topics never reach the learner
    assert engine.seen_topics == {t.id for t in topics if t.split == "train"}
