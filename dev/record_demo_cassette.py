"""Record data/cassettes/claude-demo.jsonl again: the recipe in data/cassettes/claude-demo.yaml, the Claude engine,
the Messages API simulator with the offline stand-in answering (writebot/testing/stand_in.py). Needed whenever the
prompts, the starter pipeline or the request settings change (a test says so).

    python dev/record_demo_cassette.py [OUT.jsonl]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from writebot import bundled
from writebot.runs import RunOptions, continue_run, start_run
from writebot.testing.simulator import Simulator
from writebot.testing.stand_in import respond


def record(cassette: Path, run_dir: Path) -> None:
    recipe = bundled.demo_cassette()
    saved = {k: os.environ.get(k) for k in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "WRITEBOT_MODEL",
                                            "WRITEBOT_EFFORT")}
    with Simulator(respond) as sim:
        os.environ.update(ANTHROPIC_API_KEY="sim-key-not-real", ANTHROPIC_BASE_URL=sim.url)
        os.environ.pop("WRITEBOT_MODEL", None)
        os.environ.pop("WRITEBOT_EFFORT", None)
        try:
            options = RunOptions(engine="claude", epochs=recipe.epochs, concurrency=recipe.concurrency,
                                 record=str(cassette))
            with start_run(run_dir, recipe.topics, recipe.persona, recipe.pipeline, options, "record") as run:
                continue_run(run)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", type=Path, help="where to write the cassette (default: the bundled one, "
                        "data/cassettes/claude-demo.jsonl)")
    target = parser.parse_args().out or bundled.demo_cassette().cassette
    target.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        record(target, Path(tmp) / "run")
    print(f"wrote {target}")
