"""Which post to correct next, compared (docs/FORMATS.md §1 `--select`): the data behind bench/active.py and
notebook 03. Each selection trains online (one train topic per round) with val drafted after every round, so the
val cost can be read against the posts corrected; the oracle (which alone reads the persona) says how low rules can
bring it."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from writebot import bundled, defaults
from writebot.compare.metrics import word_edit_distance
from writebot.engines.learners import Oracle
from writebot.engines.writer import skeleton
from writebot.loop.next_topic import Chooser
from writebot.loop.registry import build_engine
from writebot.loop.trainer import Online, train
from writebot.report.analysis import load_history
from writebot.store.run_folder import RunStore
from writebot.text.pipeline import Pipeline
from writebot.text.topics import Topic
from writebot.users import Persona, PersonaUser

TARGET_SHARE = 0.9  # of the oracle's reduction


def val_by_posts(history: pd.DataFrame) -> pd.Series:
    """Val words to edit (summed over the val topics) after each number of posts corrected: round r's val drafts
    are written by the version learned from r corrected posts. Rounds without val are left out."""
    val = history[history["split"] == "val"]
    curve = val.groupby("epoch")["word_edit_distance"].sum()
    curve.index.name = "posts corrected"
    return curve.rename("val words")


def run_selection(persona: Persona, topics: list[Topic], select: str, seed: int = 0, passes: int = 1,
                  workdir: Path | None = None, chooser: Chooser | None = None) -> pd.Series:
    """One online run of the rules learner with `select` (or `chooser`), val after every round: its val_by_posts
    curve."""
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        with RunStore.create(Path(tmp) / "run", {"engine": "rules", "online": True, "select": select}, {}) as run:
            engine = build_engine("rules")
            train(run, engine, PersonaUser(persona), topics, Pipeline.load(bundled.starter_pipeline()), passes,
                  online=Online(select, 1, seed), chooser=chooser or Chooser(select, seed, skeleton, engine.write))
        return val_by_posts(load_history(Path(tmp) / "run"))


def oracle_val(persona: Persona, topics: list[Topic]) -> int:
    """The val words to edit with the oracle's guide (the persona's edits written as rules): the floor."""
    engine, user = build_engine("rules"), PersonaUser(persona)
    guide = Oracle(persona).update(Pipeline.load(bundled.starter_pipeline()), [], defaults.STYLE_BUDGET).pipeline
    return sum(word_edit_distance(draft := engine.write(guide, t), user.review(t, draft).ground_truth)
               for t in topics if t.split == "val")


def posts_to_target(curve: pd.Series, floor: float, share: float = TARGET_SHARE) -> int | None:
    """Posts corrected until val first comes within `share` of the way from its start to `floor` (None: never)."""
    start = curve.iloc[0]
    target = start - share * (start - floor)
    reached = curve[curve <= target]
    return int(reached.index[0]) if len(reached) else None


def compare(personas: list[Persona], topics: list[Topic], seeds: int = 5, passes: int = 1) -> pd.DataFrame:
    """Per persona and selection (random once per seed): posts to TARGET_SHARE of the oracle's reduction (NaN:
    not within the passes), the area under the val curve over the first pass (mean val words per round, as a share
    of the start), and the last val. Also returns the curves, in the frame's `curves` attribute."""
    rows, curves = [], {}
    train_count = sum(t.split == "train" for t in topics)
    for persona in personas:
        floor = oracle_val(persona, topics)
        for select, seed in [("order", 0), ("active", 0), *(("random", s) for s in range(seeds))]:
            curve = run_selection(persona, topics, select, seed, passes)
            curves[(persona.name, select, seed)] = curve
            first = curve[curve.index <= train_count]
            posts = posts_to_target(curve, floor)
            rows.append({"persona": persona.name, "selection": select, "seed": seed, "val start": curve.iloc[0],
                         "oracle val": floor, "val end": curve.iloc[-1],
                         "posts to 90%": float("nan") if posts is None else posts,
                         "area (first pass)": float(first.mean() / curve.iloc[0]) if curve.iloc[0] else 0.0})
    table = pd.DataFrame(rows)
    table.attrs["curves"] = curves
    return table
