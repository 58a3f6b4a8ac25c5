"""A loopback stand-in for the Anthropic Messages API, for tests and benchmarks. It is not a model.

It speaks POST /v1/messages and the Message Batches endpoints on 127.0.0.1, answers through a `responder` function,
can inject failures (e.g. 529 overloaded) and latency, counts concurrent requests, and reports usage the way the API
does: a request whose prefix up to its last `cache_control` block matches an earlier request is a cache read.
"""

from __future__ import annotations

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

Responder = Callable[[dict], dict]


def tokens(value: Any) -> int:
    """A rough token count (4 characters a token), stable for a given text."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return max(1, len(text) // 4)


def text_reply(text: str) -> dict:
    return {"content": [{"type": "text", "text": text}], "stop_reason": "end_turn"}


def tool_reply(*calls: dict, text: str = "") -> dict:
    """A reply that uses the text editor tool: each call is the tool input, e.g. {"command": "view", ...}."""
    content = [{"type": "text", "text": text}] if text else []
    content += [{"type": "tool_use", "name": "str_replace_based_edit_tool", "input": c,
                 "id": f"toolu_{i}_{hashlib.sha256(json.dumps(c, sort_keys=True).encode()).hexdigest()[:12]}"}
                for i, c in enumerate(calls)]
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


def parse_brief(brief: str) -> tuple[str | None, str | None, list[str]]:
    """(title, audience, points) of a brief written from prompts/writer_brief.md."""
    title = re.search(r"(?m)^Title: (.+)$", brief)
    audience = re.search(r"(?m)^Audience: (.+)$", brief)
    return (title[1].strip() if title else None, audience[1].strip() if audience else None,
            re.findall(r"(?m)^- (.+)$", brief))


def echo_writer(body: dict) -> dict:
    """Default answer: a post that carries the brief's title and points (writer requests), or no edits."""
    if body.get("tools"):
        return text_reply("No changes needed.")
    title, _, points = parse_brief(last_user_text(body))
    return text_reply(f"# {title or 'Untitled'}\n\n" + " ".join(points) + "\n")


def _cache_prefix(body: dict) -> str | None:
    """Canonical text of the request up to and including its last cache_control block (tools, system, messages)."""
    parts: list[Any] = [body.get("model")]
    last = None
    for section in ("tools", "system", "messages"):
        items = body.get(section) or []
        if isinstance(items, str):
            items = [{"type": "text", "text": items}]
        for item in items:
            blocks = item.get("content") if section == "messages" else [item]
            if isinstance(blocks, str):
                blocks = [{"type": "text", "text": blocks}]
            for block in blocks or []:
                parts.append(block)
                if isinstance(block, dict) and block.get("cache_control"):
                    last = len(parts)
    return json.dumps(parts[:last], sort_keys=True) if last else None


class StubServer:
    """Start with `with StubServer(...) as stub:`; point the SDK at `stub.url` (base_url)."""

    def __init__(self, responder: Responder = echo_writer, latency: float = 0.0, batch_polls: int = 1,
                 retry_after_ms: int = 5):
        self.responder = responder
        self.retry_after_ms = retry_after_ms
        self.latency = latency
        self.batch_polls = batch_polls
        self.requests: list[dict] = []  # every request answered, batched ones included
        self.message_calls = 0  # POST /v1/messages only
        self.usage: list[dict] = []
        self.failures: deque[int] = deque()
        self.in_flight = 0
        self.max_in_flight = 0
        self._prefixes: set[str] = set()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._batches: dict[str, dict] = {}
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle --------------------------------------------------------------------------------------
    def __enter__(self) -> StubServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> StubServer:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # one small write must not wait for a delayed ACK

            def log_message(self, *args) -> None:  # quiet
                pass

            def _send(self, status: int, payload: Any, content_type: str = "application/json") -> None:
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                if status >= 400:  # ask the SDK to retry soon, so tests of retries stay fast
                    self.send_header("retry-after-ms", str(stub.retry_after_ms))
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(data)))
                self.send_header("request-id", f"req_stub_{next(stub._ids)}")
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                if self.path.startswith("/v1/messages/batches"):
                    self._send(200, stub._create_batch(body))
                elif self.path.startswith("/v1/messages"):
                    self._send(*stub._message(body))
                else:
                    self._send(404, {"type": "error", "error": {"type": "not_found_error", "message": self.path}})

            def do_GET(self) -> None:
                m = re.match(r"^/v1/messages/batches/([^/?]+)(/results)?", self.path)
                if not m or m[1] not in stub._batches:
                    self._send(404, {"type": "error", "error": {"type": "not_found_error", "message": self.path}})
                elif m[2]:
                    self._send(200, stub._batch_results(m[1]), "application/binary")
                else:
                    self._send(200, stub._poll_batch(m[1]))

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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

    # -- messages ---------------------------------------------------------------------------------------
    def _answer(self, body: dict) -> dict:
        reply = self.responder(body)
        prefix = _cache_prefix(body)
        total = tokens({k: body.get(k) for k in ("system", "messages", "tools")})
        with self._lock:
            cached = prefix is not None and prefix in self._prefixes
            if prefix is not None:
                self._prefixes.add(prefix)
        prefix_tokens = tokens(prefix) if prefix else 0
        usage = {
            "input_tokens": total - prefix_tokens if prefix else total,
            "output_tokens": tokens(reply["content"]),
            "cache_read_input_tokens": prefix_tokens if cached else 0,
            "cache_creation_input_tokens": prefix_tokens if prefix and not cached else 0,
        }
        self.usage.append(usage)
        return {"id": f"msg_stub_{next(self._ids)}", "type": "message", "role": "assistant",
                "model": body.get("model", "stub"), "content": reply["content"],
                "stop_reason": reply.get("stop_reason", "end_turn"), "stop_sequence": None, "usage": usage}

    def _message(self, body: dict) -> tuple[int, dict]:
        with self._lock:
            self.requests.append(body)
            self.message_calls += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            failure = self.failures.popleft() if self.failures else None
        try:
            if self.latency:
                time.sleep(self.latency)
            if failure:
                kind = {529: "overloaded_error", 429: "rate_limit_error"}.get(failure, "api_error")
                return failure, {"type": "error", "error": {"type": kind, "message": f"stub says {failure}"}}
            return 200, self._answer(body)
        finally:
            with self._lock:
                self.in_flight -= 1

    # -- batches ----------------------------------------------------------------------------------------
    def _batch_view(self, batch_id: str) -> dict:
        batch = self._batches[batch_id]
        ended = batch["polls"] >= self.batch_polls
        n = len(batch["requests"])
        return {"id": batch_id, "type": "message_batch", "created_at": "2026-01-01T00:00:00Z",
                "expires_at": "2026-01-02T00:00:00Z", "ended_at": "2026-01-01T00:01:00Z" if ended else None,
                "archived_at": None, "cancel_initiated_at": None,
                "processing_status": "ended" if ended else "in_progress",
                "request_counts": {"processing": 0 if ended else n, "succeeded": n if ended else 0, "errored": 0,
                                   "canceled": 0, "expired": 0},
                "results_url": f"/v1/messages/batches/{batch_id}/results" if ended else None}

    def _create_batch(self, body: dict) -> dict:
        batch_id = f"msgbatch_stub_{next(self._ids)}"
        self._batches[batch_id] = {"requests": body.get("requests", []), "polls": 0}
        return self._batch_view(batch_id)

    def _poll_batch(self, batch_id: str) -> dict:
        self._batches[batch_id]["polls"] += 1
        return self._batch_view(batch_id)

    def _batch_results(self, batch_id: str) -> bytes:
        lines = []
        for item in reversed(self._batches[batch_id]["requests"]):  # out of order, as the API warns
            with self._lock:
                self.requests.append(item["params"])
            message = self._answer(item["params"])
            lines.append(json.dumps({"custom_id": item["custom_id"],
                                     "result": {"type": "succeeded", "message": message}}))
        return ("\n".join(lines) + "\n").encode()
