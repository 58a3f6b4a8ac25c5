"""Learners x personas on the bundled topics, offline: the data behind bench/learning.py and notebook 03.

Two protocols (docs/FORMATS.md §1): `epochs` (every topic each epoch, an update between epochs; judged on val after
the last update) and `online` (PRELUDE: one train topic per round, an update after each; judged on the cumulative
train cost, what the user had to edit along the way). Each learner's reduction over no learning is also given as a
share of the oracle's, the best that rules can do."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from writebot import bundled, defaults
from writebot.engines.writer import skeleton
from writebot.loop.registry import build_engine
from writebot.loop.trainer import Online, train
from writebot.report.analysis import load_history
from writebot.store.run_folder import RunStore
from writebot.text.hygiene import damage, violations
from writebot.text.lint import DUPLICATE_NOTE, Source, lint, run_sources
from writebot.text.pipeline import Pipeline
from writebot.text.topics import Topic, load_topics
from writebot.users import Persona, PersonaUser, load_persona

COMPARED = {"no learning": "rules-frozen", "append feedback": "rules-append-feedback", "rules learner": "rules",
            "oracle": "rules-oracle"}
BASELINE, ORACLE = "no learning", "oracle"
_SHOUTED = re.compile(r"\b[A-Z]{3,}\b")


@dataclass
class RunResult:
    history: pd.DataFrame
    pipeline: Pipeline  # the last version
    drafts: list[str]  # the val drafts of the last version
    sources: list[Source]  # what lint checks the guide against, as the trainer's gate does (text/lint.run_sources)


def run_one(engine_name: str, persona: Persona, topics: list[Topic], epochs: int, workdir: Path,
            online: bool = False) -> RunResult:
    """One offline run of `engine_name` with the persona's simulated user, in a folder under `workdir`."""
    path = workdir / f"{engine_name}-{persona.name}-{'online' if online else 'epochs'}"
    with RunStore.create(path, {"engine": engine_name, "online": online}, {}) as run:
        pipeline = train(run, build_engine(engine_name, persona=persona), PersonaUser(persona), topics,
                         Pipeline.load(bundled.starter_pipeline()), epochs, online=Online() if online else None)
        last = max(r.epoch for r in run.draft_records if r.split == "val")
        drafts = [r.draft for r in run.draft_records if r.epoch == last and r.split == "val"]
        sources = run_sources(run.draft_records, lambda epoch: (), skeleton)  # the writer's base text per topic
    return RunResult(load_history(path), pipeline, drafts, sources)


def _personas(personas: list[Path | Persona] | None) -> list[Persona]:
    return [p if isinstance(p, Persona) else load_persona(p) for p in (personas or bundled.personas())]


def run_all(personas: list[Path | Persona] | None = None, learners: dict[str, str] | None = None,
            epochs: int = defaults.EPOCHS, online: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(history rows of every run, one outcome row per persona and learner: see `outcome`)."""
    topics = load_topics(bundled.starter_topics())
    frames, outcomes = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for persona in _personas(personas):
            for label, engine_name in (learners or COMPARED).items():
                result = run_one(engine_name, persona, topics, epochs, Path(tmp), online)
                frames.append(result.history.assign(persona=persona.name, learner=label))
                outcomes.append({"persona": persona.name, "learner": label, **outcome(result, persona, topics)})
    table = pd.DataFrame(outcomes).set_index(["persona", "learner"])
    return pd.concat(frames, ignore_index=True), with_oracle_share(table)


def spurious(rule_lines: tuple[str, ...], persona: Persona) -> list[str]:
    """Learned rules that come from one-off edits: they carry a word in capitals (the mark of a §3b one-off edit)
    that none of the persona's own edits has."""
    own = {w for rule, _ in persona.edits for w in _SHOUTED.findall(rule.to_line())}
    return [line for line in rule_lines if set(_SHOUTED.findall(line)) - own]


def outcome(result: RunResult, persona: Persona, topics: list[Topic]) -> dict:
    """What a run ended with: val cost before and after, cumulative train cost, the learned guide's rules,
    spurious rules, lint findings (against the writer's base texts and the persona's edits of them), and in the
    last version's val drafts what edit cost cannot see: the share of the briefs' points kept, the points lost,
    hygiene violations and damaged sentences (docs/FORMATS.md §6, §10)."""
    h = result.history
    val, train_rows = h[h.split == "val"], h[h.split == "train"]
    epochs = sorted(val["epoch"].unique())
    last = val[val.epoch == epochs[-1]]
    rules = result.pipeline.style.rules
    return {
        "val before": int(val[val.epoch == epochs[0]]["word_edit_distance"].sum()),
        "val after": int(val[val.epoch == epochs[-1]]["word_edit_distance"].sum()),
        "train cumulative": int(train_rows["word_edit_distance"].sum()),
        "rules": len(rules),
        "spurious rules": len(spurious(rules, persona)),
        "lint findings": len(lint(result.pipeline, result.sources)),
        "hygiene violations": sum(len(violations(d)) for d in result.drafts),
        "points kept": float(last["points_kept"].mean()),
        "points lost": int(last["points_lost"].sum()),
        "damaged sentences": sum(len(damage(d)) for d in result.drafts),
        "clause-final contractions": sum(line.startswith("contraction at a clause end") for d in result.drafts
                                         for line in damage(d)),
        "duplicate notes": sum(f.kind == DUPLICATE_NOTE for f in lint(result.pipeline)),
    }


def with_oracle_share(table: pd.DataFrame) -> pd.DataFrame:
    """Each learner's reduction over no learning as a share (%) of the oracle's, on val after the last update and
    on the cumulative train cost; NaN where the oracle gains nothing."""
    out = table.copy()
    for column, share in (("val after", "val % of oracle"), ("train cumulative", "cumulative % of oracle")):
        none = out.xs(BASELINE, level="learner")[column]
        best = out.xs(ORACLE, level="learner")[column]
        gain = (none - best).where(none > best)
        persona = out.index.get_level_values("persona")
        got = none.reindex(persona).to_numpy() - out[column].to_numpy()
        out[share] = (100 * got / gain.reindex(persona).to_numpy()).round(1)
    return out


def reduction_table(results: pd.DataFrame, split: str = "val") -> pd.DataFrame:
    """Word edit cost per epoch (summed over topics of `split`) and the reduction from the first to the last epoch."""
    sums = (results[results.split == split].groupby(["persona", "learner", "epoch"])["word_edit_distance"].sum()
            .unstack("epoch"))
    first, last = sums.columns.min(), sums.columns.max()
    sums.columns = [f"epoch {c}" for c in sums.columns]
    sums["reduction %"] = (100 * (1 - sums[f"epoch {last}"] / sums[f"epoch {first}"])).round(1)
    return sums
