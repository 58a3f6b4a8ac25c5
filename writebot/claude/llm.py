"""The one place that talks to the Messages API: client, retries, stop reasons, usage rows and cost, cassettes.

`LLM.complete(purpose, body)` is what the engines call: it adds the purpose's thinking, effort and max_tokens
(models.py), sends, and applies the stop-reason policy (https://platform.claude.com/docs/en/build-with-claude/
handling-stop-reasons): an answer cut at `max_tokens` is asked again once with a larger budget, a `refusal` and an
answer its caller finds unusable are asked again once, and a second failure raises a ModelStop, so nothing cut,
refused or empty is ever used as if it were whole. HTTP errors are retried by the SDK (429, 5xx, connection errors);
what remains reaches the caller as the SDK's own exception (api_errors.py reads it as one line).
With a cassette to replay, no client is ever built: a request not in the cassette is an error, never a live call.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from writebot.claude.api_errors import spend_capped
from writebot.claude.models import check_effort, larger_budget, settings
from writebot.claude.pricing import Price, cost_usd, price_of, warn_unpriced
from writebot.errors import (
    BadOutput,
    BatchExpired,
    InputError,
    OutputCut,
    Refused,
    ReplayMiss,
)
from writebot.files import JsonlLog
from writebot.store.formats import Record
from writebot.store.usage import USAGE_COLUMNS, UsageLog

DEFAULT_MODEL = "claude-sonnet-5-5"  # current in the installed SDK, not in its deprecated list
USABLE_STOPS = ("end_turn", "tool_use", "stop_sequence")


def retry_delay(exc: BaseException, attempt: int) -> float | None:
    """Seconds to wait before trying again after `exc` (the SDK's policy: 408, 409, 429 and 5xx, and connection
    errors; retry-after when the API sends it, else exponential backoff from 0.5 s up to 8 s with jitter), or None
    when it is not worth another try (a spend cap, a request the API refused)."""
    import random

    import anthropic

    if isinstance(exc, anthropic.APIConnectionError):
        status, response = None, None
    elif isinstance(exc, anthropic.APIStatusError):
        status, response = exc.status_code, exc.response
        if status not in (408, 409, 429) and status < 500 or spend_capped(exc):
            return None
    else:
        return None
    header = response.headers.get("retry-after") if response is not None else None
    try:
        if header is not None and 0 <= float(header) <= 60:
            return float(header)
    except ValueError:
        pass
    return min(8.0, 0.5 * 2**attempt) * (1 - 0.25 * random.random())


@dataclass(frozen=True)
class BatchFailure:
    """A batch result that is not a message: errored (with the API's error), canceled, expired, or missing."""

    kind: str
    error_type: str | None = None
    message: str | None = None

    @property
    def yours_to_fix(self) -> bool:
        """The API found the request, the key or the model wrong: sending it again as it is will not help."""
        return self.error_type in ("invalid_request_error", "authentication_error", "permission_error",
                                   "not_found_error", "billing_error")

    def __str__(self) -> str:
        return self.kind + (f" ({self.error_type}: {self.message})" if self.error_type else "")


def resolve_model(cli_model: str | None = None) -> str:
    return cli_model or os.environ.get("WRITEBOT_MODEL") or DEFAULT_MODEL


TRAIN_OFFLINE = "or train offline with --engine rules (or --engine replay --cassette FILE)"
WRITE_OFFLINE = "or write offline with --engine rules"
JUDGE_OFFLINE = "or judge offline with --judge rules"


def require_api_key(offline: str = TRAIN_OFFLINE) -> None:
    """`offline`: what to do instead, for the command at hand ("" when there is nothing)."""
    if not os.environ.get("ANTHROPIC_API_KEY"):
        raise InputError("ANTHROPIC_API_KEY is not set; export it to use Claude" + (f", {offline}" if offline else ""))


def request_key(request: dict) -> str:
    """sha256 of the whole request (model, system, messages, tools, parameters) in canonical JSON."""
    return hashlib.sha256(json.dumps(request, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def text_of(response: dict) -> str:
    return "".join(b.get("text", "") for b in response.get("content", []) if b.get("type") == "text")


class CassetteRecord(Record):
    """A line of a cassette (--record, --engine replay): a request's key and the response it got."""

    key: str
    response: dict


class LLM:
    """Messages API access with SDK retries, the stop-reason policy, usage accounting and cassettes (the budget is
    the loop's: writebot.loop.budget)."""

    def __init__(self, model: str, usage: UsageLog | None = None, *, record: Path | str | None = None,
                 replay: Path | str | None = None, max_retries: int = 4,
                 http_client: Any = None, effort: dict[str, str] | None = None, price: Price | None = None,
                 fallback_model: str | None = None, offline: str = TRAIN_OFFLINE, flag: str = "--model"):
        self.model = model
        self.flag = flag  # the option that chose `model` (the judge's: --judge-model): an error names it
        self.fallback_model = fallback_model  # a refused request goes once to this model (and never twice as it was)
        self.usage = usage or UsageLog(None)
        self.max_retries = max_retries
        self.http_client = http_client
        self.effort = effort or {}
        check_effort(model, self.effort)  # a level the model does not take is exit 2 now, not a 400 mid-run
        self.price = price or price_of(model)
        self._warned_unpriced = False
        self.recorder = JsonlLog(record) if record else None
        self.cassette: dict[str, dict] | None = None
        if replay:
            log = JsonlLog(replay, CassetteRecord)
            if not log.path.exists():
                raise InputError(f"{replay}: cassette not found; record one with --record FILE")
            scan = log.scan()
            if scan.bad:
                raise InputError(f"{replay}:{scan.bad[0].line}: {scan.bad[0].reason}; the cassette is damaged; "
                                 "record it again with --record FILE")
            self.cassette = {r.key: r.response for r in scan.records}
        else:
            require_api_key(offline)
        self._clients: dict[int, Any] = {}

    @property
    def cost(self) -> float:
        return self.usage.cost

    def client(self):
        """An AsyncAnthropic client for the running event loop (clients are bound to their loop). The SDK's own
        timeout applies: it grows with max_tokens, as thinking makes answers long."""
        import anthropic

        loop = id(asyncio.get_running_loop())
        if loop not in self._clients:
            kwargs: dict[str, Any] = {"max_retries": 0}  # retries are ours (`_send`): a spend cap is not retried
            if self.http_client is not None:
                kwargs["http_client"] = self.http_client
            self._clients[loop] = anthropic.AsyncAnthropic(**kwargs)  # key and base URL from the environment
        return self._clients[loop]

    async def aclose(self) -> None:
        """Close the client of the running loop (call before the loop ends, e.g. at the end of asyncio.run)."""
        client = self._clients.pop(id(asyncio.get_running_loop()), None)
        if client is not None:
            await client.close()

    def request(self, purpose: str, body: dict, model: str | None = None) -> dict:
        """The whole request: model, the purpose's max_tokens / thinking / effort (for that model), then the body
        (system, messages, tools; a body's own max_tokens wins)."""
        model = model or self.model
        return {"model": model, **settings(model, purpose, self.effort), **body}

    async def _send(self, call):
        """`await call()` with the SDK's retry policy, but a spend cap (or anything not worth another try) raises at
        once: retrying it four times and saying "try again later" told the user nothing true."""
        for attempt in range(self.max_retries + 1):
            try:
                return await call()
            except Exception as exc:
                delay = retry_delay(exc, attempt)
                if delay is None or attempt == self.max_retries:
                    # which option chose each model, for the error's advice (claude/api_errors.explain)
                    exc.writebot_attempts = attempt + 1  # writebot retries itself; the SDK's retries are off
                    exc.writebot_flags = {self.model: self.flag, **({self.fallback_model: "--fallback-model"}
                                                                    if self.fallback_model else {})}
                    raise
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def create(self, purpose: str, request: dict) -> dict:
        """Send one whole request (or serve it from the cassette) and account for it; no stop-reason policy."""
        key = request_key(request)
        started = time.perf_counter()
        if self.cassette is not None:
            if key not in self.cassette:
                raise ReplayMiss(f"replay: a {purpose} request is not in the cassette (key {key[:12]}); the "
                                 "pipeline or inputs differ from the recorded run; record again with --record FILE")
            response = self.cassette[key]
        else:
            message = await self._send(lambda: self.client().messages.create(**request))
            response = message.model_dump(mode="json", exclude_none=True)
            if self.recorder:
                self.recorder.append({"key": key, "purpose": purpose, "request": request, "response": response})
        self.account(purpose, response, time.perf_counter() - started)
        return response

    async def complete(self, purpose: str, body: dict, check: Callable[[dict], str | None] | None = None) -> dict:
        """An answer whose stop reason is end_turn/tool_use and that `check` accepts (it returns a problem or None).
        Asks once more on max_tokens (with a larger budget) or a problem; a refusal goes once to the fallback model
        (https://platform.claude.com/docs/en/build-with-claude/refusals-and-fallback: another model can usually
        answer), and without one is not asked again (the same request is mostly refused again, and paid for);
        raises a ModelStop after that."""
        request = self.request(purpose, body)
        failures: list[str] = []
        for _ in range(2):
            response = await self.create(purpose, request)
            stop = response.get("stop_reason")
            if stop in USABLE_STOPS:
                problem = check(response) if check else None
                if problem is None:
                    return response
                failures.append(problem)
            elif stop == "max_tokens":
                failures.append(f"cut at max_tokens={request['max_tokens']}")
                request = {**request, "max_tokens": larger_budget(request["model"], request["max_tokens"])}
            elif stop == "refusal":
                details = response.get("stop_details") or {}
                failures.append(f"refused by {request['model']} ({details.get('category') or 'no category'}: "
                                f"{details.get('explanation') or 'no explanation'})")
                if not self.fallback_model or request["model"] == self.fallback_model:
                    break
                request = self.request(purpose, body, self.fallback_model)
            else:  # model_context_window_exceeded, pause_turn: asking again would end the same way
                raise (OutputCut if stop == "model_context_window_exceeded" else BadOutput)(
                    purpose, f"Claude's {purpose} answer stopped with stop_reason {stop}; nothing of it was kept")
        return self._give_up(purpose, response, failures)

    def _give_up(self, purpose: str, response: dict, failures: list[str]):
        said = "; then ".join(failures)
        stop = response.get("stop_reason")
        if stop == "refusal":
            details = response.get("stop_details") or {}
            tries = "" if len(failures) == 1 else " twice"
            raise Refused(purpose, f"Claude declined the {purpose} request{tries}: {said}", details.get("category"),
                          details.get("explanation"))
        if stop == "max_tokens":
            raise OutputCut(purpose, f"Claude's {purpose} answer was {said}, thinking included; nothing partial was "
                                     f"kept. Lower the effort (--effort {purpose}=low) or use a model that thinks less")
        raise BadOutput(purpose, f"Claude's {purpose} answer was unusable twice: {said}")

    async def batch(self, purpose: str, requests: dict[str, dict], batch_id: str | None = None,
                    on_submit: Callable[[str], object] | None = None, on_poll: Callable[[Any], object] | None = None,
                    poll_seconds: float = 5.0) -> dict[str, dict | BatchFailure]:
        """Whole requests (custom_id -> request) through the Message Batches API (half price): submit them (or
        collect `batch_id`, a batch already submitted with them), poll until it ends, and return each custom_id's
        message or BatchFailure. Results for custom_ids not in `requests` are ignored. Replay serves the cassette."""
        started = time.perf_counter()
        if self.cassette is not None:
            out: dict[str, dict | BatchFailure] = {}
            for cid, req in requests.items():
                key = request_key(req)
                if key not in self.cassette:
                    raise ReplayMiss(f"replay: a batched {purpose} request is not in the cassette (key {key[:12]})")
                out[cid] = self.cassette[key]
                self.account(purpose, out[cid], 0.0, batch=True)
            return out
        import anthropic

        client = self.client()
        if batch_id is None:
            created = await self._send(lambda: client.messages.batches.create(
                requests=[{"custom_id": cid, "params": req} for cid, req in requests.items()]))
            batch_id = created.id
            if on_submit:
                on_submit(batch_id)
        while True:
            status = await self._send(lambda: client.messages.batches.retrieve(batch_id))
            if on_poll:
                on_poll(status)
            if status.processing_status == "ended":
                break
            await asyncio.sleep(poll_seconds)
        if status.results_url is None:  # ended, but its results are gone (29 days after creation)
            raise BatchExpired(batch_id)
        outcomes: dict[str, dict | BatchFailure] = {}
        try:
            results = await self._send(lambda: client.messages.batches.results(batch_id))
        except anthropic.NotFoundError:
            raise BatchExpired(batch_id) from None
        async for item in results:
            if item.custom_id not in requests:
                continue
            result = item.result
            if result.type == "succeeded":
                outcomes[item.custom_id] = result.message.model_dump(mode="json", exclude_none=True)
                if self.recorder:
                    self.recorder.append({"key": request_key(requests[item.custom_id]), "purpose": purpose,
                                          "request": requests[item.custom_id], "response": outcomes[item.custom_id]})
            elif result.type == "errored":
                error = result.error.error
                outcomes[item.custom_id] = BatchFailure("errored", error.type, error.message)
            else:
                outcomes[item.custom_id] = BatchFailure(result.type)
        counted = {r.get("message_id") for r in self.usage.rows} - {None, ""}
        messages = [o for o in outcomes.values() if isinstance(o, dict) and o.get("id") not in counted]
        for message in messages:  # a batch collected again (a resumed run) is not counted, nor billed, twice
            self.account(purpose, message, (time.perf_counter() - started) / max(1, len(messages)), batch=True)
        return outcomes

    def account(self, purpose: str, response: dict, latency: float, batch: bool = False) -> None:
        usage = response.get("usage", {})
        model = response.get("model", self.model)
        price = self.price if model == self.model else price_of(model)  # a fallback model has its own price
        if price is None and not self._warned_unpriced:
            self._warned_unpriced = True  # once per run
            warn_unpriced(model)
        row = {"purpose": f"{purpose} (batch)" if batch else purpose, "model": response.get("model", self.model),
               "latency_s": round(latency, 4),
               **{c: usage.get(c) or 0 for c in USAGE_COLUMNS[2:6]},
               "cost_usd": "" if price is None else round(cost_usd(price, usage, batch), 6),
               "epoch": "" if self.usage.epoch is None else self.usage.epoch,
               "thinking_tokens": (usage.get("output_tokens_details") or {}).get("thinking_tokens", ""),
               "stop_reason": response.get("stop_reason", ""), "message_id": response.get("id", "")}
        self.usage.add(row)

    async def list_models(self) -> list[str]:
        return [m.id async for m in self.client().models.list()]

    def run(self, coroutine):
        """Run a coroutine to completion from synchronous code, closing this loop's client before the loop ends."""

        async def wrapped():
            try:
                return await coroutine
            finally:
                await self.aclose()

        from writebot.aio import run_sync

        return run_sync(wrapped())
