"""An offline stand-in for Claude behind the Messages API simulator (writebot.testing): it answers draft requests
with the rules engine's writer and optimizer requests with the rules learner's edits, made through the text editor
tool.

It exists to record the demo cassette that ships with writebot (data/cassettes/), so a notebook can replay a
"Claude engine" run with no network and no key. The cassette's responses come from this stand-in, not from Claude.
"""

from __future__ import annotations

import re

from writebot.engines.base import Evidence
from writebot.engines.rules import RulesEngine, learn
from writebot.pipeline import Pipeline
from writebot.testing.replies import last_user_text, parse_brief, text_reply, tool_reply
from writebot.topics import Topic
from writebot.workbench import topic_from_text

_STYLE_IN_SYSTEM = re.compile(r'<style_guide path="STYLE.md">\n(.*?)\n</style_guide>', re.S)
_STYLE_IN_PROMPT = re.compile(r'<file path="/pipeline/STYLE.md">\n(.*?)\n</file>', re.S)
_PAIR = re.compile(r'<pair topic="([^"]+)"[^>]*>\n<brief>\n(.*?)\n</brief>\n<draft>\n(.*?)\n</draft>\n<feedback>\n'
                   r'(.*?)\n</feedback>\n<ground_truth>\n(.*?)\n</ground_truth>', re.S)
_EPOCH = re.compile(r"Reviewed drafts from epoch (\d+)")


def _topic(brief: str) -> Topic:
    """The topic a brief describes; its id is made from the title, the same way for drafts and for updates."""
    title, audience, points = parse_brief(brief)
    return topic_from_text(title, "\n".join(points), "" if audience == "general readers" else audience)


def _pipeline(style: str) -> Pipeline:
    return Pipeline({"STYLE.md": style.strip() + "\n", "steps/draft.md": "-\n"})


def respond(body: dict) -> dict:
    system = body.get("system")
    if not body.get("tools"):
        style = _STYLE_IN_SYSTEM.search(system[0]["text"] if isinstance(system, list) else system or "")
        text = last_user_text(body)
        return text_reply(RulesEngine().write(_pipeline(style[1] if style else "# Style\n"), _topic(text)))
    if len(body["messages"]) > 1:  # the edit was made: finish with the rationale
        return text_reply(next(b["text"] for b in body["messages"][-2]["content"] if b["type"] == "text"))
    prompt = last_user_text(body)
    epoch = int(_EPOCH.search(prompt)[1])
    pipeline = _pipeline(_STYLE_IN_PROMPT.search(prompt)[1])
    evidence = [Evidence(_topic(brief), epoch, draft + "\n",
                         tuple(f for f in feedback.split("\n") if f and f != "(none)"), truth + "\n")
                for _, brief, draft, feedback, truth in _PAIR.findall(prompt)]
    update = learn(pipeline, evidence)
    if update.pipeline == pipeline:
        return text_reply("The drafts already match what the reader wants; no change.")
    style = update.pipeline.files["STYLE.md"]
    return tool_reply({"command": "create", "path": "/pipeline/STYLE.md", "file_text": style}, text=update.rationale)


DEMO = {"persona": "warm-casual", "epochs": 2}


def record_demo_cassette(cassette, out_dir) -> None:
    """Record the shipped demo cassette: the bundled topics, persona and starter pipeline, engine claude, through
    the simulator with this stand-in answering. Replay it with the same inputs (see data/cassettes/README.md)."""
    import os

    from writebot import bundled
    from writebot.headless import RunOptions, continue_run, start_run
    from writebot.testing.simulator import Simulator

    saved = {k: os.environ.get(k) for k in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "WRITEBOT_MODEL")}
    with Simulator(respond) as sim:
        os.environ.update(ANTHROPIC_API_KEY="sim-key-not-real", ANTHROPIC_BASE_URL=sim.url)
        os.environ.pop("WRITEBOT_MODEL", None)
        try:
            options = RunOptions(engine="claude", epochs=DEMO["epochs"], concurrency=1, record=str(cassette))
            run = start_run(out_dir, bundled.starter_topics(), bundled.persona(DEMO["persona"]),
                            bundled.starter_pipeline(), options, "record-demo-cassette")
            continue_run(run)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


if __name__ == "__main__":
    import sys
    import tempfile
    from pathlib import Path

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "data/cassettes/claude-demo.jsonl")
    target.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        record_demo_cassette(target, Path(tmp) / "run")
    print(f"wrote {target}")
