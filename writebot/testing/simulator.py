"""A loopback simulator of Anthropic's Messages API for tests and benchmarks. It is not a model: a responder
(replies.py) says what the model would say; everything around it follows the API's documentation (read 2026-11-26):

- Adaptive thinking (https://platform.claude.com/docs/en/build-with-claude/thinking): models that think by default
  (Sonnet 5.5 and the other 5.x models) begin their answer with a `thinking` block carrying a `signature`; with the
  default `display: "omitted"` its text is empty. Thinking tokens count against `max_tokens` and in `output_tokens`
  (`usage.output_tokens_details.thinking_tokens` has the share). A thinking block sent back without its signature, with
  a signature the API never issued, changed/dropped in the latest assistant turn, or (Sonnet 5.5 and the other
  models that bind blocks) replayed after the conversation before it changed is a 400. `thinking_tokens` (an
  int or a function of the request) sets how much the model thinks at effort high; lower effort thinks less.
- Stop reasons (https://platform.claude.com/docs/en/build-with-claude/handling-stop-reasons): `end_turn`, `tool_use`,
  `max_tokens` (the text is cut where the budget ran out; a tool_use block that does not fit is not returned;
  thinking can use the whole budget, leaving no text), `refusal` (HTTP 200, empty content, `stop_details` with a
  category, https://platform.claude.com/docs/en/build-with-claude/refusals-and-fallback). `max_tokens: 0` pre-warms
  the cache: empty content, stop `max_tokens`, no output tokens.
- Request validation as the API does it (api_rules.py): blank text blocks, tool_use/tool_result pairing, sampling
  parameters, thinking types and effort levels per model, prefill, max_tokens limits, JSON output schemas: 400
  `invalid_request_error`.
- JSON outputs (https://platform.claude.com/docs/en/build-with-claude/structured-outputs): with
  `output_config.format`, the answer's text is an instance of the schema (constrained decoding); a responder that
  breaks it is a simulator bug, answered 500 so the test sees it.
- Prompt caching (prompt_cache.py): breakpoints, per-model minimum length, longest earlier prefix, 20-block lookback,
  an entry readable only once the response that wrote it has begun (here: when it is sent, after `latency`;
  a `max_tokens: 0` warm-up takes `prefill_latency`).
- Errors with the real types and body shape (https://platform.claude.com/docs/en/api/errors):
  `{"type": "error", "error": {"type", "message"}, "request_id"}`; 401 `authentication_error` (when `api_key` is
  set and the request's key, x-api-key or a Bearer token, differs), 404 `not_found_error` "model: <id>" for an
  unknown model, 429 `rate_limit_error` with `retry-after`, 500 `api_error`, 529 `overloaded_error`. The API sends
  `retry-after` with a 429; the simulator sends it (`retry_after` seconds, small) with every retryable error so the
  SDK's retries stay fast.
- Message Batches (https://platform.claude.com/docs/en/build-with-claude/batch-processing): `custom_id` must match
  `^[a-zA-Z0-9_-]{1,64}$` and be unique (400 otherwise); results come in another order than the requests; each is
  `succeeded`, `errored` (with the standard error body), `canceled` or `expired` (`batch_outcomes`, one-shot
  per custom_id); params are
  validated when the batch ends, so a bad request is an `errored` result; results are fixed once the batch ends.
- GET /v1/models lists the simulated models.

Switch behaviours per test: `responder`, `faults` (a queue of one-shot outcomes for the next Messages calls: an
HTTP status, or "max_tokens", "refusal", "refusal_partial" (text, then a refusal), "empty", "spend_cap" (a 429 with
`error.details.error_code` "enforced_spend_limit_reached" and no retry-after)), `fault_for` (a function of the
request), `thinking_tokens`, `latency`, `api_key`, `batch_outcomes`, `batch_polls`, `expired` (batch ids whose results
are gone: no results_url, and a 404 for them). `check_contract`
validates every body against the SDK's own types (contract.py) and keeps the findings in `contract_violations`.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from writebot.testing.api_rules import Invalid, check_request, conforms, effort_of, model_spec, thinking_on
from writebot.testing.prompt_cache import PromptCache, block_tokens, tokens
from writebot.testing.replies import Responder, echo_writer

EFFORT_SHARE = {"low": 0.25, "medium": 0.5, "high": 1.0, "xhigh": 1.5, "max": 2.0}
CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
               404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 500: "api_error",
               529: "overloaded_error"}
ERROR_MESSAGES = {401: "invalid x-api-key", 429: "Number of request tokens has exceeded your per-minute rate limit",
                  500: "Internal server error", 529: "Overloaded"}


class APIError(Exception):
    def __init__(self, status: int, message: str, kind: str | None = None, code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.kind = status, message, kind or ERROR_TYPES.get(status, "api_error")
        self.code = code  # error.details.error_code, when the API names the cause


SPEND_CAP = APIError(429, "Your organization has reached the monthly spend cap of its usage tier; API access resumes "
                          "at 00:00 UTC on the first day of next month.", code="enforced_spend_limit_reached")


class Simulator:
    """Start with `with Simulator(...) as sim:` and point the SDK at `sim.url` (ANTHROPIC_BASE_URL)."""

    def __init__(self, responder: Responder = echo_writer, latency: float = 0.0, prefill_latency: float | None = None,
                 thinking_tokens: int | Callable[[dict], int] = 64, batch_polls: int = 1, retry_after: float = 0.005,
                 api_key: str | None = None, check_contract: bool = False):
        self.responder = responder
        self.latency = latency
        self.prefill_latency = latency / 10 if prefill_latency is None else prefill_latency
        self.thinking_tokens = thinking_tokens
        self.batch_polls = batch_polls
        self.retry_after = retry_after
        self.api_key = api_key
        self.check_contract = check_contract
        self.expect_400 = False  # a test that sends bad requests on purpose sets this (the suite's fixture checks)
        self.faults: deque[int | str] = deque()
        self.fault_for: Callable[[dict], int | str | None] | None = None
        self.batch_outcomes: dict[str, str | tuple[str, str, str]] = {}
        self.clock: Callable[[], float] = time.monotonic
        # what happened, for assertions and benchmarks
        self.requests: list[dict] = []  # every Messages request the model answered or refused, batched ones too
        self.message_calls = 0  # POST /v1/messages only
        self.responses: list[dict] = []
        self.exchanges: list[tuple[dict, dict]] = []  # (request, response) of every answered request, in order
        self.usage: list[dict] = []
        self.errors: list[dict] = []  # every error answer: status, type, message
        self.contract_violations: list[tuple[str, list[str]]] = []
        self.in_flight = self.max_in_flight = 0
        self.cache = PromptCache()
        self._signatures: dict[str, tuple[str, str, int]] = {}  # signature -> (model, thinking text, tokens)
        self._bound_to: dict[str, str] = {}  # signature -> hash of the conversation before the block
        self._turns: dict[str, list[dict]] = {}  # tool_use id -> the content it was answered with
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._batches: dict[str, dict] = {}
        self.expired: set[str] = set()  # batches whose results are gone ("available for 29 days after creation")
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle ----------------------------------------------------------------------------------------
    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> Simulator:
        server_class = type("Server", (ThreadingHTTPServer,), {
            "request_queue_size": 128,  # many clients at once
            "handle_error": lambda self, request, address: None})  # a client that went away (killed) is not news
        self._server = server_class(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- the Messages endpoint --------------------------------------------------------------------------
    def authorize(self, api_key: str | None) -> None:
        if self.api_key is not None and api_key != self.api_key:
            raise APIError(401, ERROR_MESSAGES[401])

    def message(self, body: dict) -> dict:
        """Answer one POST /v1/messages body, or raise APIError."""
        with self._lock:
            self.message_calls += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            fault = self.faults.popleft() if self.faults else None
        try:
            fault = fault or (self.fault_for(body) if self.fault_for else None)
            if isinstance(fault, int):
                raise APIError(fault, ERROR_MESSAGES.get(fault, f"simulated {fault}"))
            if fault == "spend_cap":
                raise SPEND_CAP
            started = self.clock()
            response, writes = self.answer(body, fault, started)
            warm = body.get("max_tokens") == 0
            if self.latency or self.prefill_latency:
                time.sleep(self.prefill_latency if warm else self.latency)
            self.cache.commit(writes, self.clock())  # the response begins now: its cache entries become readable
            return response
        finally:
            with self._lock:
                self.in_flight -= 1

    def answer(self, body: dict, fault: str | None, now: float) -> tuple[dict, list]:
        """A Message for a valid body (raises APIError for an invalid one) and the cache entries it writes."""
        if self.check_contract:
            self._check_contract(body, "message")
        spec = model_spec(body.get("model"))
        if spec is None:
            raise APIError(404, f"model: {body.get('model')}")
        try:
            check_request(body, spec)
            self._check_thinking_blocks(body)
            usage, writes = self.cache.plan(body, spec.min_cache_tokens, now, self._thinking_tokens_by_signature())
        except Invalid as exc:
            raise APIError(400, str(exc)) from None
        with self._lock:
            self.requests.append(body)
        content, stop, thought, details = self._generate(body, spec, fault)
        usage["output_tokens"] = thought + sum(block_tokens(b) for b in content if b["type"] != "thinking")
        usage["output_tokens_details"] = {"thinking_tokens": thought}
        response = {"id": f"msg_sim_{next(self._ids):05d}", "type": "message", "role": "assistant",
                    "model": body["model"], "content": content, "stop_reason": stop, "stop_sequence": None,
                    "stop_details": details, "usage": usage}
        with self._lock:
            self.usage.append(usage)
            self.responses.append(response)
            self.exchanges.append((body, response))
            for block in content:
                if block["type"] == "tool_use":
                    self._turns[block["id"]] = content
        return response, writes

    def _generate(self, body: dict, spec, fault: str | None) -> tuple[list[dict], str, int, dict | None]:
        """(content, stop_reason, thinking tokens, stop_details)."""
        budget = body["max_tokens"]
        if budget == 0:
            return [], "max_tokens", 0, None
        refusal = {"type": "refusal", "category": "general_harms",
                   "explanation": "This request was declined (simulated refusal)."}
        if fault == "refusal":
            return [], "refusal", 0, refusal
        reply = {"content": [], "stop_reason": "end_turn"} if fault == "empty" else self.responder(body)
        fmt = (body.get("output_config") or {}).get("format")
        if fmt and fault != "empty":  # JSON outputs: constrained decoding gives an instance of the schema, always
            text = "".join(b.get("text", "") for b in reply["content"] if b["type"] == "text")
            try:
                ok = conforms(json.loads(text), fmt["schema"])
            except json.JSONDecodeError:
                ok = False
            if not ok:
                raise APIError(500, f"simulator: the responder's answer is not an instance of the request's JSON "
                                    f"schema (the API would never send it): {text[:200]!r}")
        if fault == "refusal_partial":  # "A refusal can arrive ... mid-stream after partial output"
            text = next((b["text"] for b in reply["content"] if b["type"] == "text"), "Here is")
            return [{"type": "text", "text": text[: max(1, len(text) // 2)]}], "refusal", tokens(text) // 2, refusal
        key = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        blocks = [dict(b, id=b.get("id") or f"toolu_sim_{key[:16]}_{i}") if b["type"] == "tool_use" else dict(b)
                  for i, b in enumerate(reply["content"])]
        stop = reply.get("stop_reason") or ("tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn")
        content: list[dict] = []
        thought = 0
        if thinking_on(body, spec):
            wanted = self.thinking_tokens(body) if callable(self.thinking_tokens) else self.thinking_tokens
            thought = budget if fault == "max_tokens" else int(wanted * EFFORT_SHARE[effort_of(body, spec)])
            thought = min(thought, budget)
            if thought:
                content.append(self._thinking_block(body, spec, key, thought))
                if spec.bound_thinking:
                    with self._lock:
                        self._bound_to[content[-1]["signature"]] = _conversation(body, len(body["messages"]))
        left = budget - thought
        if fault == "max_tokens" and not thought:  # no thinking to use the budget up: the text runs out of it
            left = min(left, sum(block_tokens(b) for b in blocks) // 2)
        for block in blocks:
            cost = block_tokens(block)
            if cost <= left:
                content.append(block)
                left -= cost
                continue
            if block["type"] == "text" and left > 0:
                content.append({**block, "text": block["text"][: left * 4]})
                left = 0
            return content, "max_tokens", thought, None
        return content, stop, thought, None

    def _thinking_block(self, body: dict, spec, key: str, thought: int) -> dict:
        display = (body.get("thinking") or {}).get("display") or spec.display
        text = "" if display == "omitted" else "I should follow the request closely."
        signature = base64.b64encode(hashlib.sha256(f"sim-secret|{key}|{text}".encode()).digest()).decode()
        with self._lock:
            self._signatures[signature] = (body["model"], text, thought)
        return {"type": "thinking", "thinking": text, "signature": signature}

    def _thinking_tokens_by_signature(self) -> dict[str, int]:
        with self._lock:
            return {s: t for s, (_, _, t) in self._signatures.items()}

    def _check_thinking_blocks(self, body: dict) -> None:
        messages = body.get("messages") or []
        latest = max((i for i, m in enumerate(messages) if m.get("role") == "assistant"), default=None)
        for i, message in enumerate(messages):
            if message.get("role") != "assistant" or isinstance(message.get("content"), str):
                continue
            for j, block in enumerate(message["content"]):
                if block.get("type") != "thinking":
                    continue
                if not block.get("signature"):
                    raise Invalid(f"messages.{i}.content.{j}.signature: Field required")
                issued = self._signatures.get(block["signature"])
                if issued is None:
                    raise Invalid(f"messages.{i}.content.{j}: Invalid `signature` in `thinking` block")
                bound = self._bound_to.get(block["signature"])
                if bound is not None and bound != _conversation(body, i):
                    raise Invalid(f"messages.{i}.content.{j}: Invalid `signature` in `thinking` block. The block is "
                                  "bound to a different conversation. Remove the block, or set "
                                  '`thinking.block_binding.prefix_mismatch_behavior` to "drop_block".')
                if issued[1] and block.get("thinking") != issued[1]:
                    raise Invalid(f"messages.{i}.content.{j}: `thinking` or `redacted_thinking` blocks in the latest "
                                  "assistant message cannot be modified. These blocks must remain as they were in "
                                  "the original response.")
            if i == latest:
                uses = [b["id"] for b in message["content"] if b.get("type") == "tool_use"]
                original = self._turns.get(uses[0]) if uses else None
                sent = [b.get("signature") for b in message["content"] if b.get("type") == "thinking"]
                kept = [b["signature"] for b in original or [] if b["type"] == "thinking"]
                if original is not None and sent != kept:
                    raise Invalid(f"messages.{i}.content.0: `thinking` or `redacted_thinking` blocks in the latest "
                                  "assistant message cannot be modified. These blocks must remain as they were in "
                                  "the original response.")

    def _check_contract(self, body: dict, kind: str) -> None:
        from writebot.testing.contract import violations

        found = violations(body, kind)
        if found:
            with self._lock:
                self.contract_violations.append((kind, found))

    # -- batches ------------------------------------------------------------------------------------------
    def create_batch(self, body: dict) -> dict:
        items = body.get("requests") or []
        seen: set[str] = set()
        for i, item in enumerate(items):
            if self.check_contract:
                self._check_contract(item, "batch")
            cid = item.get("custom_id")
            if not isinstance(cid, str) or not CUSTOM_ID.match(cid):
                raise APIError(400, f"requests.{i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'")
            if cid in seen:
                raise APIError(400, f"requests.{i}.custom_id: duplicate custom_id '{cid}'; each must be unique")
            seen.add(cid)
        batch_id = f"msgbatch_sim_{next(self._ids):05d}"
        with self._lock:
            self._batches[batch_id] = {"requests": items, "polls": 0, "results": None}
        return self._batch_view(batch_id)

    def poll_batch(self, batch_id: str) -> dict:
        with self._lock:
            self._batches[batch_id]["polls"] += 1
        return self._batch_view(batch_id)

    def _batch_view(self, batch_id: str) -> dict:
        batch = self._batches[batch_id]
        ended = batch["polls"] >= self.batch_polls
        counts = {"processing": len(batch["requests"]), "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        if ended:
            counts["processing"] = 0
            for line in self._results(batch_id):
                counts[line["result"]["type"]] += 1
        return {"id": batch_id, "type": "message_batch", "created_at": "2026-11-26T00:00:00Z",
                "expires_at": "2026-11-27T00:00:00Z", "ended_at": "2026-11-26T00:01:00Z" if ended else None,
                "archived_at": None, "cancel_initiated_at": None,
                "processing_status": "ended" if ended else "in_progress", "request_counts": counts,
                "results_url": f"/v1/messages/batches/{batch_id}/results" if ended and batch_id not in self.expired
                else None}

    def _results(self, batch_id: str) -> list[dict]:
        """The batch's results, worked out once when it ends, in another order than the requests."""
        batch = self._batches[batch_id]
        if batch["results"] is None:
            batch["results"] = [self._batch_result(item) for item in reversed(batch["requests"])]
        return batch["results"]

    def _batch_result(self, item: dict) -> dict:
        cid, params = item["custom_id"], item["params"]
        outcome = self.batch_outcomes.pop(cid, None)  # one-shot: a batch sent again gets an answer
        if isinstance(outcome, str) and outcome in ("canceled", "expired"):
            return {"custom_id": cid, "result": {"type": outcome}}
        if outcome is not None:
            _, kind, message = outcome if isinstance(outcome, tuple) else ("errored", "api_error", "Internal error")
            return {"custom_id": cid, "result": self._errored(kind, message)}
        if params.get("max_tokens") == 0:
            return {"custom_id": cid, "result": self._errored("invalid_request_error",
                                                              "max_tokens: must be at least 1 in a batch")}
        fault = self.fault_for(params) if self.fault_for else None
        if isinstance(fault, int):
            return {"custom_id": cid, "result": self._errored(ERROR_TYPES.get(fault, "api_error"),
                                                              ERROR_MESSAGES.get(fault, f"simulated {fault}"))}
        try:
            message, writes = self.answer(params, fault, self.clock())
        except APIError as exc:
            return {"custom_id": cid, "result": self._errored(exc.kind, exc.message)}
        self.cache.commit(writes, self.clock())
        message["usage"]["service_tier"] = "batch"
        return {"custom_id": cid, "result": {"type": "succeeded", "message": message}}

    def _errored(self, kind: str, message: str) -> dict:
        return {"type": "errored", "error": {"type": "error", "error": {"type": kind, "message": message},
                                             "request_id": f"req_sim_{next(self._ids):05d}"}}

    def batch_results(self, batch_id: str) -> bytes:
        return ("\n".join(json.dumps(line) for line in self._results(batch_id)) + "\n").encode()

    def models(self) -> dict:
        from writebot.testing.api_rules import MODELS

        data = [{"type": "model", "id": m, "display_name": m, "created_at": "2026-01-01T00:00:00Z"} for m in MODELS]
        return {"data": data, "has_more": False, "first_id": data[0]["id"], "last_id": data[-1]["id"]}


def _conversation(body: dict, upto: int) -> str:
    """What a thinking block is bound to: system, tools and the messages before it (cache_control markers aside:
    "What doesn't [invalidate]: ... `cache_control` markers", the thinking page)."""

    def plain(value):
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items() if k != "cache_control"}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    messages = [{"role": m["role"], "content": [{"type": "text", "text": m["content"]}] if isinstance(m["content"], str)
                 else m["content"]} for m in body.get("messages", [])[:upto]]
    return hashlib.sha256(json.dumps(plain([body.get("system"), body.get("tools"), messages]),
                                     sort_keys=True).encode()).hexdigest()


def _handler(sim: Simulator):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # one small write must not wait for a delayed ACK

        def log_message(self, *args) -> None:  # quiet
            pass

        def _send(self, status: int, payload: Any, content_type: str = "application/json",
                  retry_after: bool = True) -> None:
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            if retry_after and (status in (408, 409, 429) or status >= 500):
                self.send_header("retry-after", str(sim.retry_after))
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(data)))
            self.send_header("request-id", f"req_sim_{next(sim._ids):05d}")
            self.end_headers()
            self.wfile.write(data)

        def _error(self, exc: APIError) -> None:
            with sim._lock:
                sim.errors.append({"status": exc.status, "type": exc.kind, "message": exc.message})
            error = {"type": exc.kind, "message": exc.message, **({"details": {"error_code": exc.code}} if exc.code
                                                                    else {})}
            # a spend cap comes with no retry-after: waiting will not help (https://platform.claude.com/docs/en/api/errors)
            self._send(exc.status, {"type": "error", "error": error, "request_id": f"req_sim_{next(sim._ids):05d}"},
                       retry_after=exc.code != "enforced_spend_limit_reached")

        def _authorize(self) -> None:
            bearer = (self.headers.get("authorization") or "").removeprefix("Bearer ").strip()
            sim.authorize(self.headers.get("x-api-key") or bearer or None)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length", 0)) or 0)
            try:
                self._authorize()
                body = json.loads(raw or b"{}")
                if self.path.startswith("/v1/messages/batches"):
                    self._send(200, sim.create_batch(body))
                elif self.path.startswith("/v1/messages"):
                    self._send(200, sim.message(body))
                else:
                    raise APIError(404, f"{self.path}: no such endpoint")
            except APIError as exc:
                self._error(exc)
            except json.JSONDecodeError:
                self._error(APIError(400, "request body is not valid JSON"))

        def do_GET(self) -> None:
            try:
                self._authorize()
            except APIError as exc:
                self._error(exc)
                return
            if self.path.startswith("/v1/models"):
                self._send(200, sim.models())
                return
            m = re.match(r"^/v1/messages/batches/([^/?]+)(/results)?", self.path)
            if not m or m[1] not in sim._batches:
                self._error(APIError(404, f"{self.path}: not found"))
            elif m[2] and m[1] in sim.expired:
                self._error(APIError(404, f"results of {m[1]} are no longer available (29 days after creation)"))
            elif m[2]:
                self._send(200, sim.batch_results(m[1]), "application/binary")
            else:
                self._send(200, sim.poll_batch(m[1]))

    return Handler
