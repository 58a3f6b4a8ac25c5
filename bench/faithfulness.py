"""Faithfulness: what edit cost cannot see (docs/FORMATS.md §6, §10). Offline, deterministic.

    python bench/faithfulness.py [--epochs 3] [--generated 4] [--seed 1]

1. The offline judge on the hand-written drafts of data/faithfulness/cases.yaml (five kinds per bundled topic):
   how often it flags a dropped point, a kept point lightly edited, a heavily paraphrased one, a contradicted one.
2. Learners x personas (bundled and generated noisy): in the last version's val drafts, the share of the briefs'
   points kept, the points lost, the claims added (the offline judge cannot tell: -), hygiene violations and damaged
   sentences, beside the val words edited; duplicate notes in the learned guides.
3. The rules learner against a reader that rewrites whole sentences (writebot/testing/rewriter.py): the swaps it
   learns, the sentences of its last drafts that are neither its own nor the reader's (pieces of rewrites), damage.
4. The targets, with `met`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

from writebot import bundled
from writebot.compare.faithfulness import judge_offline
from writebot.engines.writer import skeleton
from writebot.loop.registry import build_engine
from writebot.loop.trainer import train
from writebot.report.learner_comparison import run_all
from writebot.store.run_folder import RunStore
from writebot.testing.personas import generate_personas
from writebot.testing.rewriter import RewritingReader
from writebot.text.hygiene import damage, violations
from writebot.text.pipeline import Pipeline
from writebot.text.post import Post, sentences
from writebot.text.topics import Topic, load_topics

ROOT = Path(__file__).resolve().parent.parent


def judge_accuracy() -> pd.DataFrame:
    """Per kind of hand-written draft and kind of point: how many the offline judge did not call kept."""
    cases = yaml.safe_load((ROOT / "data" / "faithfulness" / "cases.yaml").read_text("utf-8"))
    topics = {t.id: t for t in load_topics(bundled.starter_topics())}
    rows = []
    for case in cases:
        topic = topics[case["topic"]]
        for i, verdict in enumerate(judge_offline(topic.title, topic.points, case["draft"])):
            point = "dropped" if i in case["dropped"] else "contradicted" if i in case["contradicted"] else \
                ("paraphrased" if case["kind"] == "paraphrase" else "kept, lightly edited")
            rows.append({"draft kind": case["kind"], "point": point, "flagged": verdict != "kept",
                         "called contradicted": verdict == "contradicted"})
    table = pd.DataFrame(rows).groupby(["point", "draft kind"]).agg(
        points=("flagged", "size"), flagged=("flagged", "sum"), contradicted=("called contradicted", "sum"))
    table["flagged %"] = (100 * table["flagged"] / table["points"]).round(1)
    return table


def _sentences(text: str) -> set[str]:
    return {s.lower() for block in Post.parse(text).body if not block.startswith("#") for s in sentences(block)}


def rewriting_reader(epochs: int) -> dict:
    """The rules learner against whole-sentence rewrites: what it learns and whether any drafted sentence is a
    piece of a rewrite (neither the writer's own sentence nor one the reader wrote)."""
    topics = load_topics(bundled.starter_topics())
    with tempfile.TemporaryDirectory() as tmp:
        with RunStore.create(Path(tmp) / "run", {"engine": "rules"}, {}) as run:
            pipeline = train(run, build_engine("rules"), RewritingReader(), topics,
                             Pipeline.load(bundled.starter_pipeline()), epochs)
        written = set().union(*(_sentences(r.ground_truth) for r in run.draft_records))
        last = [r for r in run.draft_records if r.epoch == epochs]
        pieces = sorted({s for r in last for s in _sentences(r.draft)
                         - _sentences(skeleton(Topic.from_dict(r.topic))) - written})
        first = sum(r.word_edit_distance for r in run.draft_records if r.epoch == 0)
        return {"learned swaps": [line for line in pipeline.style.rules if line.startswith("Replace")],
                "words edited, epoch 0": first,
                f"words edited, epoch {epochs}": sum(r.word_edit_distance for r in last),
                "rejected as pieces of rewrites": sorted({d["rule"] for u in run.update_records
                                                          for d in u.details if "rewrote as a whole" in
                                                          d.get("why", "")}),
                "sentences neither the bot's nor the reader's": pieces,
                "damaged sentences": sum(len(damage(r.draft)) for r in last),
                "hygiene violations": sum(len(violations(r.draft)) for r in last),
                "points lost": sum(r.points_lost for r in last)}


def _met(measured: float, target: str) -> str:
    if target.startswith(">="):
        return "yes" if measured >= float(target[2:]) else "MISSED"
    if target.startswith("<="):
        return "yes" if measured <= float(target[2:]) else "MISSED"
    return "yes" if measured == float(target) else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--generated", type=int, default=4, help="generated noisy personas (default 4)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    pd.set_option("display.width", 220)

    accuracy = judge_accuracy()
    print("\n1. The offline judge on hand-written drafts (data/faithfulness/cases.yaml)\n")
    print(accuracy.to_string())

    personas = list(bundled.personas()) + generate_personas(args.generated, args.seed)
    results, outcomes = run_all(personas, epochs=args.epochs)
    epoch0 = results[results.epoch == 0]
    columns = ["val before", "val after", "points kept", "points lost", "hygiene violations", "damaged sentences",
               "clause-final contractions", "duplicate notes"]
    shown = outcomes[columns].assign(**{"claims added": "-"})
    print(f"\n2. Learners x personas, {args.epochs} epochs: the last version's val drafts\n")
    print(shown.to_string(float_format=lambda x: f"{x:.3f}"))
    print("\n3. The rules learner against a reader that rewrites whole sentences\n")
    rewrite = rewriting_reader(args.epochs)
    for key, value in rewrite.items():
        print(f"  {key}: {value}")

    rules = outcomes.xs("rules learner", level="learner")
    clause_end = int(outcomes["clause-final contractions"].sum())
    duplicate_notes = int(outcomes["duplicate notes"].sum())
    dropped = accuracy.xs("dropped", level="point")
    kept = accuracy.xs("kept, lightly edited", level="point")
    rows = [
        ("judge: dropped points flagged (%)", 100 * dropped["flagged"].sum() / dropped["points"].sum(), ">=90"),
        ("judge: kept points flagged, light edits (%)", 100 * kept["flagged"].sum() / kept["points"].sum(), "<=10"),
        ("rules engine, epoch 0: points kept (share)", float(epoch0["points_kept"].mean()), "1"),
        ("rules learner: points lost in last val drafts", float(rules["points lost"].sum()), "0"),
        ("every learner: clause-final contractions in last val drafts", clause_end, "0"),
        ("every learner: damaged sentences in last val drafts", float(outcomes["damaged sentences"].sum()), "0"),
        ("rewriting reader: partial-sentence swaps in the last drafts",
         len(rewrite["sentences neither the bot's nor the reader's"]), "0"),
        ("every learned guide: duplicate notes", duplicate_notes, "0"),
    ]
    table = pd.DataFrame(rows, columns=["figure", "measured", "target"]).set_index("figure")
    table["met"] = [_met(m, t) for m, t in zip(table["measured"], table["target"], strict=True)]
    print("\n4. Targets\n")
    print(table.to_string(float_format=lambda x: f"{x:.3f}"))
    print(f"\n({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
