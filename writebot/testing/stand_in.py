"""An offline stand-in for Claude, as a responder for the Messages API simulator: it answers draft requests with
the rules engine's writer and optimizer requests with the rules learner's edits, made through the text editor tool.

It records the demo cassette that ships with writebot (dev/record_demo_cassette.py), so a notebook can replay a
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
