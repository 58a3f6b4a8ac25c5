"""An offline stand-in for Claude, as a responder for the Messages API simulator: it answers draft requests with
the rules engine's writer and optimizer requests with the rules learner's edits, made through the text editor tool
(and, when lint sends a proposal back for example posts that break its rules, it views and fixes them).

It records the demo cassette that ships with writebot (dev/record_demo_cassette.py), so a notebook can replay a
"Claude engine" run with no network and no key. The cassette's responses come from this stand-in, not from Claude.
"""

from __future__ import annotations

import re

from writebot.engines.base import Evidence
from writebot.engines.learner import in_line, learn
from writebot.engines.rules import RulesEngine
from writebot.testing.replies import last_user_text, parse_brief, text_reply, tool_reply
from writebot.text.pipeline import Pipeline
from writebot.text.topics import Topic, topic_from_text

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


_EXAMPLE_FINDING = re.compile(r"(examples/[\w.-]+\.md) does not follow")
_VIEW_LINE = re.compile(r"(?m)^\d+: ?")


def _uses(message: dict, command: str) -> list[dict]:
    content = message["content"]
    return [] if isinstance(content, str) else [b["input"] for b in content if b.get("type") == "tool_use"
                                                 and b["input"].get("command") == command]


def _follow_up(messages: list[dict]) -> dict:
    """After the guide is written: when lint sends the proposal back because example posts break its rules, view
    them, then bring them in line (rules.in_line), as Claude would; otherwise finish with the rationale."""
    last = messages[-1]["content"]
    said = last if isinstance(last, str) else " ".join(b.get("text", "") for b in last if b.get("type") == "text")
    examples = sorted(set(_EXAMPLE_FINDING.findall(said)))
    if examples:
        return tool_reply(*({"command": "view", "path": f"/pipeline/{p}"} for p in examples),
                          text="Checking the example posts against the rules.")
    viewed = _uses(messages[-2], "view") if messages[-2]["role"] == "assistant" else []
    if viewed and not isinstance(last, str):
        style = next(u["file_text"] for m in messages if m["role"] == "assistant" for u in _uses(m, "create")
                     if u["path"].endswith("STYLE.md"))
        rules = _pipeline(style).style.parsed_rules()
        posts = {v["path"].removeprefix("/pipeline/"): _VIEW_LINE.sub("", r["content"]) + "\n"
                 for v, r in zip(viewed, (b for b in last if b.get("type") == "tool_result"), strict=True)}
        fixed = in_line(Pipeline(posts | {"STYLE.md": style, "steps/draft.md": "-\n"}), rules)[0]
        return tool_reply(*({"command": "create", "path": f"/pipeline/{p}", "file_text": fixed.files[p]}
                            for p in posts), text="Brought the example posts in line with the rules.")
    rationale = next((b["text"] for m in messages if m["role"] == "assistant" and not isinstance(m["content"], str)
                      for b in m["content"] if b["type"] == "text" and b["text"].strip()), "Done.")
    return text_reply(rationale)


def respond(body: dict) -> dict:
    system = body.get("system")
    if not body.get("tools"):
        style = _STYLE_IN_SYSTEM.search(system[0]["text"] if isinstance(system, list) else system or "")
        text = last_user_text(body)
        return text_reply(RulesEngine().write(_pipeline(style[1] if style else "# Style\n"), _topic(text)))
    if len(body["messages"]) > 1:
        return _follow_up(body["messages"])
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
