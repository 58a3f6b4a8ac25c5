"""The one place that talks to the Messages API: client, retries, usage rows and cost, record/replay cassettes.

Every call goes through `LLM.create(purpose, **request)`, which returns the response as a plain dict. With a
cassette to replay, no client is ever built: a request not in the cassette is an error, never a live call.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import os
import time
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from writebot.errors import InputError
from writebot.files import JsonlLog

DEFAULT_MODEL = "claude-sonnet-5-5"  # current in the installed SDK, not in its deprecated list
USAGE_COLUMNS = ["purpose", "model", "input_tokens", "output_tokens", "cache_read_input_tokens",
                 "cache_creation_input_tokens", "latency_s", "cost_usd", "epoch"]


class ReplayMiss(InputError):
    """A request that the replay cassette does not hold."""


class BudgetReached(Exception):
    """The run's cost reached --max-cost-usd; the run stops cleanly and can be resumed."""


def resolve_model(cli_model: str | None = None) -> str:
    return cli_model or os.environ.get("WRITEBOT_MODEL") or DEFAULT_MODEL


def require_api_key() -> None:
    if not os.environ.get("ANTHROPIC_API_KEY"):
        raise InputError("ANTHROPIC_API_KEY is not set; export it to use Claude, or train offline with "
                         "--engine rules (or --engine replay --cassette FILE)")


def request_key(request: dict) -> str:
    """sha256 of the whole request (model, system, messages, tools, parameters) in canonical JSON."""
    return hashlib.sha256(json.dumps(request, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@lru_cache(maxsize=1)
def prices() -> dict:
    return yaml.safe_load(resources.files("writebot").joinpath("prices.yaml").read_text("utf-8"))


def cost_usd(model: str, usage: dict, batch: bool = False) -> float:
    table = prices()
    p = table["models"].get(model, table["default"])
    cost = (usage.get("input_tokens", 0) * p["input"] + usage.get("output_tokens", 0) * p["output"]
            + (usage.get("cache_read_input_tokens") or 0) * p["cache_read"]
            + (usage.get("cache_creation_input_tokens") or 0) * p["cache_write"]) / 1e6
    return cost * (table["batch_discount"] if batch else 1.0)


class UsageLog:
    """usage.csv: one row per call, appended, flushed and fsynced."""

    def __init__(self, path: Path | str | None):
        self.path = Path(path) if path else None
        self.rows: list[dict] = []
        if self.path and self.path.exists():
            self.rows = list(csv.DictReader(io.StringIO(self.path.read_text("utf-8"))))
        elif self.path:
            self._write(",".join(USAGE_COLUMNS) + "\n")

    def _write(self, text: str) -> None:
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())

    def add(self, row: dict) -> None:
        self.rows.append(row)
        if self.path:
            out = io.StringIO()
            csv.DictWriter(out, USAGE_COLUMNS, extrasaction="ignore", lineterminator="\n").writerow(row)
            self._write(out.getvalue())

    @property
    def cost(self) -> float:
        return sum(float(r.get("cost_usd") or 0) for r in self.rows)


class LLM:
    """Messages API access with SDK retries, usage accounting, budget and cassettes."""

    def __init__(self, model: str, usage: UsageLog | None = None, *, record: Path | str | None = None,
                 replay: Path | str | None = None, max_retries: int = 4, timeout: float = 120.0,
                 max_cost_usd: float | None = None, http_client: Any = None):
        self.model = model
        self.usage = usage or UsageLog(None)
        self.max_retries = max_retries
        self.timeout = timeout
        self.max_cost_usd = max_cost_usd
        self.http_client = http_client
        self.recorder = JsonlLog(record) if record else None
        self.cassette: dict[str, dict] | None = None
        if replay:
            log = JsonlLog(replay)
            if not log.path.exists():
                raise InputError(f"{replay}: cassette not found; record one with --record FILE")
            self.cassette = {r["key"]: r["response"] for r in log.read()}
        else:
            require_api_key()
        self._clients: dict[int, Any] = {}
        self.epoch: int | None = None  # the trainer sets it, so usage rows say which epoch they belong to

    @property
    def cost(self) -> float:
        return self.usage.cost

    def over_budget(self) -> bool:
        return self.max_cost_usd is not None and self.cost >= self.max_cost_usd

    def client(self):
        """An AsyncAnthropic client for the running event loop (clients are bound to their loop)."""
        import anthropic

        loop = id(asyncio.get_running_loop())
        if loop not in self._clients:
            kwargs = {"max_retries": self.max_retries, "timeout": self.timeout}
            if self.http_client is not None:
                kwargs["http_client"] = self.http_client
            self._clients[loop] = anthropic.AsyncAnthropic(**kwargs)  # key and base URL from the environment
        return self._clients[loop]

    async def aclose(self) -> None:
        """Close the client of the running loop (call before the loop ends, e.g. at the end of asyncio.run)."""
        client = self._clients.pop(id(asyncio.get_running_loop()), None)
        if client is not None:
            await client.close()

    async def create(self, purpose: str, **request: Any) -> dict:
        request = {"model": self.model, **request}
        key = request_key(request)
        started = time.perf_counter()
        if self.cassette is not None:
            if key not in self.cassette:
                raise ReplayMiss(f"replay: a {purpose} request is not in the cassette (key {key[:12]}); the "
                                 "pipeline or inputs differ from the recorded run; record again with --record FILE")
            response = self.cassette[key]
        else:
            message = await self.client().messages.create(**request)
            response = message.model_dump(mode="json", exclude_none=True)
            if self.recorder:
                self.recorder.append({"key": key, "purpose": purpose, "request": request, "response": response})
        self.account(purpose, response, time.perf_counter() - started)
        return response

    async def batch(self, purpose: str, requests: dict[str, dict], existing_id: str | None = None,
                    on_submit=None, on_poll=None, poll_seconds: float = 5.0) -> tuple[dict[str, dict], dict[str, str]]:
        """Send requests (custom_id -> request) through the Message Batches API (half price), poll until the batch
        ends, and return (responses, errors) keyed by custom_id. Replay serves each request from the cassette."""
        full = {cid: {"model": self.model, **req} for cid, req in requests.items()}
        started = time.perf_counter()
        if self.cassette is not None:
            out = {}
            for cid, req in full.items():
                key = request_key(req)
                if key not in self.cassette:
                    raise ReplayMiss(f"replay: a batched {purpose} request is not in the cassette (key {key[:12]})")
                out[cid] = self.cassette[key]
                self.account(purpose, out[cid], 0.0, batch=True)
            return out, {}
        client = self.client()
        batch_id = existing_id
        if batch_id is None:
            created = await client.messages.batches.create(
                requests=[{"custom_id": cid, "params": req} for cid, req in full.items()])
            batch_id = created.id
            if on_submit:
                on_submit(batch_id)
        while True:
            status = await client.messages.batches.retrieve(batch_id)
            if on_poll:
                on_poll(status)
            if status.processing_status == "ended":
                break
            await asyncio.sleep(poll_seconds)
        responses, errors = {}, {}
        async for item in await client.messages.batches.results(batch_id):
            if item.result.type != "succeeded" or item.custom_id not in full:
                errors[item.custom_id] = item.result.type
                continue
            response = item.result.message.model_dump(mode="json", exclude_none=True)
            responses[item.custom_id] = response
            if self.recorder:
                self.recorder.append({"key": request_key(full[item.custom_id]), "purpose": purpose,
                                      "request": full[item.custom_id], "response": response})
        latency = (time.perf_counter() - started) / max(1, len(responses))
        for response in responses.values():
            self.account(purpose, response, latency, batch=True)
        return responses, errors

    def account(self, purpose: str, response: dict, latency: float, batch: bool = False) -> None:
        usage = response.get("usage", {})
        row = {"purpose": f"{purpose} (batch)" if batch else purpose, "model": response.get("model", self.model),
               "latency_s": round(latency, 4),
               **{c: usage.get(c) or 0 for c in USAGE_COLUMNS[2:6]},
               "cost_usd": round(cost_usd(self.model, usage, batch), 6),
               "epoch": "" if self.epoch is None else self.epoch}
        self.usage.add(row)

    def run(self, coroutine):
        """Run a coroutine to completion from synchronous code, closing this loop's client before the loop ends."""

        async def wrapped():
            try:
                return await coroutine
            finally:
                await self.aclose()

        from writebot.aio import run_sync

        return run_sync(wrapped())


def text_of(response: dict) -> str:
    return "".join(b.get("text", "") for b in response.get("content", []) if b.get("type") == "text")
