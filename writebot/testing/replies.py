"""What the simulated model says: responders for simulator.py. A responder takes a request body and returns
{"content": [...], "stop_reason": ...}; the simulator adds thinking, budgets, usage and stop reasons around it."""

from __future__ import annotations

import re
from collections.abc import Callable

Responder = Callable[[dict], dict]


def text_reply(text: str) -> dict:
    return {"content": [{"type": "text", "text": text}], "stop_reason": "end_turn"}


def tool_reply(*calls: dict, text: str = "") -> dict:
    """A reply that uses the text editor tool: each call is the tool input, e.g. {"command": "view", ...}.
    The simulator gives each tool_use block its id."""
    content = [{"type": "text", "text": text}] if text else []
    content += [{"type": "tool_use", "name": "str_replace_based_edit_tool", "input": c} for c in calls]
    return {"content": content, "stop_reason": "tool_use"}


def last_user_text(body: dict) -> str:
    for message in reversed(body.get("messages", [])):
        if message["role"] != "user":
            continue
        content = message["content"]
        if isinstance(content, str):
            return content
        texts = [b.get("text", "") for b in content if b.get("type") == "text"]
        if texts:
            return "\n".join(texts)
    return ""


def system_text(body: dict) -> str:
    system = body.get("system") or ""
    return system if isinstance(system, str) else "\n".join(b.get("text", "") for b in system)


def parse_brief(brief: str) -> tuple[str | None, str | None, list[str]]:
    """(title, audience, points) of a brief written from prompts/writer_brief.md."""
    title = re.search(r"(?m)^Title: (.+)$", brief)
    audience = re.search(r"(?m)^Audience: (.+)$", brief)
    return (title[1].strip() if title else None, audience[1].strip() if audience else None,
            re.findall(r"(?m)^- (.+)$", brief))


def judge_points(body: dict) -> list[str]:
    """The numbered points of a faithfulness judge's request (prompts/judge_request.md)."""
    return re.findall(r"(?m)^\d+\. (.+)$", last_user_text(body).split("</brief>")[0])


def judge_reply(verdicts: list[str], added: list[str] | None = None) -> dict:
    """A judge's structured answer (writebot.compare.faithfulness.judge_schema)."""
    import json

    points = [{"point": n, "verdict": v, "evidence": ""} for n, v in enumerate(verdicts, 1)]
    return text_reply(json.dumps({"points": points, "added": added or []}))


def echo_writer(body: dict) -> dict:
    """A plain stand-in for every writebot call: drafts carry the brief's title and points; a reviewer finds that
    the draft fits; a reviser returns the draft; an optimizer changes nothing; a judge finds every point kept and
    nothing added."""
    if body.get("tools"):
        return text_reply("No changes needed.")
    if (body.get("output_config") or {}).get("format"):
        return judge_reply(["kept"] * len(judge_points(body)))
    prompt = last_user_text(body)
    if "<verdict>" in system_text(body):
        return text_reply("<verdict>fits</verdict>")
    draft = re.search(r"<draft>\n(.*?)\n</draft>", prompt, re.S)
    if draft:
        return text_reply(draft[1])
    title, _, points = parse_brief(prompt)
    return text_reply(f"# {title or 'Untitled'}\n\n" + " ".join(points) + "\n")


def scripted(*turns: dict, drafts: Responder = echo_writer) -> Responder:
    """Optimizer requests (those with tools) get `turns` in order, then "Done."; everything else goes to `drafts`."""
    queue = list(turns)

    def respond(body: dict) -> dict:
        if body.get("tools"):
            return queue.pop(0) if queue else text_reply("Done.")
        return drafts(body)

    return respond
