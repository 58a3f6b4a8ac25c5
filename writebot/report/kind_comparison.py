"""A voice per kind of post, offline (docs/FORMATS.md §11): the bundled many-hats persona on topics of its three
kinds (the bundled ones in notebook 03, generated ones in bench/contexts.py), for no learning, global (the learner not
shown the kinds), retrieve (CIPHER), per kind and the oracle."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from writebot import bundled
from writebot.report.learner_comparison import outcome, run_one, with_oracle_share
from writebot.text.topics import Topic
from writebot.users import load_persona

KINDS = ("recipe", "habit", "how-to")
LEARNERS = {"no learning": "rules-frozen", "global": "rules-global", "retrieve": "rules-retrieve", "per kind": "rules",
            "oracle": "rules-oracle"}


def compare(topics: list[Topic], epochs: int, passes: int) -> dict[str, pd.DataFrame]:
    """{protocol: one outcome row per learner (learner_comparison.outcome, the rules of every section, and the val
    words to edit per kind after training), with each learner's share of the oracle's reduction}."""
    persona = load_persona(bundled.persona("many-hats"))
    kinds = {t.id: t.kind for t in topics}
    tables = {}
    with tempfile.TemporaryDirectory() as tmp:
        for protocol, online, rounds in (("epochs", False, epochs), ("online", True, passes)):
            rows = []
            for label, engine in LEARNERS.items():
                result = run_one(engine, persona, topics, rounds, Path(tmp), online)
                style = result.pipeline.style
                row = {"persona": persona.name, "learner": label, **outcome(result, persona, topics),
                       "rules": len(style.rules) + sum(len(r) for _, r in style.kinds)}
                h = result.history
                last = h[(h.split == "val") & (h.epoch == h[h.split == "val"].epoch.max())]
                for kind in KINDS:
                    row[f"val {kind}"] = int(last[last.topic_id.map(kinds) == kind]["word_edit_distance"].sum())
                rows.append(row)
            tables[protocol] = with_oracle_share(pd.DataFrame(rows).set_index(["persona", "learner"]))
    return tables
