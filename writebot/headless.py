"""Setting up a run and driving it: validate inputs, create the run folder, build engine + user, train, resume.

The CLI and the notebooks both use this module, so an engine is resolved in exactly one place.
"""

from __future__ import annotations

import os
import random
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from writebot import defaults
from writebot.engines import make_engine
from writebot.errors import InputError
from writebot.files import read_text
from writebot.llm import LLM, UsageLog, resolve_model
from writebot.models import check_effort, resolve_effort
from writebot.pipeline import Pipeline
from writebot.pricing import Price, price_of
from writebot.run_folder import RunStore
from writebot.topics import load_topics
from writebot.trainer import train
from writebot.users import ClaudeUser, PersonaUser, load_persona


@dataclass
class RunOptions:
    engine: str = "rules"  # rules | rules-frozen | rules-append-feedback | claude | replay
    user: str = "rules"  # rules | claude
    model: str | None = None
    epochs: int = defaults.EPOCHS
    seed: int = defaults.SEED  # seeds Python's random for the run; the bundled engines and users draw none
    concurrency: int = defaults.CONCURRENCY
    max_cost_usd: float | None = None
    record: str | None = None  # cassette to write every request/response to
    cassette: str | None = None  # cassette to replay (engine replay)
    style_budget: int = defaults.STYLE_BUDGET
    batch_api: bool = False  # an epoch's drafts through the Message Batches API (half price)
    effort: str | None = None  # --effort: one level, or per purpose ("draft=low,update=high"); else $WRITEBOT_EFFORT
    price_in: float | None = None  # USD per million input tokens, for a model prices.yaml does not list
    price_out: float | None = None
    cache_warmup: bool = True  # a max_tokens 0 request writes each version's cached prefix before its drafts fan out

    def uses_llm(self) -> bool:
        return self.engine in ("claude", "replay") or self.user == "claude"

    @classmethod
    def from_config(cls, config: dict) -> RunOptions:
        return cls(**{f.name: config[f.name] for f in fields(cls) if f.name in config})


def check_options(options: RunOptions) -> None:
    if options.engine == "replay" and not options.cassette:
        raise InputError("--engine replay needs --cassette FILE (a cassette written with --record FILE)")
    if options.cassette and options.record:
        raise InputError("--record and --cassette together: record a new cassette or replay one, not both")
    if options.cassette and not Path(options.cassette).is_file():
        raise InputError(f"{options.cassette}: cassette not found; record one with --record FILE")
    if options.batch_api and options.engine not in ("claude", "replay"):
        raise InputError("--batch-api sends Claude drafts as a Message Batch; use it with --engine claude")
    if options.style_budget < 200:
        raise InputError(f"--style-budget {options.style_budget}: too small for a style guide; use 200 or more")
    if (options.price_in is None) != (options.price_out is None):
        raise InputError("--price-in and --price-out go together: give both (USD per million tokens)")
    if options.uses_llm():
        model = resolve_model(options.model)
        check_effort(model, resolve_effort(options.effort))
        if options.max_cost_usd is not None and options.price_in is None and price_of(model) is None:
            raise InputError(f"--max-cost-usd: no price is known for model '{model}' (writebot/prices.yaml), so the "
                             "budget cannot be kept; add --price-in and --price-out (USD per million tokens)")


def price_for(options: RunOptions) -> Price | None:
    return Price.custom(options.price_in, options.price_out) if options.price_in is not None else None


def build_llm(options: RunOptions, usage: UsageLog) -> LLM | None:
    if not options.uses_llm():
        return None
    return LLM(resolve_model(options.model), usage, record=options.record,
               replay=options.cassette if options.engine == "replay" else None, max_cost_usd=options.max_cost_usd,
               effort=resolve_effort(options.effort), price=price_for(options))


def start_run(out: Path, topics_file: Path, persona_file: Path, pipeline_dir: Path, options: RunOptions,
              command: str) -> RunStore:
    """Validate every input, then create the run folder (nothing is written if an input is bad). The run holds the
    folder's lock until run.close()."""
    if options.effort is None:  # recorded ("" = the defaults), so a resumed run keeps the same effort
        options.effort = os.environ.get("WRITEBOT_EFFORT", "")
    check_options(options)
    topics = load_topics(topics_file)
    persona = load_persona(persona_file)
    if options.user == "claude" and not persona.description:
        raise InputError(f"{persona_file}: no 'description'; --user claude plays the persona's description")
    pipeline = Pipeline.load(pipeline_dir)
    build_llm(options, UsageLog(None))  # fails early on a missing API key or cassette
    config = {"command": command, **asdict(options), "model": resolve_model(options.model)
              if options.uses_llm() else "rules-v1", "topics_file": str(topics_file), "persona_file": str(persona_file),
              "pipeline_dir": str(pipeline_dir), "topics": len(topics),
              "train_topics": sum(t.split == "train" for t in topics),
              "val_topics": sum(t.split == "val" for t in topics), "initial_version": pipeline.version_hash}
    inputs = {"topics.yaml": read_text(topics_file), "persona.yaml": read_text(persona_file)}
    run = RunStore.create(out, config, inputs, command)
    try:
        run.save_version(0, pipeline)
    except BaseException:
        run.close()
        raise
    return run


def continue_run(run: RunStore, progress=None, max_cost_usd: float | None = None) -> None:
    """Train (or continue) the run described by its run.json. Raises what training raises; records status."""
    options = RunOptions.from_config(run.config)
    if max_cost_usd is not None:
        options.max_cost_usd = max_cost_usd
        check_options(options)
        run.set_status(run.config.get("status", "running"), max_cost_usd=max_cost_usd)
    llm = build_llm(options, run.usage)
    engine = make_engine(options.engine, llm=llm, style_budget=options.style_budget, warm_cache=options.cache_warmup)
    persona = load_persona(run.input_path("persona.yaml"))
    user = ClaudeUser(persona, llm) if options.user == "claude" else PersonaUser(persona)
    topics = load_topics(run.input_path("topics.yaml"))
    pipeline = run.load_version(0) if run.has_version(0) else Pipeline.load(run.config["pipeline_dir"])
    random.seed(options.seed)  # for extensions that draw random numbers; the bundled ones are deterministic
    run.set_status("running")
    budget = llm.over_budget if llm is not None and options.max_cost_usd is not None else None
    train(run, engine, user, topics, pipeline, options.epochs, progress=progress,
          concurrency=options.concurrency, budget=budget, batch=options.batch_api)
