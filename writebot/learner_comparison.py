"""Learners x personas on the bundled topics, offline: the data behind bench/learning.py and notebook 03."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from writebot import bundled, defaults
from writebot.analysis import load_history
from writebot.pipeline import Pipeline
from writebot.registry import build_engine
from writebot.run_folder import RunStore
from writebot.topics import load_topics
from writebot.trainer import train
from writebot.users import PersonaUser, load_persona

COMPARED = {"no learning": "rules-frozen", "append feedback": "rules-append-feedback", "rules learner": "rules"}


def run_history(engine_name: str, persona_path: Path, epochs: int, workdir: Path) -> pd.DataFrame:
    with RunStore.create(workdir / f"{engine_name}-{persona_path.stem}", {"engine": engine_name}, {}) as run:
        topics = load_topics(bundled.starter_topics())
        user = PersonaUser(load_persona(persona_path))
        train(run, build_engine(engine_name), user, topics, Pipeline.load(bundled.starter_pipeline()), epochs)
    return load_history(run.path)


def compare(personas: list[Path] | None = None, learners: dict[str, str] | None = None,
            epochs: int = defaults.EPOCHS) -> pd.DataFrame:
    """One row per (persona, learner, epoch, topic) with the history columns."""
    frames = []
    with tempfile.TemporaryDirectory() as tmp:
        for persona_path in personas or bundled.personas():
            for label, engine_name in (learners or COMPARED).items():
                history = run_history(engine_name, persona_path, epochs, Path(tmp))
                frames.append(history.assign(persona=persona_path.stem, learner=label))
    return pd.concat(frames, ignore_index=True)


def reduction_table(results: pd.DataFrame, split: str = "val") -> pd.DataFrame:
    """Word edit cost per epoch (summed over topics of `split`) and the reduction from the first to the last epoch."""
    sums = (results[results.split == split].groupby(["persona", "learner", "epoch"])["word_edit_distance"].sum()
            .unstack("epoch"))
    first, last = sums.columns.min(), sums.columns.max()
    sums.columns = [f"epoch {c}" for c in sums.columns]
    sums["reduction %"] = (100 * (1 - sums[f"epoch {last}"] / sums[f"epoch {first}"])).round(1)
    return sums
