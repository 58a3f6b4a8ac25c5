"""Offline speed: one epoch (draft, review, score, judge faithfulness, record every topic; then one update with its
gate) over generated topics, on the rules engine. Prints a table: seconds, µs per topic, peak memory. Then
`writebot write` with the demo's trained bot: 100 posts from a topics file, the whole command timed.

    python bench/speed.py            # 1,000 and 10,000 topics
    python bench/speed.py 500 2000   # other sizes
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one(n: int) -> dict:
    from writebot import bundled
    from writebot.compare.faithfulness import OfflineJudge, judge_review
    from writebot.loop.drafting import review_record
    from writebot.loop.registry import build_engine
    from writebot.loop.trainer import update
    from writebot.store.run_folder import RunStore
    from writebot.testing.topics import generate_topics
    from writebot.text.pipeline import Pipeline
    from writebot.users import PersonaUser, load_persona

    topics = generate_topics(n, seed=1)
    engine = build_engine("rules")
    judge = OfflineJudge()
    user = PersonaUser(load_persona(bundled.persona("warm-casual")))
    pipeline = Pipeline.load(bundled.starter_pipeline())
    with tempfile.TemporaryDirectory() as tmp:
        run = RunStore.create(Path(tmp) / "run", {"bench": "speed"}, {})
        t0 = time.perf_counter()
        run.save_version(0, pipeline)
        for topic in topics:
            draft = engine.write(pipeline, topic)
            review = user.review(topic, draft)
            found = judge_review(judge, topic, draft, review.ground_truth)
            run.record_draft(review_record(review, topic, draft, 0, pipeline, found))
        run.write_history()
        t1 = time.perf_counter()
        update(run, engine, judge, pipeline, topics, 0)
        t2 = time.perf_counter()
        status = run.update_records[-1].status
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"topics": n, "drafts_s": t1 - t0, "update_s": t2 - t1, "total_s": t2 - t0, "peak_mb": peak_mb,
            "update": status}


def write_timing(posts: int = 100) -> tuple[float, int]:
    """Seconds for `writebot write DEMO --topics FILE --out DIR` with `posts` generated topics (the command as a
    user runs it: start-up included), and the posts written."""
    from writebot.testing.topics import generate_topics, to_yaml

    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "writebot"]
        subprocess.run([*command, "demo", "--out", f"{tmp}/demo"], capture_output=True, check=True)
        Path(tmp, "topics.yaml").write_text(to_yaml(generate_topics(posts, seed=2)))
        started = time.perf_counter()
        subprocess.run([*command, "write", f"{tmp}/demo", "--topics", f"{tmp}/topics.yaml", "--out", f"{tmp}/posts"],
                       capture_output=True, check=True)
        return time.perf_counter() - started, len(list(Path(tmp, "posts").glob("*.md")))


def main(sizes: list[int]) -> None:
    rows = []
    for n in sizes:  # a fresh process per size, so peak memory is that size's own
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout))
    print(f"{'topics':>7} {'draft+review+record s':>22} {'update s':>9} {'epoch s':>8} {'µs/topic':>9} "
          f"{'peak MB':>8}  update")
    for r in rows:
        print(f"{r['topics']:>7} {r['drafts_s']:>22.2f} {r['update_s']:>9.2f} {r['total_s']:>8.2f} "
              f"{r['total_s'] / r['topics'] * 1e6:>9.0f} {r['peak_mb']:>8.0f}  {r['update']}")
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        print(f"\nscaling {a['topics']} -> {b['topics']} topics: time x{b['total_s'] / a['total_s']:.1f} "
              f"for x{b['topics'] / a['topics']:.0f} topics")
    seconds, written = write_timing()
    print(f"\nwritebot write, the demo's bot: {written} posts in {seconds:.2f} s (the whole command; target < 2 s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000], help="topics per epoch, each timed")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one size, in the fresh process main starts
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
    else:
        main(args.sizes)
