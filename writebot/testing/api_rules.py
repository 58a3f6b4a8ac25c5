"""The Messages API's request rules, as its documentation states them, for the simulator (simulator.py).

Built from the docs, not from writebot's requests (pages read 2026-11-26):
- thinking per model, and the 400s for a `thinking.type` a model rejects:
  https://platform.claude.com/docs/en/build-with-claude/thinking-troubleshooting, the errors page
  https://platform.claude.com/docs/en/api/errors ("Extended thinking not supported", "Thinking cannot be disabled"),
  https://platform.claude.com/docs/en/models/sonnet-5-5/migration-guide;
- effort levels and defaults: https://platform.claude.com/docs/en/build-with-claude/effort;
- sampling parameters ("non-default `temperature`, `top_p`, or `top_k` values return a 400 error"), forced tool use
  and prefill: the thinking page's Limits, the errors page ("Prefill not supported") and the Sonnet 5.5 guide;
- text blocks, tool_use/tool_result pairing: https://platform.claude.com/docs/en/agents-and-tools/tool-use/handle-tool-calls
  ("tool_use ids were found without tool_result blocks immediately after"); the exact wording of the empty-text and
  unknown-`tool_use_id` messages is taken from real API responses quoted in public issue threads (the docs give
  none), and so is "`temperature` is deprecated for this model." Messages the docs do not give at all (an effort
  level a model lacks, max_tokens over the model's limit, a fifth cache breakpoint) are worded like their neighbours;
- thinking blocks sent back: the errors page ("Thinking blocks cannot be modified") and the troubleshooting page
  ("Invalid `signature` in `thinking` block").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

ALL_EFFORTS = ("low", "medium", "high", "xhigh", "max")


@dataclass(frozen=True)
class SimModel:
    thinks_by_default: bool  # a request with no `thinking` field thinks
    thinking_types: frozenset[str] = frozenset()  # accepted thinking.type values
    efforts: tuple[str, ...] = ()
    default_effort: str | None = None
    max_output: int = 128_000
    min_cache_tokens: int = 512
    display: str = "omitted"  # default thinking display
    strict_sampling: bool = True  # non-default temperature/top_p/top_k is a 400
    no_forced_tools: bool = False  # tool_choice any/tool is a 400
    disabled_message: str = ""  # the 400 for thinking.type "disabled", when rejected
    bound_thinking: bool = False  # a thinking block is bound to the conversation before it (Sonnet 5.5 and later)


_ADAPTIVE_ONLY = frozenset({"adaptive"})
_DISABLE_ALWAYS_ON = ('"thinking.type.disabled" is not supported for this model. Use "thinking.type.adaptive" and '
                      '"output_config.effort" to control thinking behavior.')
_DISABLE_SONNET_55 = ('"thinking.type.disabled" is not supported for this model. Use "thinking.type.between_tools" for '
                      'the lowest thinking setting, or "thinking.type.adaptive" and "output_config.effort" to control '
                      'thinking behavior.')
ENABLED_REJECTED = ('"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" and '
                    '"output_config.effort" to control thinking behavior.')

_ALWAYS_ON = {"thinking_types": _ADAPTIVE_ONLY, "efforts": ALL_EFFORTS, "max_output": 128_000, "min_cache_tokens": 512,
              "no_forced_tools": True, "disabled_message": _DISABLE_ALWAYS_ON}
MODELS: dict[str, SimModel] = {
    "claude-fable-5-2": SimModel(True, default_effort="high", bound_thinking=True, **_ALWAYS_ON),
    "claude-mythos-5-2": SimModel(True, default_effort="high", bound_thinking=True, **_ALWAYS_ON),
    "claude-fable-5-1": SimModel(True, default_effort="high", bound_thinking=True, **_ALWAYS_ON),
    "claude-mythos-5-1": SimModel(True, default_effort="high", bound_thinking=True, **_ALWAYS_ON),
    "claude-fable-5": SimModel(True, default_effort="high", **_ALWAYS_ON),
    "claude-mythos-5": SimModel(True, default_effort="high", **_ALWAYS_ON),
    "claude-opus-5-5": SimModel(True, default_effort="medium", bound_thinking=True, **_ALWAYS_ON),
    "claude-sonnet-5-5": SimModel(True, frozenset({"adaptive", "between_tools"}), ALL_EFFORTS, "high", 128_000, 512,
                                  no_forced_tools=True, disabled_message=_DISABLE_SONNET_55, bound_thinking=True),
    "claude-haiku-5-5": SimModel(True, frozenset({"adaptive", "disabled"}), ALL_EFFORTS, "medium", 128_000, 512,
                                 bound_thinking=True),
    "claude-opus-5": SimModel(True, frozenset({"adaptive", "disabled"}), ALL_EFFORTS, "high", 128_000, 512),
    "claude-sonnet-5": SimModel(True, frozenset({"adaptive", "disabled"}), ALL_EFFORTS, "high", 128_000, 1024),
    "claude-opus-4-8": SimModel(False, frozenset({"adaptive", "disabled"}), ALL_EFFORTS, "high", 128_000, 1024),
    "claude-opus-4-7": SimModel(False, frozenset({"adaptive", "disabled"}), ALL_EFFORTS, "high", 128_000, 2048),
    "claude-opus-4-6": SimModel(False, frozenset({"adaptive", "disabled", "enabled"}), ("low", "medium", "high", "max"),
                                "high", 128_000, 4096, display="summarized", strict_sampling=False),
    "claude-sonnet-4-6": SimModel(False, frozenset({"adaptive", "disabled", "enabled"}),
                                  ("low", "medium", "high", "max"), "high", 128_000, 1024, display="summarized",
                                  strict_sampling=False),
    "claude-opus-4-5": SimModel(False, frozenset({"disabled", "enabled"}), ("low", "medium", "high"), "high", 64_000,
                                4096, display="summarized", strict_sampling=False),
    "claude-haiku-4-5": SimModel(False, frozenset({"disabled", "enabled"}), (), None, 64_000, 4096,
                                 display="summarized", strict_sampling=False),
}


# The dated ids the models overview lists for the models that have one (https://platform.claude.com/docs/en/about-
# claude/models/overview); any other dated id is a model that does not exist: 404, as the API answers.
# claude-sonnet-4-5 retired on 2026-11-30 (https://platform.claude.com/docs/en/about-claude/model-deprecations):
# the simulator answers it 404, as the API answers a retired model.
DATED = {"claude-haiku-4-5-20251001", "claude-opus-4-5-20251101"}
# Prefill was removed with Claude 4.6 (https://platform.claude.com/docs/en/about-claude/models/whats-new-claude-4-6,
# "Prefill removal"); the 4.5 models still take an assistant turn at the end.
TAKES_PREFILL = {"claude-opus-4-5", "claude-haiku-4-5"}


def model_spec(model: object) -> SimModel | None:
    """The simulated model an id names: an alias, or one of the real dated ids (a made-up dated id names none)."""
    if not isinstance(model, str) or (re.search(r"-\d{8}$", model) and model not in DATED):
        return None
    return MODELS.get(re.sub(r"-\d{8}$", "", model))


@lru_cache(maxsize=1)
def _top_level_fields() -> frozenset[str]:
    """The fields of a Messages request, as the installed SDK's own parameter type lists them, plus `stream` and the
    sampling parameters the API still reads (newer SDK types drop them; the API answers them per model)."""
    from anthropic.types.message_create_params import MessageCreateParamsBase

    return frozenset(MessageCreateParamsBase.__annotations__) | {"stream", "temperature", "top_p", "top_k"}


@lru_cache(maxsize=1)
def _tool_names() -> dict[str, str | None]:
    """type -> the name the API requires for it, from the SDK's tool parameter types (None: any name)."""
    import typing

    from anthropic.types import ToolUnionParam

    out: dict[str, str | None] = {}
    for param in typing.get_args(ToolUnionParam):
        hints = typing.get_type_hints(param)
        kinds = [a for a in typing.get_args(_unwrap(hints.get("type"))) if isinstance(a, str)]
        names = [a for a in typing.get_args(_unwrap(hints.get("name"))) if isinstance(a, str)]
        for kind in kinds:
            out[kind] = names[0] if names else None
    return out


def _unwrap(hint: object) -> object:
    """Literal[...] out of Required[...] / Optional[...] / NotRequired[...]."""
    import typing

    while typing.get_origin(hint) is not None and typing.get_origin(hint) is not typing.Literal:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        hint = args[0] if args else None
    return hint


class Invalid(Exception):
    """A 400 invalid_request_error with the API's message."""


def _blocks(content: object) -> list:
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])


def check_request(body: dict, spec: SimModel) -> None:
    """Raise Invalid with the API's message for a request the real API refuses with 400."""
    for key in body:
        if key not in _top_level_fields():
            raise Invalid(f"{key}: Extra inputs are not permitted")
    _check_tools(body.get("tools") or [])
    _check_ttls(body)
    max_tokens = body.get("max_tokens")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 0:
        raise Invalid("max_tokens: Input should be a valid integer, greater than or equal to 0")
    if max_tokens > spec.max_output:
        raise Invalid(f"max_tokens: {max_tokens} > {spec.max_output}, which is the maximum allowed number of output "
                      f"tokens for {body['model']}")
    for name, default in (("temperature", 1.0), ("top_p", None), ("top_k", None)):
        if spec.strict_sampling and name in body and body[name] != default:
            raise Invalid(f"`{name}` is deprecated for this model.")
    _check_thinking(body, spec)
    choice = (body.get("tool_choice") or {}).get("type")
    if spec.no_forced_tools and choice in ("any", "tool"):
        raise Invalid('tool_choice: type "tool" and "any" are not supported for this model.')
    if max_tokens == 0 and (choice in ("any", "tool") or (body.get("thinking") or {}).get("type") == "enabled"):
        raise Invalid("max_tokens: 0 (cache pre-warming) cannot be combined with extended thinking or a forced "
                      "tool_choice")
    _check_text_blocks(body)
    _check_output_format(body)
    _check_tool_pairing(body.get("messages") or [])
    messages = body.get("messages") or []
    if not messages:
        raise Invalid("messages: at least one message is required")
    if messages[-1].get("role") == "assistant" and re.sub(r"-\d{8}$", "", body["model"]) not in TAKES_PREFILL:
        raise Invalid("This model does not support assistant message prefill. The conversation must end with a "
                      "user message.")


def _check_tools(tools: list) -> None:
    """A tool is a custom one (a name and an input_schema) or one of the API's own, by its versioned type, with the
    name that type requires (the SDK's tool types)."""
    names = _tool_names()
    for i, tool in enumerate(tools):
        kind = tool.get("type")
        if kind in (None, "custom"):
            if not tool.get("name") or "input_schema" not in tool:
                raise Invalid(f"tools.{i}: a custom tool needs 'name' and 'input_schema'")
        elif kind not in names:
            raise Invalid(f"tools.{i}: Input tag '{kind}' found using 'type' does not match any of the expected tags")
        elif names[kind] is not None and tool.get("name") != names[kind]:
            raise Invalid(f"tools.{i}.name: Input should be '{names[kind]}'")


def _controls(body: dict) -> list[tuple[str, dict]]:
    """Every cache_control of the request, in prefix order (tools, system, messages), with where it stands."""
    out = [(f"tools.{i}", t["cache_control"]) for i, t in enumerate(body.get("tools") or []) if "cache_control" in t]
    system = body.get("system")
    if isinstance(system, list):
        out += [(f"system.{j}", b["cache_control"]) for j, b in enumerate(system) if "cache_control" in b]
    for i, message in enumerate(body.get("messages") or []):
        if isinstance(message.get("content"), list):
            out += [(f"messages.{i}.content.{j}", b["cache_control"]) for j, b in enumerate(message["content"])
                    if "cache_control" in b]
    if "cache_control" in body:
        out.append(("cache_control", body["cache_control"]))
    return out


def _check_ttls(body: dict) -> None:
    """cache_control.ttl is "5m" or "1h", and a 1-hour entry comes before every 5-minute one
    (https://platform.claude.com/docs/en/build-with-claude/prompt-caching, "Mixing different TTLs")."""
    seen_short = False
    for where, control in _controls(body):
        ttl = (control or {}).get("ttl", "5m")
        if ttl not in ("5m", "1h"):
            raise Invalid(f"{where}.cache_control.ttl: Input should be '5m' or '1h'")
        if ttl == "1h" and seen_short:
            raise Invalid(f"{where}.cache_control: a cache_control with ttl '1h' must come before any with ttl '5m'")
        seen_short = seen_short or ttl == "5m"


# JSON outputs (https://platform.claude.com/docs/en/build-with-claude/structured-outputs, "JSON Schema limitations"):
# every object must close itself with additionalProperties false; numeric and string-length constraints, and array
# constraints other than minItems 0 or 1, are not supported. The messages are worded like the API's other 400s.
_UNSUPPORTED = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength",
                "maxItems", "uniqueItems", "patternProperties")


def _check_schema(schema: object, where: str) -> None:
    if not isinstance(schema, dict):
        raise Invalid(f"{where}: a schema must be an object")
    for key in _UNSUPPORTED:
        if key in schema:
            raise Invalid(f"{where}.{key}: this JSON Schema keyword is not supported in output_config.format")
    if schema.get("minItems", 0) not in (0, 1):
        raise Invalid(f"{where}.minItems: only 0 or 1 is supported in output_config.format")
    if schema.get("type") == "object":
        if schema.get("additionalProperties") is not False:
            raise Invalid(f"{where}: 'additionalProperties' must be explicitly set to false for every object")
        for name, sub in (schema.get("properties") or {}).items():
            _check_schema(sub, f"{where}.properties.{name}")
    if schema.get("type") == "array" and "items" in schema:
        _check_schema(schema["items"], f"{where}.items")


def _check_output_format(body: dict) -> None:
    fmt = (body.get("output_config") or {}).get("format")
    if fmt is None:
        return
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        raise Invalid("output_config.format.type: Input should be 'json_schema'")
    _check_schema(fmt.get("schema"), "output_config.format.schema")


def conforms(value: object, schema: dict) -> bool:
    """True when `value` is an instance of `schema` (the subset JSON outputs take): what constrained decoding
    guarantees of an answer."""
    kind = schema.get("type")
    if "enum" in schema and value not in schema["enum"]:
        return False
    if kind == "object":
        props = schema.get("properties") or {}
        return (isinstance(value, dict) and all(k in value for k in schema.get("required", []))
                and all(k in props and conforms(v, props[k]) for k, v in value.items()))
    if kind == "array":
        return isinstance(value, list) and all(conforms(v, schema.get("items") or {}) for v in value)
    types = {"string": str, "integer": int, "number": (int, float), "boolean": bool}
    if kind in types:
        return isinstance(value, types[kind]) and not (kind in ("integer", "number") and isinstance(value, bool))
    return True


def _check_thinking(body: dict, spec: SimModel) -> None:
    thinking = body.get("thinking")
    effort = (body.get("output_config") or {}).get("effort")
    if effort is not None and effort not in spec.efforts:
        raise Invalid(f"output_config.effort: '{effort}' is not supported for this model"
                      + (f"; use one of: {', '.join(spec.efforts)}" if spec.efforts else
                         "; this model does not take the effort parameter"))
    if thinking is None:
        return
    kind = thinking.get("type")
    if kind not in spec.thinking_types:
        if kind == "enabled":
            raise Invalid(ENABLED_REJECTED)
        if kind == "disabled" and spec.disabled_message:
            raise Invalid(spec.disabled_message)
        if kind == "adaptive":
            raise Invalid("adaptive thinking is not supported on this model")
        raise Invalid(f"thinking.type: '{kind}' is not supported for this model")
    if kind == "enabled" and not 1024 <= thinking.get("budget_tokens", 0) < body["max_tokens"]:
        raise Invalid("thinking.budget_tokens: must be at least 1024 and less than max_tokens")
    if kind == "between_tools" and (set(thinking) - {"type"} or effort in ("xhigh", "max")):
        raise Invalid("thinking.type.between_tools takes no other field and effort low, medium or high")


def _check_text(text: object, where: str) -> None:
    if not isinstance(text, str) or text == "":
        raise Invalid(f"{where}: text content blocks must be non-empty")
    if not text.strip():
        raise Invalid(f"{where}: text content blocks must contain non-whitespace text")


def _check_text_blocks(body: dict) -> None:
    system = body.get("system")
    if system is not None:
        for j, block in enumerate(_blocks(system)):
            _check_text(block.get("text"), "system" if isinstance(system, str) else f"system.{j}")
    for i, message in enumerate(body.get("messages") or []):
        content = message.get("content")
        if isinstance(content, str):
            _check_text(content, f"messages.{i}.content")
            continue
        for j, block in enumerate(content or []):
            if block.get("type") == "text":
                _check_text(block.get("text"), f"messages.{i}.content.{j}")
            if block.get("type") == "tool_result" and isinstance(block.get("content"), list):
                for k, inner in enumerate(block["content"]):
                    if inner.get("type") == "text":
                        _check_text(inner.get("text"), f"messages.{i}.content.{j}.content.{k}")


def _check_tool_pairing(messages: list) -> None:
    for i, message in enumerate(messages):
        blocks = _blocks(message.get("content"))
        if message.get("role") == "user":
            asked = {b["id"] for b in _blocks(messages[i - 1].get("content")) if b.get("type") == "tool_use"} \
                if i and messages[i - 1].get("role") == "assistant" else set()
            seen_other = False
            for j, block in enumerate(blocks):
                if block.get("type") != "tool_result":
                    seen_other = True
                    continue
                if block.get("tool_use_id") not in asked:
                    raise Invalid(f"messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: "
                                  f"{block.get('tool_use_id')}. Each `tool_result` block must have a corresponding "
                                  "`tool_use` block in the previous message.")
                if seen_other:
                    raise Invalid(f"messages.{i}.content.{j}: tool_result blocks must come first in the content "
                                  "array; any text must come after all tool results")
        else:
            asked = [b["id"] for b in blocks if b.get("type") == "tool_use"]
            if len(set(asked)) != len(asked):
                raise Invalid(f"messages.{i}: `tool_use` ids must be unique")
            following = _blocks(messages[i + 1].get("content")) if i + 1 < len(messages) else None
            answered = {b.get("tool_use_id") for b in following or [] if b.get("type") == "tool_result"}
            missing = [a for a in asked if a not in answered]
            if missing and following is not None:
                raise Invalid(f"messages.{i + 1}: `tool_use` ids were found without `tool_result` blocks immediately "
                              f"after: {', '.join(missing)}. Each `tool_use` block must have a corresponding "
                              "`tool_result` block in the next message.")


def thinking_on(body: dict, spec: SimModel) -> bool:
    thinking = body.get("thinking")
    if thinking is None:
        return spec.thinks_by_default
    return thinking.get("type") in ("adaptive", "enabled")


def effort_of(body: dict, spec: SimModel) -> str:
    return (body.get("output_config") or {}).get("effort") or spec.default_effort or "high"
