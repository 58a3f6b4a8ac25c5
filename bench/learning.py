"""Learning: per bundled persona, the val word edit cost at epochs 0-3 and its reduction, for three learners:
no learning, "append the raw feedback to STYLE.md", and the rules learner. Offline, deterministic.

    python bench/learning.py [--epochs 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from writebot import bundled
from writebot.engines import make_engine
from writebot.pipeline import Pipeline
from writebot.runs import RunStore, load_history
from writebot.topics import load_topics
from writebot.trainer import train
from writebot.users import PersonaUser, load_persona

LEARNERS = {"no learning": "rules-frozen", "append feedback": "rules-append-feedback", "rules learner": "rules"}


def val_costs(engine_name: str, persona_path: Path, epochs: int, workdir: Path) -> list[int]:
    run = RunStore.create(workdir / f"{engine_name}-{persona_path.stem}", {"engine": engine_name}, {})
    topics = load_topics(bundled.starter_topics())
    user = PersonaUser(load_persona(persona_path))
    train(run, make_engine(engine_name), user, topics, Pipeline.load(bundled.starter_pipeline()), epochs)
    history = load_history(run.path)
    per_epoch = history[history.split == "val"].groupby("epoch")["word_edit_distance"].sum()
    return [int(per_epoch[e]) for e in range(epochs + 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    epochs = args.epochs
    topics = load_topics(bundled.starter_topics())
    print(f"val word edit cost (sum over {sum(t.split == 'val' for t in topics)} val topics; "
          f"{sum(t.split == 'train' for t in topics)} train topics drive the updates)\n")
    head = f"{'persona':<16} {'learner':<16}" + "".join(f"{'epoch ' + str(e):>9}" for e in range(epochs + 1))
    print(head + f"{'reduction':>11}{'seconds':>9}")
    print("-" * (len(head) + 20))
    worst = 100.0
    with tempfile.TemporaryDirectory() as tmp:
        for persona_path in bundled.personas():
            for label, engine_name in LEARNERS.items():
                started = time.perf_counter()
                costs = val_costs(engine_name, persona_path, epochs, Path(tmp))
                seconds = time.perf_counter() - started
                reduction = 100 * (1 - costs[-1] / costs[0]) if costs[0] else 0.0
                if engine_name == "rules":
                    worst = min(worst, reduction)
                print(f"{persona_path.stem:<16} {label:<16}" + "".join(f"{c:>9}" for c in costs)
                      + f"{reduction:>10.1f}%{seconds:>9.2f}")
            print()
    print(f"rules learner, smallest reduction over personas after {epochs} updates: {worst:.1f}%")


if __name__ == "__main__":
    main()
