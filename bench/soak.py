"""Kill -9 soak: a run killed at random moments and resumed after each kill must end with exactly the records and
versions of a run never interrupted. Two modes:

    python bench/soak.py                      # rules engine: 2,500 topics x 4 epochs, 20 kills
    python bench/soak.py --kills 5 --topics 300
    python bench/soak.py --claude --kills 10  # Claude engine on the API simulator, kills during the editor loop
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from writebot import bundled
from writebot.store.run_folder import RunStore
from writebot.testing.topics import generate_topics, to_yaml
from writebot.text.pipeline import Pipeline

WRITEBOT = [sys.executable, "-m", "writebot"]


def fingerprint(folder: Path) -> dict:
    run = RunStore.open(folder)
    records = [(r.epoch, r.topic_id, r.draft, r.ground_truth) for r in run.draft_records]
    updates = [(u.epoch, u.kind or "update", u.status, u.to_version) for u in run.update_records]
    versions = {e: Pipeline.load(folder / f"versions/epoch_{e:03d}").files for e in run.versions()}
    return {"records": records, "updates": updates, "versions": versions, "skipped": len(run.skipped),
            "status": run.config["status"]}


def kill_and_resume(command: list[str], out: Path, kills: int, moment, env=None) -> dict:
    """Start `command`; kill it with SIGKILL at the moment `moment()` picks (it returns a function that says when),
    resume (or start again, when the kill landed before the run existed), again `kills` times; then resume to the
    end. Returns what happened."""
    landed, problems = 0, []
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(kills):
        now_is_the_moment = moment()
        while process.poll() is None and not now_is_the_moment():
            time.sleep(0.005)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()
            landed += 1
            problems.extend(damage_after_kill(out))
        elif process.returncode != 0:
            raise SystemExit(f"the run failed: {process.stderr.read().decode()[-2000:]}")
        # killed before run.json existed: there is no run to resume, so start it again (a creation cut short
        # leaves at most the lock and inputs/, which the next start may use)
        again = [*WRITEBOT, "resume", str(out)] if (out / "run.json").exists() else command
        process = subprocess.Popen(again, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if process.wait() != 0:
        raise SystemExit(f"the last resume failed: {process.stderr.read().decode()[-2000:]}")
    torn = len(list(out.glob("*.torn-*")))
    return {"kills": landed, "torn_moved_aside": torn, "damage_after_kills": problems}


def damage_after_kill(out: Path) -> list[str]:
    """What `writebot check` finds right after a kill, before any resume, other than a torn last line (which a
    kill mid-append leaves, and the next writer moves aside): a half-written version, a doubled record, ..."""
    if not (out / "run.json").exists():
        return []  # killed before the run existed
    found = subprocess.run([*WRITEBOT, "check", str(out)], capture_output=True, text=True).stdout.splitlines()
    return [line for line in found if "torn last line" not in line]


def compare(name: str, clean: dict, killed: dict, stats: dict, seconds: float) -> bool:
    keys = [(r[0], r[1]) for r in killed["records"]]
    same = {
        "records (epoch, topic, draft, ground truth)": sorted(killed["records"]) == sorted(clean["records"]),
        "no duplicate records": len(keys) == len(set(keys)),
        "updates": killed["updates"] == clean["updates"],
        "versions": killed["versions"] == clean["versions"],
        "no damaged line left": killed["skipped"] == 0,
        "sound after every kill (writebot check)": not stats["damage_after_kills"],
        "complete": killed["status"] == "complete",
    }
    print(f"\n## {name}: {stats['kills']} kills landed, {stats['torn_moved_aside']} torn lines moved aside, "
          f"{seconds:.0f} s\n")
    print(f"{'check':<45} {'result':>7}")
    for check, ok in same.items():
        print(f"{check:<45} {'same' if ok else 'DIFFERS':>7}")
    print(f"records: {len(killed['records'])} (clean run: {len(clean['records'])}); "
          f"versions: {len(killed['versions'])}")
    return all(same.values())


def rules_mode(tmp: Path, args) -> bool:
    topics = tmp / "topics.yaml"
    topics.write_text(to_yaml(generate_topics(args.topics, seed=11)), encoding="utf-8")
    common = ["simulate", "--topics", str(topics), "--persona", str(bundled.persona("formal-editor")),
              "--epochs", str(args.epochs)]
    started = time.monotonic()
    subprocess.run([*WRITEBOT, *common, "--out", str(tmp / "clean")], check=True, capture_output=True)
    clean_seconds = time.monotonic() - started
    rng = random.Random(args.seed)

    def moment():  # a random time in the process's life: during start-up, drafting, an update or a snapshot
        deadline = time.monotonic() + rng.uniform(0.3, max(0.6, clean_seconds / 3))
        return lambda: time.monotonic() >= deadline

    started = time.monotonic()
    stats = kill_and_resume([*WRITEBOT, *common, "--out", str(tmp / "killed")], tmp / "killed", args.kills, moment)
    return compare(f"rules engine, {args.topics} topics x {args.epochs} epochs (a clean run takes "
                   f"{clean_seconds:.0f} s)", fingerprint(tmp / "clean"), fingerprint(tmp / "killed"), stats,
                   time.monotonic() - started)


def claude_mode(tmp: Path, args) -> bool:
    from writebot.testing.replies import echo_writer, text_reply, tool_reply
    from writebot.testing.simulator import Simulator

    def respond(body: dict) -> dict:
        if not body.get("tools"):
            return echo_writer(body)
        turn = len(body["messages"]) // 2
        if turn < 4:  # a few edits, one per turn, so a kill can land between them
            return tool_reply({"command": "insert", "path": "/pipeline/STYLE.md", "insert_line": 27,
                               "insert_text": f"- Rule {turn} of a long update."})
        return text_reply("Added four rules.")

    topics = tmp / "topics.yaml"
    topics.write_text(to_yaml(generate_topics(24, seed=11)), encoding="utf-8")
    with Simulator(respond, latency=0.03) as sim:
        env = {**os.environ, "ANTHROPIC_API_KEY": "sim-key-not-real", "ANTHROPIC_BASE_URL": sim.url}
        common = ["simulate", "--engine", "claude", "--topics", str(topics), "--persona",
                  str(bundled.persona("warm-casual")), "--epochs", str(args.epochs), "--concurrency", "4"]
        subprocess.run([*WRITEBOT, *common, "--out", str(tmp / "clean")], check=True, capture_output=True, env=env)
        rng = random.Random(args.seed)

        def moment():  # in the middle of an editor loop: once its 1st, 2nd or 3rd tool turn has been answered
            first, turns, since = len(sim.requests), rng.choice([3, 5, 7]), time.monotonic()
            return lambda: any(r.get("tools") and len(r["messages"]) >= turns for r in sim.requests[first:]) or \
                time.monotonic() - since > 30

        started = time.monotonic()
        stats = kill_and_resume([*WRITEBOT, *common, "--out", str(tmp / "killed")], tmp / "killed", args.kills,
                                moment, env)
        killed, clean = fingerprint(tmp / "killed"), fingerprint(tmp / "clean")
        per_epoch = {}
        for epoch, kind, _, _ in killed["updates"]:
            per_epoch[(epoch, kind)] = per_epoch.get((epoch, kind), 0) + 1
        ok = compare(f"Claude engine on the simulator, 24 topics x {args.epochs} epochs, kills during the editor "
                     "loop", clean, killed, stats, time.monotonic() - started)
        twice = [k for k, n in per_epoch.items() if n > 1]
        print(f"updates recorded twice: {len(twice)}")
        for line in stats["damage_after_kills"][:5]:
            print(f"  after a kill: {line}")
        return ok and not twice


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--topics", type=int, default=2500)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--claude", action="store_true", help="the Claude engine on the simulator")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ok = (claude_mode if args.claude else rules_mode)(Path(tmp), args)
    print("\nsoak:", "identical to a clean run" if ok else "DIFFERENT from a clean run")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
