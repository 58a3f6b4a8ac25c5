"""Prices from prices.yaml (Anthropic's pricing page written out), the cost of each call, and budgets that cannot
be kept without a price."""

import pytest
import yaml

from writebot import bundled
from writebot.claude.llm import LLM
from writebot.claude.models import _table as model_table
from writebot.claude.pricing import Price, _table, cost_usd, price_of
from writebot.loop.registry import build_engine
from writebot.store.usage import UsageLog
from writebot.text.pipeline import Pipeline

from .conftest import ROOT, make_topics

MILLION = 1_000_000


def test_sonnet_5_5_costs_what_the_pricing_page_says():
    price = price_of("claude-sonnet-5-5")
    assert (price.input, price.output, price.cache_write, price.cache_write_1h, price.cache_read) == \
        (2.0, 10.0, 2.5, 4.0, 0.10)
    usage = {"input_tokens": MILLION, "output_tokens": MILLION, "cache_read_input_tokens": MILLION,
             "cache_creation_input_tokens": 2 * MILLION,
             "cache_creation": {"ephemeral_5m_input_tokens": MILLION, "ephemeral_1h_input_tokens": MILLION}}
    assert cost_usd(price, usage) == pytest.approx(2 + 10 + 0.10 + 2.5 + 4)
    assert cost_usd(price, usage, batch=True) == pytest.approx((2 + 10 + 0.10 + 2.5 + 4) / 2)  # they stack


def test_haiku_5_5_prices_a_long_prompt_at_the_higher_tier_output_included():
    price = price_of("claude-haiku-5-5")
    short = {"input_tokens": 50_000, "cache_read_input_tokens": 50_000, "output_tokens": MILLION}
    long = {**short, "cache_read_input_tokens": 50_001}  # the prompt counts cache reads: now over 100,000
    assert cost_usd(price, short) == pytest.approx(0.10 * 0.05 + 0.01 * 0.05 + 0.50)
    assert cost_usd(price, long) == pytest.approx(0.50 * 0.05 + 0.05 * 0.050001 + 2.50)


def test_a_dated_id_takes_its_alias_price_and_every_known_model_is_priced():
    assert price_of("claude-haiku-4-5-20251001") == price_of("claude-haiku-4-5")
    unpriced = {m for m in model_table() if price_of(m) is None}
    assert unpriced == {"claude-fable-5-2", "claude-mythos-5-2"}  # documented in prices.yaml: no official cache price
    for row in _table()["models"].values():
        assert row["cache_read"] < row["input"] < row["cache_write"] < row["cache_write_1h"] < row["output"]


def test_prices_yaml_names_its_source_and_date():
    head = (ROOT / "writebot" / "claude" / "prices.yaml").read_text()
    assert "https://platform.claude.com/docs/en/about-claude/pricing" in head and "2026-11-26" in head
    assert yaml.safe_load(head)["batch_discount"] == 0.5


def test_custom_prices_use_the_pricing_pages_multipliers():
    price = Price.custom(1.0, 4.0)
    assert (price.cache_write, price.cache_write_1h, price.cache_read) == (1.25, 2.0, 0.1)


def test_an_unknown_model_warns_once_and_leaves_cost_empty(sim, monkeypatch, capsys, tmp_path):
    from writebot.testing import api_rules

    monkeypatch.setitem(api_rules.MODELS, "local-model", api_rules.MODELS["claude-haiku-4-5"])
    llm = LLM("local-model", UsageLog(tmp_path / "usage.csv"))
    engine = build_engine("claude", llm=llm)
    for topic in make_topics(2):
        engine.write(Pipeline.load(bundled.starter_pipeline()), topic)
    err = capsys.readouterr().err
    assert err.count("no price for model 'local-model'") == 1 and err.count("\n") == 1
    rows = UsageLog(tmp_path / "usage.csv").rows
    assert [r["cost_usd"] for r in rows] == ["", ""] and llm.cost == 0


@pytest.mark.slow
def test_a_budget_with_an_unknown_price_needs_prices(sim, cli, tmp_path, topics_file, monkeypatch):
    from writebot.testing import api_rules

    monkeypatch.setitem(api_rules.MODELS, "local-model", api_rules.MODELS["claude-haiku-4-5"])
    common = ["simulate", "--engine", "claude", "--model", "local-model", "--topics", topics_file, "--persona",
              bundled.persona("warm-casual"), "--epochs", "0", "--max-cost-usd", "5"]
    code, _, err = cli(*common, "--out", tmp_path / "a")
    assert code == 2 and "no price is known for model 'local-model'" in err and "--price-in" in err
    assert not (tmp_path / "a").exists()
    code, _, err = cli(*common, "--price-in", "1", "--out", tmp_path / "b")
    assert code == 2 and "go together" in err
    code, _, err = cli(*common, "--price-in", "1", "--price-out", "4", "--out", tmp_path / "c")
    assert code == 0, err
    rows = UsageLog(tmp_path / "c" / "usage.csv").rows
    assert all(float(r["cost_usd"]) == pytest.approx((int(r["input_tokens"]) * 1 + int(r["output_tokens"]) * 4
                                                       + int(r["cache_read_input_tokens"]) * 0.1
                                                       + int(r["cache_creation_input_tokens"]) * 1.25) / MILLION)
               for r in rows)


def test_resume_with_a_budget_for_an_unpriced_model_is_exit_2_and_leaves_the_run_alone(sim, cli, tmp_path,
                                                                                       topics_file, monkeypatch):
    from writebot.testing import api_rules

    monkeypatch.setitem(api_rules.MODELS, "local-model", api_rules.MODELS["claude-haiku-4-5"])
    out = tmp_path / "r"
    assert cli("simulate", "--engine", "claude", "--model", "local-model", "--topics", topics_file, "--persona",
               bundled.persona("warm-casual"), "--epochs", "0", "--out", out)[0] == 0
    before = (out / "run.json").read_text()
    code, _, err = cli("resume", out, "--max-cost-usd", "3")
    assert code == 2 and "no price is known" in err and err.count("\n") == 1
    assert (out / "run.json").read_text() == before
