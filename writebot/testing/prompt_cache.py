"""Prompt caching as https://platform.claude.com/docs/en/build-with-claude/prompt-caching describes it (read
2026-11-26), for the simulator:

- the prefix is `tools`, `system`, `messages`, in that order, "up to and including the block designated with
  `cache_control`"; block-level breakpoints, and a top-level `cache_control` that puts one on the last cacheable block
  (thinking blocks cannot carry one); at most 4 breakpoints ("If 4 explicit block-level breakpoints already exist,
  the API returns a 400 error");
- "Cache writes happen only at your breakpoint"; a read looks back from each breakpoint over at most 20 positions
  ("a run of consecutive `tool_use` blocks counts as one position, and so does a run of consecutive `tool_result`
  blocks") and takes "the longest prefix that a prior request already wrote";
- below the model's minimum cacheable length nothing is written ("processed without caching, and no error is
  returned": both usage fields are 0);
- "a cache entry only becomes available after the first response begins": an entry written by a request is readable
  only from the moment that request's response begins (the simulator's latency; see simulator.py);
- entries live 5 minutes (or 1 hour with ttl "1h") from their last use;
- thinking parameters and effort are part of the rendered prompt, so a change invalidates the cached prefix (the
  docs: always for messages, model-specific for tools and system; here, always).
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass

from writebot.testing.api_rules import Invalid

LOOKBACK = 20
MAX_BREAKPOINTS = 4
TOOL_TOKENS = {"text_editor_20250728": 700}  # "additional input tokens" of the text editor tool (tool-use pricing)


def tokens(text: str) -> int:
    """The simulator's token count: about 4 characters a token, stable for a given text."""
    return max(1, (len(text) + 3) // 4)


def block_tokens(block: dict, thinking_tokens: dict[str, int] | None = None) -> int:
    kind = block.get("type")
    if kind in TOOL_TOKENS:
        return TOOL_TOKENS[kind]
    if kind == "text":
        return tokens(block.get("text", ""))
    if kind == "thinking":  # an omitted block still carries its full thinking in the signature
        return (thinking_tokens or {}).get(block.get("signature", ""), tokens(block.get("thinking", "")))
    if kind == "tool_result":
        content = block.get("content", "")
        return tokens(content if isinstance(content, str) else json.dumps(content, sort_keys=True)) + 4
    return tokens(json.dumps({k: v for k, v in block.items() if k != "cache_control"}, sort_keys=True))


@dataclass
class Position:
    key: str  # hash of the whole prefix up to and including this position
    tokens: int  # tokens up to and including this position
    breakpoint: str | None  # the cache_control ttl ("5m" / "1h") when this position carries a breakpoint
    cacheable: bool  # may carry a breakpoint (a thinking block may not)


def positions(body: dict, thinking_tokens: dict[str, int] | None = None) -> list[Position]:
    """The request's blocks in prefix order, merged into lookback positions, with running hashes and token counts."""
    digest = hashlib.sha256(json.dumps([body.get("model"), body.get("thinking"),
                                        (body.get("output_config") or {}).get("effort")]).encode())
    items: list[tuple[str, dict]] = [("tools", t) for t in body.get("tools") or []]
    system = body.get("system")
    items += [("system", b) for b in ([{"type": "text", "text": system}] if isinstance(system, str) else system or [])]
    for i, message in enumerate(body.get("messages") or []):
        content = message["content"]
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        items += [(f"m{i}:{message['role']}", b) for b in blocks]
    out: list[Position] = []
    total = 0
    previous_kind = None
    for section, block in items:
        plain = {k: v for k, v in block.items() if k != "cache_control"}
        digest.update(json.dumps([section, plain], sort_keys=True).encode())
        total += block_tokens(block, thinking_tokens)
        control = block.get("cache_control")
        kind = block.get("type")
        position = Position(digest.copy().hexdigest(), total, (control or {}).get("ttl", "5m") if control else None,
                            kind not in ("thinking", "redacted_thinking"))
        if kind in ("tool_use", "tool_result") and kind == previous_kind and out:
            position.breakpoint = position.breakpoint or out[-1].breakpoint
            out[-1] = position  # a run of tool_use (tool_result) blocks is one position
        else:
            out.append(position)
        previous_kind = kind
    top = body.get("cache_control")
    top_added = False
    if top and out:
        last = next((p for p in reversed(out) if p.cacheable), None)
        if last is not None and last.breakpoint is None:
            if sum(p.breakpoint is not None for p in out) >= MAX_BREAKPOINTS:
                raise Invalid("A maximum of 4 blocks with cache_control may be provided (automatic caching needs "
                              "one of them).")
            last.breakpoint = top.get("ttl", "5m")
            top_added = True
    # the API counts blocks, not lookback positions: a run of tool_result blocks with two breakpoints is two
    found = sum("cache_control" in block for _, block in items) + bool(top and out and top_added)
    if found > MAX_BREAKPOINTS:
        raise Invalid(f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided. Found {found}.")
    return out


@dataclass
class Entry:
    readable_at: float
    last_used: float
    ttl: float


class PromptCache:
    """Entries keyed by prefix hash, per model; thread-safe."""

    def __init__(self):
        self._entries: dict[str, Entry] = {}
        self._lock = threading.Lock()

    def plan(self, body: dict, min_tokens: int, now: float, thinking_tokens: dict[str, int] | None = None):
        """(usage fields, writes): what this request reads and writes. Writes are applied by commit() when its
        response begins; until then no other request can read them."""
        items = positions(body, thinking_tokens)
        total = items[-1].tokens if items else 0
        marks = [i for i, p in enumerate(items) if p.breakpoint is not None]
        read_at = -1
        with self._lock:
            for mark in marks:
                for back in range(mark, max(-1, mark - LOOKBACK), -1):
                    entry = self._entries.get(items[back].key)
                    if entry and entry.readable_at <= now and now - entry.last_used <= entry.ttl:
                        read_at = max(read_at, back)
                        entry.last_used = now
                        break
        read = items[read_at].tokens if read_at >= 0 else 0
        writes = [(items[m].key, items[m].breakpoint) for m in marks if m > read_at and items[m].tokens >= min_tokens]
        last_written = max((m for m in marks if m > read_at and items[m].tokens >= min_tokens), default=None)
        created = items[last_written].tokens - read if last_written is not None else 0
        created_1h = created if last_written is not None and items[last_written].breakpoint == "1h" else 0
        usage = {"input_tokens": total - read - created, "cache_read_input_tokens": read,
                 "cache_creation_input_tokens": created,
                 "cache_creation": {"ephemeral_5m_input_tokens": created - created_1h,
                                    "ephemeral_1h_input_tokens": created_1h}}
        return usage, writes

    def commit(self, writes: list[tuple[str, str]], now: float) -> None:
        with self._lock:
            for key, ttl in writes:
                self._entries[key] = Entry(now, now, 3600.0 if ttl == "1h" else 300.0)
