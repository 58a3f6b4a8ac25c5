"""What each call sends besides its prompt: thinking, effort and max_tokens per call purpose, per model (models.yaml).

Thinking tokens count against `max_tokens` together with the text ("`max_tokens` is a hard cap on total output for the
request, thinking and response text combined", https://platform.claude.com/docs/en/build-with-claude/thinking), so
every budget below leaves room for both. Drafts and reviews think less (effort low); the optimizer, which edits the
pipeline over several tool turns, thinks more (effort high), as the Sonnet 5.5 migration guide advises for
latency-sensitive versus agentic work.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from writebot.errors import InputError

EFFORTS = ("low", "medium", "high", "xhigh", "max")
# The SDK refuses a non-streaming request whose max_tokens implies more than 10 minutes at 128,000 tokens an hour
# (anthropic._base_client._calculate_nonstreaming_timeout), so a retry's larger budget stays under 21,333.
MAX_NONSTREAMING_TOKENS = 21_000


@dataclass(frozen=True)
class Purpose:
    effort: str
    max_tokens: int


PURPOSES = {
    "draft": Purpose("low", 8_000),
    "user": Purpose("low", 8_000),
    "revise": Purpose("low", 8_000),
    "update": Purpose("high", 10_000),
    "init": Purpose("high", 10_000),
    "judge": Purpose("low", 6_000),  # faithfulness (--judge claude): a structured verdict per point, short
}


@dataclass(frozen=True)
class ModelSpec:
    id: str
    thinking: str  # "adaptive" or "none"
    efforts: tuple[str, ...]
    max_output: int
    min_cache_tokens: int


def base_id(model: str) -> str:
    """A dated id (claude-haiku-4-5-20251001) names the same model as its alias (claude-haiku-4-5)."""
    return re.sub(r"-\d{8}$", "", model)


@lru_cache(maxsize=1)
def _table() -> dict:
    return yaml.safe_load(resources.files("writebot.claude").joinpath("models.yaml").read_text("utf-8"))["models"]


def spec(model: str) -> ModelSpec | None:
    row = _table().get(base_id(model))
    if row is None:
        return None
    return ModelSpec(base_id(model), row["thinking"], tuple(row["efforts"]), row["max_output"], row["min_cache_tokens"])


def parse_effort(text: str | None) -> dict[str, str]:
    """--effort / WRITEBOT_EFFORT: one level for every call ("high"), or per purpose ("draft=low,update=xhigh")."""
    if not text or not text.strip():
        return {}
    out: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        purpose, _, level = part.rpartition("=")
        purposes = [purpose.strip()] if purpose else list(PURPOSES)
        if purposes[0] not in PURPOSES:
            raise InputError(f"effort '{part}': unknown call purpose '{purposes[0]}'; use one of "
                             f"{', '.join(PURPOSES)} (e.g. --effort draft=low,update=high)")
        if level.strip() not in EFFORTS:
            raise InputError(f"effort '{part}': unknown level '{level.strip()}'; use one of {', '.join(EFFORTS)}")
        out.update(dict.fromkeys(purposes, level.strip()))
    return out


def resolve_effort(cli_effort: str | None = None) -> dict[str, str]:
    """The effort overrides: --effort, else $WRITEBOT_EFFORT, else none (the per-purpose defaults apply)."""
    return parse_effort(cli_effort if cli_effort is not None else os.environ.get("WRITEBOT_EFFORT"))


def check_effort(model: str, overrides: dict[str, str]) -> None:
    """Fail early (exit 2) on an effort level the model does not take, instead of a 400 in the middle of a run."""
    model_spec = spec(model)
    if model_spec is None:
        return
    for purpose, level in overrides.items():
        if level not in model_spec.efforts:
            levels = ", ".join(model_spec.efforts) or "none: it takes no effort setting"
            raise InputError(f"effort {purpose}={level} (from --effort or WRITEBOT_EFFORT): {model} does not take "
                             f"effort '{level}' (its levels: {levels}); pick another level or model")


def settings(model: str, purpose: str, overrides: dict[str, str] | None = None) -> dict:
    """The request fields for a call of this purpose to this model: max_tokens, and thinking and effort where the
    model takes them. A model writebot does not know gets effort only when the user asked for one."""
    plan = PURPOSES[purpose]
    overrides = overrides or {}
    out: dict = {"max_tokens": plan.max_tokens}
    model_spec = spec(model)
    if model_spec is None:
        if purpose in overrides:
            out["output_config"] = {"effort": overrides[purpose]}
        return out
    if model_spec.thinking == "adaptive":
        out["thinking"] = {"type": "adaptive"}
    effort = overrides.get(purpose, plan.effort)
    if model_spec.efforts:
        out["output_config"] = {"effort": effort if effort in model_spec.efforts else model_spec.efforts[0]}
    out["max_tokens"] = min(plan.max_tokens, model_spec.max_output)
    return out


def larger_budget(model: str, max_tokens: int) -> int:
    """The budget for the one retry after a max_tokens stop: twice as much, within the model's and the SDK's limits."""
    model_spec = spec(model)
    ceiling = min(MAX_NONSTREAMING_TOKENS, model_spec.max_output if model_spec else MAX_NONSTREAMING_TOKENS)
    return max(max_tokens, min(2 * max_tokens, ceiling))
