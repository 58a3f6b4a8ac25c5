"""Check a request body against the installed anthropic SDK's own parameter types, offline.

The SDK's TypedDicts (`MessageCreateParamsNonStreaming`, the batch `Request`) describe what the Messages API takes.
Validating them with pydantic needs two cares: the types use `Iterable[...]`, which pydantic validates lazily (a
wrong tool type passes until the iterable is consumed), so every nested iterable is consumed here; and strict mode,
so that `"is_error": "no"` is not coerced to a bool. TypedDicts ignore unknown keys, so the input is also compared
with what validation kept: a key the types do not know (a misspelt field, `temperature` after the SDK dropped it) is
reported too.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError


@cache
def _adapter(kind: str) -> TypeAdapter:
    if kind == "message":
        from anthropic.types.message_create_params import MessageCreateParamsNonStreaming

        return TypeAdapter(MessageCreateParamsNonStreaming)
    from anthropic.types.messages.batch_create_params import Request

    return TypeAdapter(Request)


def _consume(value: Any) -> Any:
    """Force pydantic's lazy validators: dicts and lists are walked, iterators are drained (raising their errors)."""
    if isinstance(value, dict):
        return {k: _consume(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_consume(v) for v in value]
    if isinstance(value, Iterator) or type(value).__name__ == "ValidatorIterator":
        return [_consume(v) for v in value]
    return value


def _unknown_keys(given: Any, kept: Any, where: str) -> list[str]:
    if isinstance(given, dict) and isinstance(kept, dict):
        out = [f"{where}.{k}: not a field of the SDK's parameter types" for k in given if k not in kept]
        return out + [p for k in given if k in kept for p in _unknown_keys(given[k], kept[k], f"{where}.{k}")]
    if isinstance(given, list) and isinstance(kept, list) and len(given) == len(kept):
        pairs = enumerate(zip(given, kept, strict=True))
        return [p for i, (g, k) in pairs for p in _unknown_keys(g, k, f"{where}.{i}")]
    return []


def violations(body: dict, kind: str = "message") -> list[str]:
    """Every way `body` breaks the SDK's types ("message": a Messages request; "batch": one batch request item).
    An empty list means the body is well-typed."""
    try:
        kept = _consume(_adapter(kind).validate_python(body, strict=True))
    except ValidationError as exc:
        return [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()][:20]
    return _unknown_keys(body, kept, kind)
