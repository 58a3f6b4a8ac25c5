"""Learning: per bundled persona, the val word edit cost at epochs 0-3 and its reduction, for three learners:
no learning, "append the raw feedback to STYLE.md", and the rules learner. Offline, deterministic.

    python bench/learning.py [--epochs 3]
"""

from __future__ import annotations

import argparse
import time

from writebot.learner_comparison import compare, reduction_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    results = compare(epochs=args.epochs)
    table = reduction_table(results)
    val = results[results.split == "val"]["topic_id"].nunique()
    train = results[results.split == "train"]["topic_id"].nunique()
    print(f"val word edit cost (sum over {val} val topics; {train} train topics drive the updates)\n")
    print(table.to_string())
    worst = table.xs("rules learner", level="learner")["reduction %"].min()
    print(f"\nrules learner, smallest reduction over personas after {args.epochs} updates: {worst:.1f}%")
    print(f"({time.perf_counter() - started:.1f} s for {len(table)} runs)")


if __name__ == "__main__":
    main()
