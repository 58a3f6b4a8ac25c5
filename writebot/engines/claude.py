"""The Claude engine: Claude writes with the pipeline, and trains it by editing its files with the text editor tool.

Contract (gepa-style): a failed or refused update never raises out of `update` for a tool-level problem and never
half-applies: the edits live in memory and land as one new version, or not at all.
"""

from __future__ import annotations

import re

from writebot.editor import ROOT, TOOL, PipelineEditor
from writebot.edits import analyse
from writebot.engines.base import Evidence, Update
from writebot.errors import InputError
from writebot.llm import LLM, text_of
from writebot.metrics import word_edit_distance
from writebot.pipeline import STYLE, Pipeline
from writebot.post import normalize
from writebot.prompts import render
from writebot.topics import Topic

MAX_TOKENS_DRAFT = 2048
MAX_TOKENS_UPDATE = 4096
PAIRS_SHOWN = 6
_FENCE = re.compile(r"^```[a-zA-Z]*\n(.*?)\n```\s*$", re.S)


def brief(topic: Topic) -> str:
    return render("writer_brief", title=topic.title, audience=topic.audience or "general readers",
                  points="\n".join(f"- {p}" for p in topic.points))


def system_prefix(pipeline: Pipeline) -> str:
    """The stable part of every draft request: identical bytes for every draft written with this version."""
    steps = "\n\n".join(f'<step path="{p}">\n{t.strip()}\n</step>' for p, t in pipeline.steps.items())
    examples = "\n\n".join(f'<example path="{p}">\n{t.strip()}\n</example>' for p, t in pipeline.examples.items())
    return render("writer_system", style=pipeline.files[STYLE].strip(), steps=steps, examples=examples or "(none)")


def clean_post(text: str) -> str:
    text = text.strip()
    fenced = _FENCE.match(text)
    return normalize(fenced[1] if fenced else text)


def describe_spans(draft: str, ground_truth: str, limit: int = 20) -> str:
    spans = analyse(draft, ground_truth).spans
    lines = [f"- {s.op} ({s.location}): {s.old!r} -> {s.new!r}" for s in spans[:limit]]
    if len(spans) > limit:
        lines.append(f"- ... {len(spans) - limit} more")
    return "\n".join(lines) or "(no edits)"


class ClaudeEngine:
    """Writer + optimizer on the Messages API (or a replay cassette). gate: judged on the next epoch's drafts,
    because re-drafting to check an update would cost a second set of calls."""

    name = "claude"
    gate = "deferred"

    def __init__(self, llm: LLM, style_budget: int = 4000, max_turns: int = 12, batch_poll_seconds: float = 5.0):
        self.llm = llm
        self.batch_poll_seconds = batch_poll_seconds
        self.style_budget = style_budget
        self.max_turns = max_turns

    @property
    def model(self) -> str:
        return self.llm.model

    def draft_request(self, pipeline: Pipeline, topic: Topic) -> dict:
        return {"max_tokens": MAX_TOKENS_DRAFT,
                "system": [{"type": "text", "text": system_prefix(pipeline), "cache_control": {"type": "ephemeral"}}],
                "messages": [{"role": "user", "content": brief(topic)}]}

    async def awrite(self, pipeline: Pipeline, topic: Topic) -> str:
        response = await self.llm.create("draft", **self.draft_request(pipeline, topic))
        return clean_post(text_of(response))

    def write(self, pipeline: Pipeline, topic: Topic) -> str:
        return self.llm.run(self.awrite(pipeline, topic))

    async def abatch_write(self, pipeline: Pipeline, topics: list[Topic], existing_id: str | None = None,
                           on_submit=None, on_poll=None) -> tuple[dict[str, str], dict[str, str]]:
        """Drafts for `topics` through the Message Batches API: (topic id -> draft, topic id -> error)."""
        ids = {f"draft-{i}": t for i, t in enumerate(topics)}
        responses, errors = await self.llm.batch(
            "draft", {cid: self.draft_request(pipeline, t) for cid, t in ids.items()}, existing_id, on_submit,
            on_poll, poll_seconds=self.batch_poll_seconds)
        return ({ids[c].id: clean_post(text_of(r)) for c, r in responses.items()},
                {ids[c].id: e for c, e in errors.items() if c in ids})

    def update(self, pipeline: Pipeline, evidence: list[Evidence], history: list[dict] | None = None) -> Update:
        return self.llm.run(self.aupdate(pipeline, evidence, history or []))

    def _update_prompt(self, pipeline: Pipeline, evidence: list[Evidence], history: list[dict]) -> str:
        epoch = max(e.epoch for e in evidence)
        latest = sorted((e for e in evidence if e.epoch == epoch),
                        key=lambda e: -word_edit_distance(e.draft, e.ground_truth))
        pairs = "\n".join(render("optimizer_pair", topic=e.topic.id, cost=word_edit_distance(e.draft, e.ground_truth),
                                 title=e.topic.title, audience=e.topic.audience or "general readers",
                                 points="\n".join(f"- {p}" for p in e.topic.points), draft=e.draft.strip(),
                                 feedback="\n".join(e.feedback) or "(none)",
                                 ground_truth=e.ground_truth.strip(),
                                 analysis=describe_spans(e.draft, e.ground_truth)) for e in latest[:PAIRS_SHOWN])
        past = "\n".join(f"- epoch {h['epoch']}: {h['status']}, train edit cost {h.get('train_cost_before')} -> "
                         f"{h.get('train_cost_after')}; {h.get('rationale', '')[:300]}" for h in history[-3:])
        others = ", ".join(f"{ROOT}/{p}" for p in sorted(pipeline.files) if p != STYLE)
        return render("optimizer_update", style=pipeline.files[STYLE].strip(), style_chars=len(pipeline.files[STYLE]),
                      budget=self.style_budget, other_files=others or "(none)", history=past or "(none yet)",
                      epoch=epoch, shown=min(PAIRS_SHOWN, len(latest)), total=len(latest), pairs=pairs)

    async def edit_loop(self, files: dict[str, str], system: str, prompt: str, purpose: str = "update"):
        """Let Claude edit `files` with the text editor tool until end_turn or the turn limit.
        Returns (editor, rationale, tool log); the edits stay in the editor's memory."""
        editor = PipelineEditor(files, self.style_budget)
        messages: list[dict] = [{"role": "user", "content": prompt}]
        log: list[dict] = []
        rationale = ""
        for turn in range(1, self.max_turns + 1):
            response = await self.llm.create(purpose, max_tokens=MAX_TOKENS_UPDATE, system=system, tools=[TOOL],
                                             messages=messages)
            messages.append({"role": "assistant", "content": response["content"]})
            rationale = text_of(response).strip() or rationale
            calls = [b for b in response["content"] if b.get("type") == "tool_use"]
            if response.get("stop_reason") != "tool_use" or not calls:
                break
            results = []
            for call in calls:
                output, is_error = editor.run(call.get("input"))
                log.append({"turn": turn, "tool_input": call.get("input"), "error": output if is_error else None})
                results.append({"type": "tool_result", "tool_use_id": call["id"], "content": output,
                                "is_error": is_error})
            messages.append({"role": "user", "content": results})
        else:
            rationale = (rationale + f" (stopped at the turn limit of {self.max_turns})").strip()
        return editor, rationale, log

    async def aupdate(self, pipeline: Pipeline, evidence: list[Evidence], history: list[dict]) -> Update:
        system = render("optimizer_system", budget=self.style_budget)
        editor, rationale, log = await self.edit_loop(pipeline.files, system,
                                                      self._update_prompt(pipeline, evidence, history))
        proposal = Pipeline(editor.files)
        problem = self._refusal(proposal)
        if problem:
            return Update(pipeline, f"refused: {problem}; the pipeline is unchanged. Claude said: {rationale}", log)
        return Update(proposal, rationale or f"{editor.edits} edits", log)

    def _refusal(self, proposal: Pipeline) -> str | None:
        try:
            proposal.validate("the edited pipeline")
        except InputError as exc:
            return str(exc)
        if len(proposal.files[STYLE]) > self.style_budget:
            return f"STYLE.md is {len(proposal.files[STYLE])} characters, over its budget of {self.style_budget}"
        return None
