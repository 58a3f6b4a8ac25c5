"""What a call cost, from prices.yaml (Anthropic's pricing page, written out per model) or prices the user gave."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from writebot.claude.models import base_id


@dataclass(frozen=True)
class Price:
    """USD per million tokens."""

    input: float
    output: float
    cache_write: float
    cache_write_1h: float
    cache_read: float
    long_prompt: Price | None = None  # prices for a prompt over long_prompt_over tokens (Haiku 5.5)
    long_prompt_over: int | None = None

    @classmethod
    def from_row(cls, row: dict) -> Price:
        long = row.get("long_prompt")
        return cls(row["input"], row["output"], row["cache_write"], row["cache_write_1h"], row["cache_read"],
                   cls.from_row({k: v for k, v in long.items() if k != "over_tokens"}) if long else None,
                   long["over_tokens"] if long else None)

    @classmethod
    def custom(cls, price_in: float, price_out: float) -> Price:
        """--price-in / --price-out: cache prices from the pricing page's general multipliers."""
        m = _table()["custom_multipliers"]
        return cls(price_in, price_out, price_in * m["cache_write"], price_in * m["cache_write_1h"],
                   price_in * m["cache_read"])


@lru_cache(maxsize=1)
def _table() -> dict:
    return yaml.safe_load(resources.files("writebot.claude").joinpath("prices.yaml").read_text("utf-8"))


def price_of(model: str) -> Price | None:
    row = _table()["models"].get(base_id(model))
    return Price.from_row(row) if row else None


def warn_unpriced(model: str) -> None:
    """One line: the cost column stays empty rather than wrong."""
    print(f"writebot: warning: no price for model '{model}' in writebot/claude/prices.yaml; cost_usd is left empty "
              "(add the model there, or pass --price-in and --price-out)", file=sys.stderr)


def cost_usd(price: Price, usage: dict, batch: bool = False) -> float:
    """The cost of one call from its usage block: input, output (thinking included), 5-minute and 1-hour cache
    writes, cache reads; the long-prompt tier when the whole prompt is over its threshold; the batch discount."""
    read = usage.get("cache_read_input_tokens") or 0
    written = usage.get("cache_creation_input_tokens") or 0
    split = usage.get("cache_creation") or {}
    written_1h = split.get("ephemeral_1h_input_tokens") or 0
    prompt = (usage.get("input_tokens") or 0) + read + written
    if price.long_prompt is not None and prompt > (price.long_prompt_over or 0):
        price = price.long_prompt
    cost = ((usage.get("input_tokens") or 0) * price.input + (usage.get("output_tokens") or 0) * price.output
            + read * price.cache_read + (written - written_1h) * price.cache_write
            + written_1h * price.cache_write_1h) / 1e6
    return cost * (_table()["batch_discount"] if batch else 1.0)
