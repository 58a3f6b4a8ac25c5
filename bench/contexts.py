"""A writer with a voice per kind of post (docs/FORMATS.md §11, issue 24): the bundled many-hats persona (recipes
terse and formal, habit posts warm and casual, how-tos plain) on generated topics of its three kinds, under both
protocols (epochs; online, PRELUDE), for the learners: no learning; global (the rules learner not shown the kinds:
one guide for every post, today's before kinds); retrieve (CIPHER offline: each post's rules from its 3 nearest
reviewed briefs, no kinds); per kind (the rules learner); the oracle (the persona's edits per kind as rules).
Offline, deterministic.

    python bench/contexts.py [--topics 36] [--epochs 3] [--passes 2] [--seed 3]

Columns: val word edit cost (summed over the val topics) before and after training; cumulative train cost (what the
user edited along the way); each learner's reduction over no learning as a share of the oracle's; rules in the
learned guide (general + per kind); lint findings; and the val cost per kind after training.
"""

from __future__ import annotations

import argparse
import time

from writebot.report.kind_comparison import KINDS, compare
from writebot.testing.topics import generate_topics

VAL_SHARE, ONLINE_SHARE = 90.0, 85.0  # issue 24's targets for the per-kind learner, % of the oracle's reduction
BELOW_RETRIEVE = 20.0  # and its cumulative online cost this % below the retrieval baseline's (CIPHER)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topics", type=int, default=36)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    tables = compare(generate_topics(args.topics, seed=args.seed, kinds=KINDS), args.epochs, args.passes)
    columns = ["val before", "val after", "train cumulative", "val % of oracle", "cumulative % of oracle", "rules",
               "lint findings", *(f"val {k}" for k in KINDS)]
    for protocol, table in tables.items():
        print(f"\n{protocol} protocol: many-hats on {args.topics} generated topics of kinds {', '.join(KINDS)}\n")
        print(table[columns].droplevel("persona").to_string(float_format=lambda x: f"{x:.1f}", na_rep="-"))
    epochs, online = (t.droplevel("persona") for t in (tables["epochs"], tables["online"]))
    rows = [("per kind, epochs: val share of oracle (%)", epochs.loc["per kind", "val % of oracle"], VAL_SHARE),
            ("global, epochs: val share of oracle (%)", epochs.loc["global", "val % of oracle"], None),
            ("per kind, online: cumulative share of oracle (%)", online.loc["per kind", "cumulative % of oracle"],
             ONLINE_SHARE),
            ("global, online: cumulative share of oracle (%)", online.loc["global", "cumulative % of oracle"], None)]
    below = 100 * (1 - online.loc["per kind", "train cumulative"] / online.loc["retrieve", "train cumulative"])
    rows.append(("per kind, online: cumulative cost below retrieve's (%)", below, BELOW_RETRIEVE))
    print("\ntargets (issue 24)\n")
    for name, value, target in rows:
        met = "-" if target is None else "yes" if value >= target else "MISSED"
        print(f"{name:56s} {value:6.1f}  {'>= ' + str(int(target)) if target else '':6s} {met}")
    print(f"\n({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
