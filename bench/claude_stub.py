"""The Claude engine against a loopback stub with 300 ms latency (no network, no model):
draft concurrency speed-up, calls per epoch by purpose, and the share of input tokens read from the prompt cache.

    python bench/claude_stub.py [--latency 0.3] [--drafts 24]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from itertools import groupby
from pathlib import Path
from statistics import median

from writebot import bundled
from writebot.llm import UsageLog
from writebot.runs import RunStore
from writebot.session import RunOptions, continue_run, start_run
from writebot.stub import StubServer, echo_writer, text_reply, tool_reply
from writebot.synthetic import generate_topics, to_yaml


def editing_optimizer(body: dict) -> dict:
    """Stub optimizer turns: view STYLE.md, add a rule, then end with a rationale."""
    if not body.get("tools"):
        return echo_writer(body)
    turn = len(body["messages"]) // 2
    if turn == 0:
        return tool_reply({"command": "view", "path": "/pipeline/STYLE.md"})
    if turn == 1:
        return tool_reply({"command": "insert", "path": "/pipeline/STYLE.md", "insert_line": 12,
                           "insert_text": f"- Rule added by stub turn {len(body['messages'])}."})
    return text_reply("Added one rule.")


def run_once(tmp: Path, name: str, topics_file: Path, concurrency: int, epochs: int) -> tuple[float, RunStore]:
    options = RunOptions(engine="claude", epochs=epochs, concurrency=concurrency)
    run = start_run(tmp / name, topics_file, bundled.persona("warm-casual"), bundled.starter_pipeline(), options,
                    "bench")
    started = time.perf_counter()
    continue_run(run)
    return time.perf_counter() - started, RunStore.open(run.path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--drafts", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=3, help="runs per concurrency; the median is reported")
    args = parser.parse_args()
    with StubServer(latency=args.latency) as stub, tempfile.TemporaryDirectory() as tmp:
        os.environ.update(ANTHROPIC_API_KEY="stub-key-not-real", ANTHROPIC_BASE_URL=stub.url)
        tmp = Path(tmp)
        topics = generate_topics(args.drafts, seed=7, val_share=0.0)
        topics_file = tmp / "topics.yaml"
        topics_file.write_text(to_yaml(topics), encoding="utf-8")

        run_once(tmp, "warm-up", topics_file, 8, epochs=0)  # imports and TLS setup happen once, not in c=1's time
        print(f"{args.drafts} drafts, stub latency {args.latency * 1000:.0f} ms, median of {args.repeat} runs "
              "(each run includes its setup: run folder, client, history)\n")
        print(f"{'concurrency':>11} {'seconds':>8} {'speed-up':>9}")
        base = None
        for concurrency in (1, 2, 4, 8):
            seconds = median(run_once(tmp, f"c{concurrency}-{i}", topics_file, concurrency, epochs=0)[0]
                             for i in range(args.repeat))
            base = base or seconds
            print(f"{concurrency:>11} {seconds:>8.2f} {base / seconds:>8.1f}x")

        mixed = generate_topics(args.drafts, seed=7)  # with val topics, for the calls-per-epoch table
        mixed_file = tmp / "mixed.yaml"
        mixed_file.write_text(to_yaml(mixed), encoding="utf-8")
        stub.responder = editing_optimizer
        _, run = run_once(tmp, "epochs", mixed_file, 8, epochs=2)
        rows = UsageLog(run.path / "usage.csv").rows
        runs = [(purpose, len(list(group))) for purpose, group in groupby(r["purpose"] for r in rows)]
        train = sum(t.split == "train" for t in mixed)
        print(f"\ncalls per epoch ({train} train + {len(mixed) - train} val topics; the stub optimizer views, "
              "edits, then ends: 3 turns):")
        print(f"{'epoch':>5} {'drafts':>7} {'optimizer turns':>16} {'total':>6}")
        drafts = [n for p, n in runs if p == "draft"]
        turns = [n for p, n in runs if p == "update"] + [0]
        for epoch, (d, t) in enumerate(zip(drafts, turns, strict=False)):
            print(f"{epoch:>5} {d:>7} {t:>16} {d + t:>6}")
        other = [p for p, _ in runs if p not in ("draft", "update")]
        print(f"all {len(rows)} calls are drafts or optimizer turns; other calls: {len(other)}")
        drafts = [r for r in rows if r["purpose"] == "draft"]
        per_epoch = len(mixed)

        print("\nprompt cache, drafts of each epoch (from the second draft on):")
        print(f"{'epoch':>5} {'cache-read share of input tokens':>33}")
        for epoch in range(3):
            batch = drafts[epoch * per_epoch:(epoch + 1) * per_epoch][1:]
            read = sum(int(r["cache_read_input_tokens"]) for r in batch)
            fresh = sum(int(r["input_tokens"]) + int(r["cache_creation_input_tokens"]) for r in batch)
            print(f"{epoch:>5} {read / (read + fresh):>32.1%}")
        print(f"\nstub saw {len(stub.requests)} requests, max {stub.max_in_flight} in flight")


if __name__ == "__main__":
    main()
