"""The Claude engine: Claude writes with the pipeline, and trains it by editing its files with the text editor tool.

Contract (gepa-style): a failed or refused update never raises out of `update` for a tool-level problem or an
unusable answer, and never half-applies: the edits live in memory and land as one new version, or not at all (an
update that Claude could not finish comes back with `failed` set and the pipeline unchanged). `write` returns a whole
draft or raises: Refused (the trainer records the topic as refused), or another ModelStop / an API error (the run
stops, resumable).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable

from writebot import defaults
from writebot.claude.llm import LLM, BatchFailure, text_of
from writebot.claude.models import spec
from writebot.claude.prompts import render
from writebot.claude.text_editor_tool import ROOT, TOOL, PipelineEditor
from writebot.compare.changes import analyse
from writebot.compare.metrics import word_edit_distance
from writebot.engines.base import BatchDrafts, Draft, Evidence, GateKind, Update
from writebot.errors import BadOutput, BatchExpired, InputError, ModelStop, Refused, UpdateStopped
from writebot.store.formats import UpdateSummary
from writebot.text.kinds import examples_for, style_for
from writebot.text.lint import CONTRADICTION, DEAD, EXAMPLE, PROSE, Source, lint
from writebot.text.pipeline import STYLE, Pipeline, without_comments
from writebot.text.post import normalize
from writebot.text.topics import Topic

PAIRS_SHOWN = 6
WARM_FOR_SECONDS = 240  # re-warm a version's cached prefix after 4 idle minutes (entries live 5 minutes)
_FENCE = re.compile(r"^```[a-zA-Z]*\n(.*?)\n```\s*$", re.S)


def brief(topic: Topic) -> str:
    return render("writer_brief", title=topic.title, audience=topic.audience or "general readers",
                  points="\n".join(f"- {p}" for p in topic.points))


def system_prefix(pipeline: Pipeline, kind: str | None = None) -> str:
    """The stable part of every draft request: identical bytes for every draft of one kind written with this
    version. A post of a kind reads the general rules, its kind's and its kind's examples, nothing written for
    other kinds (docs/FORMATS.md §11)."""
    steps = "\n\n".join(f'<step path="{p}">\n{t.strip()}\n</step>' for p, t in pipeline.steps.items())
    examples = "\n\n".join(f'<example path="{p}">\n{t.strip()}\n</example>'
                           for p, t in examples_for(pipeline, kind).items())
    return render("writer_system", style=style_for(without_comments(pipeline.files[STYLE]), kind).strip(),
                  steps=steps, examples=examples or "(none)")


def clean_post(text: str) -> str:
    text = text.strip()
    fenced = _FENCE.match(text)
    return normalize(fenced[1] if fenced else text)


def post_problem(response: dict) -> str | None:
    """Why an answer is not a post (None when it is)."""
    return None if clean_post(text_of(response)).strip() else "no post text in the answer"


SPANS_SHOWN = 60  # edits listed one by one per pair; past that, the rest are counted by kind


def describe_spans(draft: str, ground_truth: str, limit: int = SPANS_SHOWN) -> str:
    """The typed edits between a draft and its ground truth, one line each, located where they stand (an inserted
    sentence is a sentence, not a heading); past `limit`, the rest counted by kind, so nothing is left out unsaid."""
    from collections import Counter

    spans = analyse(draft, ground_truth).spans
    lines = [f"- {s.op} ({s.location}): {s.old!r} -> {s.new!r}" for s in spans[:limit]]
    if len(spans) > limit:
        rest = Counter(f"{s.op} ({s.location})" for s in spans[limit:])
        lines.append(f"- and {len(spans) - limit} more edits, not listed: "
                     + ", ".join(f"{n} {kind}" for kind, n in rest.most_common()))
    return "\n".join(lines) or "(no edits)"


def sendable(content: list[dict]) -> list[dict]:
    """An assistant turn as it goes back to the API: exactly as it came (thinking blocks with their signatures, in
    order), minus text blocks with no visible text, which the API refuses with 400 "text content blocks must contain
    non-whitespace text"."""
    return [b for b in content if b.get("type") != "text" or b.get("text", "").strip()]


def with_breakpoint(messages: list[dict]) -> list[dict]:
    """The conversation with one cache breakpoint, on its last block, so the next turn reads everything so far from
    the cache (at most 4 breakpoints are allowed, so earlier ones are not kept)."""
    out = []
    for n, message in enumerate(messages):
        content = message["content"]
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        blocks = [{k: v for k, v in b.items() if k != "cache_control"} for b in blocks]
        if n == len(messages) - 1:
            blocks[-1] = {**blocks[-1], "cache_control": {"type": "ephemeral"}}
        out.append({"role": message["role"], "content": blocks})
    return out


def custom_ids(topic_ids: list[str]) -> dict[str, str]:
    """custom_id -> topic id: the topic id made to fit ^[a-zA-Z0-9_-]{1,64}$ (Message Batches API) and unique."""
    out: dict[str, str] = {}
    for topic_id in topic_ids:
        cid = re.sub(r"[^a-zA-Z0-9_-]", "-", topic_id)[:64] or "topic"
        if cid in out:
            import hashlib

            cid = f"{cid[:55]}-{hashlib.sha256(topic_id.encode()).hexdigest()[:8]}"
        out[cid] = topic_id
    return out


class ClaudeEngine:
    """Writer + optimizer on the Messages API, or a replay cassette (the Engine contract, engines/base.py). Its gate
    is deferred: re-drafting to check an update would cost a second set of calls."""

    gate = GateKind.DEFERRED
    abilities = frozenset({"batches", "revise", "init"})  # engines/base.ABILITIES

    def __init__(self, llm: LLM, style_budget: int = defaults.STYLE_BUDGET, max_turns: int = defaults.EDITOR_TURNS,
                 batch_poll_seconds: float = defaults.BATCH_POLL_SECONDS, warm_cache: bool = True):
        self.llm = llm
        self.batch_poll_seconds = batch_poll_seconds
        self.style_budget = style_budget
        self.max_turns = max_turns
        self.warm_cache = warm_cache
        self.name = "replay" if llm.cassette is not None else "claude"
        # (loop, (version, kind)) -> (sent at, the warm-up); (version, kind) -> when its cached prefix was written
        self._warming: dict[tuple[int, tuple[str, str | None]], tuple[float, asyncio.Task]] = {}
        self._warmed: dict[tuple[str, str | None], float] = {}

    @property
    def model(self) -> str:
        return self.llm.model

    async def aclose(self) -> None:
        await self.llm.aclose()

    def revise(self, draft: str, feedback: str) -> str:
        """Claude revises the draft as the feedback asks (raises a ModelStop if it cannot, twice)."""
        response = self.llm.run(self.llm.complete("revise", {"messages": [
            {"role": "user", "content": render("revise", feedback=feedback.strip() or "(no feedback)",
                                               draft=draft.strip())}]}, check=post_problem))
        return normalize(text_of(response))

    def new_pipeline(self, description: str, examples: dict[str, str]) -> tuple[Pipeline, str]:
        """Claude writes STYLE.md and the step prompts with the text editor tool, next to the examples."""
        from writebot.engines.new_pipeline import starter_steps

        files = {"STYLE.md": f"# Style guide\n\n{description.strip()}\n\n## Rules\n\n## Notes\n", **examples}
        system = render("init_system", budget=self.style_budget)
        prompt = render("init_request", description=description.strip(), examples=", ".join(sorted(examples)))
        try:
            editor, rationale, _ = self.llm.run(self.edit_loop(files, system, prompt, purpose="init",
                                                                recheck=contradictions_message))
        except UpdateStopped as stopped:
            raise BadOutput("init", f"Claude could not finish writing the pipeline ({stopped}); nothing was written. "
                                    "Try again, or use --engine rules") from None
        pipeline = Pipeline(editor.files)
        if not pipeline.steps:  # Claude wrote no steps: fall back to the starter's, so the pipeline is usable
            pipeline = Pipeline({**starter_steps(), **editor.files})
        pipeline.validate("the pipeline Claude wrote")
        return pipeline, rationale

    # -- writing ------------------------------------------------------------------------------------------
    def draft_request(self, pipeline: Pipeline, topic: Topic, batch: bool = False) -> dict:
        """The request of a draft. In a batch, the cached prefix lives an hour: a batch can take longer than five
        minutes ("consider using the 1-hour cache duration ... when processing batches with shared context",
        https://platform.claude.com/docs/en/build-with-claude/batch-processing; priced as 1-hour writes)."""
        control = {"type": "ephemeral", "ttl": "1h"} if batch else {"type": "ephemeral"}
        return {"system": [{"type": "text", "text": system_prefix(pipeline, topic.kind), "cache_control": control}],
                "messages": [{"role": "user", "content": brief(topic)}]}

    async def _warm(self, pipeline: Pipeline, topic: Topic, checking: bool = False) -> None:
        """Write this version's cached prefix once, before its drafts fan out: a cache entry becomes readable only
        once the answer that wrote it has begun, so drafts sent together would each pay the cache write
        (https://platform.claude.com/docs/en/build-with-claude/prompt-caching, "Pre-warming the cache":
        max_tokens 0 writes the cache and generates nothing). Skipped for a model writebot does not know and for a
        prefix that may be under the model's minimum (counted at 3 characters a token: newer tokenizers give about
        30% more tokens than 4 a token would). `checking`: before a batch, send it anyway, as the batch docs advise
        (one direct request finds a wrong model, key or request before a whole batch does)."""
        model_spec = spec(self.model)
        prefix = system_prefix(pipeline, topic.kind)
        cacheable = model_spec is not None and len(prefix) / 3 >= model_spec.min_cache_tokens
        version = (pipeline.version_hash, topic.kind)  # one cached prefix per version and kind
        if not self.warm_cache or not (cacheable or checking) or \
                time.monotonic() - self._warmed.get(version, -1e9) < WARM_FOR_SECONDS:
            return
        key = (id(asyncio.get_running_loop()), version)
        if key not in self._warming:
            body = self.draft_request(pipeline, topic, batch=checking)
            request = {**self.llm.request("draft", body), "max_tokens": 0}
            self._warming[key] = (time.monotonic(), asyncio.ensure_future(self._send_warm_up(request, checking)))
        sent, task = self._warming[key]
        try:
            await asyncio.shield(task)
        finally:
            self._warming.pop(key, None)
        self._warmed[version] = max(self._warmed.get(version, sent), sent)  # an entry lives from its request's start

    async def _send_warm_up(self, request: dict, checking: bool = False) -> None:
        """The warm-up request. A server that refuses max_tokens 0 drafts without warm-ups; but before a batch the
        request is the check that a whole batch would fail the same way: a 400 about anything else stops the run
        with the API's message (it is asked once more with max_tokens 1 if the 400 was about max_tokens 0)."""
        import anthropic

        try:
            await self.llm.create("cache warm-up", request)
        except anthropic.BadRequestError as exc:
            self.warm_cache = False
            if not checking:
                return
            if "max_tokens" not in str(exc):
                raise
            await self.llm.create("cache warm-up", {**request, "max_tokens": 1})  # its own 400 stops the run

    async def awrite(self, pipeline: Pipeline, topic: Topic) -> Draft:
        """The draft, and the model that wrote it (the fallback model, after a refusal: the response says which)."""
        await self._warm(pipeline, topic)
        sent = time.monotonic()
        response = await self.llm.complete("draft", self.draft_request(pipeline, topic), check=post_problem)
        prefix = (pipeline.version_hash, topic.kind)
        self._warmed[prefix] = max(self._warmed.get(prefix, sent), sent)
        return Draft(clean_post(text_of(response)), response.get("model", self.model))

    def write(self, pipeline: Pipeline, topic: Topic) -> str:
        return self.llm.run(self.awrite(pipeline, topic)).text

    async def abatch_write(self, pipeline: Pipeline, topics: list[Topic], submitted: dict[str, dict[str, str]],
                           on_submit, on_poll=None) -> BatchDrafts:
        """Drafts for `topics` through the Message Batches API. `submitted` holds the batches already sent for this
        epoch (batch id -> {custom_id: topic id}): their results are collected, never paid for twice; topics they do
        not cover, or whose result there errored, expired or was canceled (none of which is billed), go in one new
        batch (`on_submit(batch_id, {custom_id: topic id})` records it before polling); what fails in that one is
        reported, for a resumed run to send again. An answer that stopped short (max_tokens, refusal, no text) is
        asked again directly, under the usual stop-reason policy."""
        by_id = {t.id: t for t in topics}
        requests = {t.id: self.llm.request("draft", self.draft_request(pipeline, t, batch=True)) for t in topics}
        outcomes: dict[str, dict | BatchFailure] = {}
        expired: list[str] = []
        for batch_id, members in submitted.items():
            mine = {c: t for c, t in members.items() if t in by_id and not isinstance(outcomes.get(t), dict)}
            if mine:
                try:
                    got = await self.llm.batch("draft", {c: requests[t] for c, t in mine.items()}, batch_id,
                                               on_poll=on_poll, poll_seconds=self.batch_poll_seconds)
                except BatchExpired:  # its topics are drafted again in the new batch below
                    expired.append(batch_id)
                    continue
                outcomes.update({mine[c]: o for c, o in got.items()})
        again = [t for t in by_id if not isinstance(outcomes.get(t), dict)]
        if again:
            await self._warm(pipeline, by_id[again[0]], checking=True)
            members = custom_ids(again)
            got = await self.llm.batch("draft", {c: requests[t] for c, t in members.items()},
                                       on_submit=lambda batch_id: on_submit(batch_id, members), on_poll=on_poll,
                                       poll_seconds=self.batch_poll_seconds)
            outcomes.update({members[c]: o for c, o in got.items()})
        result = BatchDrafts(expired=expired)
        for topic_id, outcome in outcomes.items():
            if isinstance(outcome, BatchFailure):
                result.failed[topic_id] = outcome
            elif outcome.get("stop_reason") == "end_turn" and post_problem(outcome) is None:
                result.drafts[topic_id] = Draft(clean_post(text_of(outcome)), self.model)  # as the batch asked
            else:
                try:
                    result.drafts[topic_id] = await self.awrite(pipeline, by_id[topic_id])
                except Refused as refusal:
                    result.refused[topic_id] = refusal
        result.failed.update({t: BatchFailure("missing") for t in by_id if t not in outcomes})
        return result

    # -- updating -----------------------------------------------------------------------------------------
    def update(self, pipeline: Pipeline, evidence: list[Evidence],
               history: list[UpdateSummary] | None = None) -> Update:
        return self.llm.run(self.aupdate(pipeline, evidence, history or []))

    def _update_prompt(self, pipeline: Pipeline, evidence: list[Evidence], history: list[UpdateSummary]) -> str:
        epoch = max(e.epoch for e in evidence)
        latest = sorted((e for e in evidence if e.epoch == epoch),
                        key=lambda e: -word_edit_distance(e.draft, e.ground_truth))
        kinds = sorted({e.topic.kind for e in evidence if e.topic.kind} | {k for k, _ in pipeline.style.kinds})
        shown = latest[:PAIRS_SHOWN]
        if kinds:  # grouped by kind, the most edited of each kind first (docs/FORMATS.md §11)
            each = -(-PAIRS_SHOWN // len(kinds))
            shown = sorted([e for k in [*kinds, None] for e in [x for x in latest if x.topic.kind == k][:each]],
                           key=lambda e: (e.topic.kind or "~", -word_edit_distance(e.draft, e.ground_truth)))
        counts = {k: sum(e.topic.kind == k for e in latest) for k in kinds}
        kinds_note = render("optimizer_kinds", kinds=", ".join(f"{k} ({n} reviewed)" for k, n in counts.items())) \
            + "\n" if kinds else ""
        pairs = "\n".join(render("optimizer_pair", topic=e.topic.id, cost=word_edit_distance(e.draft, e.ground_truth),
                                 title=e.topic.title, audience=e.topic.audience or "general readers",
                                 kind_line=f"Kind of post: {e.topic.kind}\n" if e.topic.kind else "",
                                 points="\n".join(f"- {p}" for p in e.topic.points), draft=e.draft.strip(),
                                 feedback="\n".join(e.feedback) or "(none)",
                                 ground_truth=e.ground_truth.strip(),
                                 analysis=describe_spans(e.draft, e.ground_truth)) for e in shown)
        others = ", ".join(f"{ROOT}/{p}" for p in sorted(pipeline.files) if p != STYLE)
        return render("optimizer_update", style=pipeline.files[STYLE].strip(),
                      style_chars=len(without_comments(pipeline.files[STYLE])),
                      budget=self.style_budget, other_files=others or "(none)", history=past_updates(history),
                      epoch=epoch, shown=len(shown), total=len(latest), pairs=pairs, kinds_note=kinds_note)

    async def edit_loop(self, files: dict[str, str], system: str, prompt: str, purpose: str = "update",
                        recheck: Callable[[dict[str, str]], str | None] | None = None):
        """Let Claude edit `files` with the text editor tool until it ends its turn or the turn limit.
        recheck(files): when Claude ends its turn, a message about what is still wrong (or None); it is sent back
        once, and Claude edits on. Returns (editor, rationale, tool log); the edits stay in the editor's memory.
        Raises UpdateStopped when an answer was cut, refused or unusable twice: then the edits must be thrown away."""
        editor = PipelineEditor(files, self.style_budget)
        messages: list[dict] = [{"role": "user", "content": prompt}]
        log: list[dict] = []
        rationale, last = await self._edit_turns(editor, system, messages, log, purpose)
        problem = recheck(editor.files) if recheck and last is not None else None
        if problem:
            log.append({"sent_back": problem, "rationale_before": rationale})
            messages += [{"role": "assistant", "content": last}, {"role": "user", "content": problem}]
            again, _ = await self._edit_turns(editor, system, messages, log, purpose)
            # the final rationale alone (the send-back asks for it again): the first one may name a rule the fix
            # took out again, and a later update's prompt reads this as what the update did
            rationale = again or rationale
        return editor, rationale, log

    async def _edit_turns(self, editor: PipelineEditor, system: str, messages: list[dict], log: list[dict],
                          purpose: str) -> tuple[str, list[dict] | None]:
        """Turns until Claude ends its turn (then its last content, to continue the conversation from) or the turn
        limit (then None)."""
        rationale = ""
        for turn in range(1, self.max_turns + 1):
            try:
                response = await self.llm.complete(purpose, {"system": system, "tools": [TOOL],
                                                             "messages": with_breakpoint(messages)})
            except ModelStop as stop:
                raise UpdateStopped(f"turn {turn}: {stop}") from None
            content = sendable(response["content"])
            rationale = text_of(response).strip() or rationale
            calls = [b for b in content if b.get("type") == "tool_use"]
            if response.get("stop_reason") != "tool_use" or not calls:
                return rationale, content or [{"type": "text", "text": "(done)"}]
            messages.append({"role": "assistant", "content": content})
            results = []
            for call in calls:
                output, is_error = editor.run(call.get("input"))
                log.append({"turn": turn, "tool_input": call.get("input"), "error": output if is_error else None})
                results.append({"type": "tool_result", "tool_use_id": call["id"], "content": output or "(no output)",
                                "is_error": is_error})
            messages.append({"role": "user", "content": results})
        return (rationale + f" (stopped at the turn limit of {self.max_turns})").strip(), None

    async def aupdate(self, pipeline: Pipeline, evidence: list[Evidence], history: list[UpdateSummary]) -> Update:
        system = render("optimizer_system", budget=self.style_budget, rule_phrasings=render("rule_phrasings"))
        try:
            # a new rule in an offline phrasing is tried on the drafts the update reads (written by `pipeline`)
            drafts = [Source(e.draft, frozenset(pipeline.style.rules)) for e in evidence]
            editor, rationale, log = await self.edit_loop(pipeline.files, system,
                                                          self._update_prompt(pipeline, evidence, history),
                                                          recheck=lambda files: contradictions_message(files, drafts))
        except UpdateStopped as stopped:
            reason = f"Claude could not finish the update ({stopped}); its edits were discarded"
            return Update(pipeline, f"failed: {reason}", [], failed=reason)
        proposal = Pipeline(editor.files)
        problem, over = self._unusable(proposal)
        if problem:
            return Update(pipeline, f"refused: {problem}; the pipeline is unchanged. Claude said: {rationale}", log,
                          budget=f"{problem} (--style-budget): the update was refused" if over else None)
        return Update(proposal, rationale or f"{editor.edits} edits", log)

    def _unusable(self, proposal: Pipeline) -> tuple[str | None, bool]:
        """Why the edited pipeline cannot be a version (or None), and whether that is STYLE.md's budget."""
        try:
            proposal.validate("the edited pipeline")
        except InputError as exc:
            return str(exc), False
        size = len(without_comments(proposal.files[STYLE]))
        if size > self.style_budget:
            return f"STYLE.md is {size} characters (comments left out), over its budget of {self.style_budget}", True
        return None, False


def contradictions_message(files: dict[str, str], drafts: list[Source] | None = None) -> str | None:
    """The lint's contradictions in an edited pipeline (between rules, or a rule or note against the opening prose),
    the example posts its rules would change and, with the `drafts` the update read, its dead rules: a new rule in
    an offline phrasing that changes none of them (docs/FORMATS.md §5), as the message that sends it back."""
    found = [f for f in lint(Pipeline(files), drafts) if f.kind in (CONTRADICTION, EXAMPLE, PROSE, DEAD)]
    if not found:
        return None
    return render("optimizer_lint", findings="\n".join(f"- {f}" for f in found))


def past_updates(history: list[UpdateSummary]) -> str:
    """The last updates for the optimizer's prompt: each verdict, the train edit cost before and after (on the next
    epoch's drafts), and the whole rationale."""
    lines = []
    for h in history[-3:]:
        after = h.train_cost_after
        if h.status in ("failed", "rejected"):
            costs = f"train words edited {h.train_cost_before} before it; no change landed"
        elif after is not None:
            costs = f"train words edited {h.train_cost_before} -> {after}"
        else:
            costs = f"train words edited {h.train_cost_before} before it, not yet judged after"
        lines.append(f"- update after epoch {h.epoch}: {h.status}; {costs}.\n  Rationale: "
                     f"{(h.rationale or '(none)').strip()}")
    return "\n".join(lines) or "(none yet)"
