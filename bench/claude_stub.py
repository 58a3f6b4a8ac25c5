"""The Claude engine against the Messages API simulator (writebot.testing; no network, no model): draft concurrency,
calls per epoch, the prompt cache with and without the warm-up, optimizer cache reads, and robustness with thinking
on (cut answers, refusals, 400s, API errors).

    python bench/claude_stub.py [--latency 0.3] [--drafts 24] [--repeat 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from statistics import median

from writebot import bundled
from writebot.runs import RunOptions, continue_run, start_run
from writebot.store.run_folder import RunStore
from writebot.store.usage import UsageLog
from writebot.testing.prompt_cache import PromptCache
from writebot.testing.replies import echo_writer, text_reply, tool_reply
from writebot.testing.simulator import EFFORT_SHARE, Simulator
from writebot.testing.topics import generate_topics, to_yaml


def editing_optimizer(body: dict) -> dict:
    """Optimizer turns: view STYLE.md, add a rule, then end with a rationale. Everything else: echo_writer."""
    if not body.get("tools"):
        return echo_writer(body)
    turn = len(body["messages"]) // 2
    if turn == 0:
        return tool_reply({"command": "view", "path": "/pipeline/STYLE.md"})
    if turn == 1:
        return tool_reply({"command": "insert", "path": "/pipeline/STYLE.md", "insert_line": 27,
                           "insert_text": f"- Rule added by simulated turn {len(body['messages'])}."})
    return text_reply("Added one rule.")


class EveryNth:
    """True for every n-th distinct conversation (system + messages, not max_tokens: a retry gets the same answer),
    counted in the order they first arrive."""

    def __init__(self, n: int):
        self.n, self.seen, self.lock = n, {}, threading.Lock()

    def __call__(self, body: dict) -> bool:
        key = hashlib.sha256(json.dumps([body.get("system"), body.get("messages")], sort_keys=True).encode()).digest()
        with self.lock:
            if key not in self.seen:
                self.seen[key] = len(self.seen) % self.n == self.n - 1
            return self.seen[key]


def run_once(tmp: Path, name: str, topics_file: Path, concurrency: int, epochs: int, warm: bool = True,
             user: str = "rules") -> tuple[float, RunStore]:
    options = RunOptions(engine="claude", user=user, epochs=epochs, concurrency=concurrency, cache_warmup=warm)
    run = start_run(tmp / name, topics_file, bundled.persona("warm-casual"), bundled.starter_pipeline(), options,
                    "bench")
    started = time.perf_counter()
    with run:
        continue_run(run)
    return time.perf_counter() - started, RunStore.open(run.path)


def write_topics(tmp: Path, name: str, n: int, val_share: float) -> tuple[Path, list]:
    topics = generate_topics(n, seed=7, val_share=val_share)
    path = tmp / name
    path.write_text(to_yaml(topics), encoding="utf-8")
    return path, topics


def concurrency_table(tmp: Path, args) -> None:
    topics_file, _ = write_topics(tmp, "topics.yaml", args.drafts, 0.0)
    run_once(tmp, "warm-up", topics_file, 8, epochs=0)  # imports and client setup happen once, not in c=1's time
    print(f"## Concurrency: {args.drafts} drafts, simulated latency {args.latency * 1000:.0f} ms (cache warm-up "
          f"{args.latency * 100:.0f} ms), median of {args.repeat} runs, each with its setup\n")
    print(f"{'concurrency':>11} {'seconds':>8} {'speed-up':>9}")
    base = None
    for concurrency in (1, 2, 4, 8):
        seconds = median(run_once(tmp, f"c{concurrency}-{i}", topics_file, concurrency, epochs=0)[0]
                         for i in range(args.repeat))
        base = base or seconds
        print(f"{concurrency:>11} {seconds:>8.2f} {base / seconds:>8.1f}x")


def cache_table(tmp: Path, sim: Simulator, args) -> None:
    mixed_file, mixed = write_topics(tmp, "mixed.yaml", args.drafts, 0.25)
    sim.responder = editing_optimizer
    print(f"\n## Prompt cache per epoch, {len(mixed)} topics at --concurrency 8, 2 updates (a new version each "
          "epoch)\n")
    print(f"{'warm-up':>8} {'epoch':>5} {'calls':>6} {'draft cache writes':>19} {'cache-read share':>17} "
          f"{'cost USD':>9}")
    for warm in (False, True):
        sim.cache = PromptCache()  # nothing cached by an earlier run
        _, run = run_once(tmp, f"cache-{warm}", mixed_file, 8, epochs=2, warm=warm)
        rows = UsageLog(run.path / "usage.csv").rows
        for epoch in range(3):
            mine = [r for r in rows if r["epoch"] == str(epoch)]
            drafting = [r for r in mine if r["purpose"] in ("draft", "cache warm-up")]
            writes = sum(int(r["cache_creation_input_tokens"]) > 0 for r in drafting)
            read = sum(int(r["cache_read_input_tokens"]) for r in drafting)
            total = read + sum(int(r["input_tokens"]) + int(r["cache_creation_input_tokens"]) for r in drafting)
            cost = sum(float(r["cost_usd"]) for r in mine)
            print(f"{'on' if warm else 'off':>8} {epoch:>5} {len(mine):>6} {writes:>19} {read / total:>16.1%} "
                  f"{cost:>9.4f}")
    turns = [r for r in rows if r["purpose"] == "update"]
    later = [r for i, r in enumerate(turns) if i % 3]  # each update: 3 turns; the first writes the cache
    read = sum(int(r["cache_read_input_tokens"]) for r in later)
    total = read + sum(int(r["input_tokens"]) + int(r["cache_creation_input_tokens"]) for r in later)
    first = turns[0]
    prompt = int(first["input_tokens"]) + int(first["cache_creation_input_tokens"])
    print(f"\noptimizer turns after the first: {read / total:.1%} of input tokens read from the cache "
          f"({len(later)} turns; the update prompt is {prompt} tokens, the model's minimum is 512)")


def robustness(tmp: Path, sim: Simulator, args) -> None:
    topics_file, topics = write_topics(tmp, "robust.yaml", args.drafts, 0.25)

    def reader(body: dict) -> dict:
        if "<verdict>" not in str(body.get("system")):
            return editing_optimizer(body)
        draft = body["messages"][0]["content"].split("<draft>\n", 1)[1].split("\n</draft>", 1)[0]
        title, _, rest = draft.partition("\n\n")
        return text_reply(f"<verdict>revise</verdict>\n<feedback>Greet me.</feedback>\n<post>\n{title}\n\n"
                          f"Hi friends,\n\n{rest}\n</post>")

    long, refused = EveryNth(3), EveryNth(20)

    def thinking(body: dict) -> int:
        """1 in 3 conversations think past their first budget (8,000 or 10,000 tokens) but within the retry's."""
        needed = 11_000 if body.get("tools") else 9_000
        return int(needed / EFFORT_SHARE[body["output_config"]["effort"]]) if long(body) else 300

    sim.responder = reader
    sim.cache = PromptCache()
    sim.thinking_tokens = thinking
    sim.fault_for = lambda body: "refusal" if body.get("max_tokens") and refused(body) else None
    before = len(sim.errors)
    calls = len(sim.exchanges)
    _, run = run_once(tmp, "robust", topics_file, 8, epochs=2, user="claude")
    answered = sim.exchanges[calls:]
    first_tries = [(q, a) for q, a in answered if q["max_tokens"] in (8_000, 10_000)]
    cut = sum(a["stop_reason"] == "max_tokens" for _, a in first_tries)
    refusals = sum(a["stop_reason"] == "refusal" for _, a in answered)
    bad = 0
    for record in run.draft_records:
        brief = f"# {record.topic['title']}\n\n" + " ".join(record.topic["points"]) + "\n"
        title, _, rest = brief.rstrip("\n").partition("\n\n")
        whole_truth = f"{title}\n\nHi friends,\n\n{rest}\n"
        bad += record.draft != brief or record.ground_truth != whole_truth
    print(f"\n## Robustness: thinking on, {args.drafts} topics x 3 epochs, Claude drafts, reviews and updates\n")
    print(f"first tries cut at max_tokens: {cut} of {len(first_tries)} ({cut / max(1, len(first_tries)):.0%})")
    print(f"answers refused: {refusals}; drafts recorded: {len(run.draft_records)}; topics recorded as refused: "
          f"{len(run.refusal_records)}; updates failed: {sum(u.status == 'failed' for u in run.update_records)}")
    print(f"truncated, refused or empty texts recorded as drafts or ground truths: {bad}")
    print(f"requests the API refused with 400: {sum(e['status'] == 400 for e in sim.errors[before:])}")
    print(f"run status: {run.config['status']}")
    sim.thinking_tokens, sim.fault_for = 64, None


def error_lines(tmp: Path, sim: Simulator) -> None:
    topics_file, _ = write_topics(tmp, "errors.yaml", 4, 0.0)
    print("\n## API errors through the real command (a subprocess each)\n")
    print(f"{'status':>6} {'exit':>4} {'stderr lines':>12} {'traceback':>9}  message")
    env = {**os.environ, "ANTHROPIC_BASE_URL": sim.url, "ANTHROPIC_API_KEY": "sim-key-not-real"}
    for status in (400, 401, 403, 404, 429, 500, 529):
        sim.fault_for = (lambda s: lambda body: s)(status)
        args = ["--model", "claude-nope-1"] if status == 404 else []
        if status == 404:
            sim.fault_for = None
        done = subprocess.run([sys.executable, "-m", "writebot", "simulate", "--engine", "claude", "--topics",
                               str(topics_file), "--persona", str(bundled.persona("warm-casual")), "--epochs", "0",
                               "--out", str(tmp / f"err-{status}"), *args], env=env, capture_output=True, text=True)
        lines = done.stderr.strip().splitlines()
        print(f"{status:>6} {done.returncode:>4} {len(lines):>12} {'Traceback' in done.stderr!s:>9}  "
              f"{lines[-1][:110] if lines else ''}")
    sim.fault_for = None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--drafts", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=3, help="runs per concurrency; the median is reported")
    args = parser.parse_args()
    with Simulator(latency=args.latency) as sim, tempfile.TemporaryDirectory() as tmp:
        os.environ.update(ANTHROPIC_API_KEY="sim-key-not-real", ANTHROPIC_BASE_URL=sim.url)
        os.environ.pop("WRITEBOT_EFFORT", None)
        tmp = Path(tmp)
        concurrency_table(tmp, args)
        cache_table(tmp, sim, args)
        sim.latency = min(sim.latency, 0.02)
        robustness(tmp, sim, args)
        error_lines(tmp, sim)
        by_status = defaultdict(int)
        for error in sim.errors:
            by_status[error["status"]] += 1
        print(f"\nsimulator: {sim.message_calls} Messages calls, max {sim.max_in_flight} in flight, "
              f"errors answered by status {dict(by_status)}")


if __name__ == "__main__":
    main()
