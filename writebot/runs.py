"""Whole runs without a person: validate the inputs, create the run folder, build the engine and the user
(writebot.loop.registry), train with progress bars, a budget and a tracker, resume. The CLI and the notebooks use it;
it sits above the loop, the report and tracking (tests/test_layout.py)."""

from __future__ import annotations

import os
import random
import sys
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from writebot import defaults
from writebot.claude.llm import JUDGE_OFFLINE, LLM, TRAIN_OFFLINE, resolve_model
from writebot.claude.models import check_effort, resolve_effort
from writebot.claude.pricing import Price, price_of
from writebot.compare.faithfulness import Judge
from writebot.engines.base import Engine
from writebot.errors import BudgetReached, InputError
from writebot.files import read_text
from writebot.loop.budget import Budget
from writebot.loop.next_topic import SELECTIONS, Chooser
from writebot.loop.registry import JUDGES, REPLAY, USERS, build_engine, build_judge, build_user, engine_kind, needs_llm
from writebot.loop.trainer import Callbacks, Online, train
from writebot.store.formats import DraftRecord, RefusalRecord, UpdateRecord
from writebot.store.run_folder import RunStore, now
from writebot.store.usage import UsageLog
from writebot.text.pipeline import Pipeline
from writebot.text.topics import Topic, load_topics
from writebot.tracking import Tracker, build_tracker, start_tracking
from writebot.tracking import require as require_tracker
from writebot.users import Persona, User, load_persona


@dataclass
class RunOptions:
    engine: str = defaults.ENGINE  # a name in registry.ENGINES
    user: str = defaults.USER  # a name in registry.USERS, or registry.HUMAN for a run trained by hand
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
    online: bool = False  # PRELUDE's protocol: one train topic per round, an update after each (trainer.schedule)
    track: str | None = None  # an experiment tracker (tracking.TRACKERS): "mlflow"
    judge: str = defaults.JUDGE  # a name in registry.JUDGES: who says what of each brief a draft keeps
    fallback_model: str | None = None  # a refused request goes once to this model (else $WRITEBOT_FALLBACK_MODEL)
    judge_model: str | None = None  # --judge claude: the model, else $WRITEBOT_JUDGE_MODEL, else defaults.JUDGE_MODEL
    select: str = "order"  # online: which train topic each round drafts (next_topic.SELECTIONS)
    val_every: int | None = None  # online: val drafted every N rounds too (else with the first and last version)

    def protocol(self) -> Online | None:
        """The online protocol these options ask for, or None (epochs)."""
        return Online(self.select, self.val_every, self.seed) if self.online else None

    def uses_llm(self) -> bool:
        """Does the run call Claude at all (engine, user or judge)?"""
        return needs_llm(self.engine, self.user, self.judge)

    def writer_uses_llm(self) -> bool:
        """Do the engine or the user call Claude (the judge has an LLM of its own)?"""
        return needs_llm(self.engine, self.user)

    def judge_model_id(self) -> str:
        return self.judge_model or os.environ.get("WRITEBOT_JUDGE_MODEL") or defaults.JUDGE_MODEL

    @classmethod
    def from_config(cls, config: dict) -> RunOptions:
        return cls(**{f.name: config[f.name] for f in fields(cls) if f.name in config})


def check_options(options: RunOptions) -> None:
    kind = engine_kind(options.engine)
    if kind.replays and not options.cassette:
        raise InputError(f"--engine {options.engine} needs --cassette FILE (a cassette written with --record FILE)")
    if options.cassette and options.record:
        raise InputError("--record and --cassette together: record a new cassette or replay one, not both")
    if options.cassette and not Path(options.cassette).is_file():
        raise InputError(f"{options.cassette}: cassette not found; record one with --record FILE")
    if options.batch_api and not kind.needs_llm:
        raise InputError("--batch-api sends Claude drafts as a Message Batch; use it with --engine claude")
    require_tracker(options.track)
    if options.style_budget < defaults.MIN_STYLE_BUDGET:
        raise InputError(f"--style-budget {options.style_budget}: too small for a style guide; use "
                         f"{defaults.MIN_STYLE_BUDGET} or more")
    if (options.price_in is None) != (options.price_out is None):
        raise InputError("--price-in and --price-out go together: give both (USD per million tokens)")
    if not options.online and (options.select != "order" or options.val_every):
        raise InputError(f"--{'select' if options.select != 'order' else 'val-every'} belongs to an online run "
                         "(one train topic per round); add --online")
    if options.select not in SELECTIONS:
        raise InputError(f"--select {options.select}: use one of {', '.join(SELECTIONS)}")
    if options.judge not in JUDGES:
        raise InputError(f"--judge {options.judge}: not a judge; use one of {', '.join(JUDGES)}")
    if options.judge_model and not JUDGES[options.judge].needs_llm:
        raise InputError("--judge-model goes with a judge that calls Claude; add --judge claude or drop it")
    models = ([resolve_model(options.model)] if options.writer_uses_llm() else []) + (
        [options.judge_model_id()] if JUDGES[options.judge].needs_llm else [])
    if options.fallback_model and options.writer_uses_llm():
        models.append(options.fallback_model)
    for model in models:
        check_effort(model, resolve_effort(options.effort))
        if options.max_cost_usd is not None and options.price_in is None and price_of(model) is None:
            raise InputError(f"--max-cost-usd: no price is known for model '{model}' (writebot/claude/prices.yaml), so "
                             "the budget cannot be kept; add --price-in and --price-out (USD per million tokens)")


def check_model_changes(run: RunStore, options: RunOptions, models: dict[str, str]) -> None:
    """`writebot resume --model/--fallback-model/--judge-model` (docs/FORMATS.md §1): each must be one the run
    calls (check_options says so of --judge-model), on a run that still has work to do; nothing is written when one
    is not."""
    for key in models:
        flag = "--" + key.replace("_", "-")  # the option that set it
        if run.config.get("status") == "complete":
            raise InputError(f"{flag}: {run.path} is complete, nothing is left to draft; start a new run with "
                             f"{flag} instead")
        if key != "judge_model" and not options.writer_uses_llm():
            raise InputError(f"{flag}: this run's engine ({options.engine}) and user ({options.user}) call no model; "
                             f"drop {flag}")


def record_model_changes(run: RunStore, models: dict[str, str]) -> None:
    """Set the models for the rest of the run, and say in run.json's `model_changes` what changed and at which step
    (the drafts and updates recorded before it)."""
    changes = list(run.config.get("model_changes", []))
    for key, value in models.items():
        if run.config.get(key) != value:
            changes.append({"option": key, "from": run.config.get(key), "to": value,
                            "drafts_recorded": len(run.draft_records), "updates_recorded": len(run.update_records),
                            "time": now()})
    run.set_config(**models, model_changes=changes)


def price_for(options: RunOptions) -> Price | None:
    return Price.custom(options.price_in, options.price_out) if options.price_in is not None else None


def build_llm(options: RunOptions, usage: UsageLog, model: str | None = None,
              offline: str = TRAIN_OFFLINE) -> LLM | None:
    """The LLM the engine and the user call (None when neither calls Claude); with `model`, one for that model
    (the judge's), sharing the run's usage log, cassettes and budget. `offline`: what a missing key's message
    suggests instead."""
    if model is None and not options.writer_uses_llm():
        return None
    price = price_for(options) if model is None else None
    return LLM(model or resolve_model(options.model), usage, record=options.record,
               replay=options.cassette if engine_kind(options.engine).replays else None,
               effort=resolve_effort(options.effort), price=price,
               fallback_model=options.fallback_model if model is None else None,
               offline=JUDGE_OFFLINE if model is not None else offline,
               flag="--model" if model is None else "--judge-model")


def build_run_judge(options: RunOptions, usage: UsageLog) -> tuple[Judge, LLM | None]:
    """The run's faithfulness judge (docs/FORMATS.md §10) and its LLM: offline (None), or Claude on an LLM of its
    own model."""
    llm = build_llm(options, usage, options.judge_model_id()) if JUDGES[options.judge].needs_llm else None
    return build_judge(options.judge, llm), llm


@dataclass
class Wiring:
    """What a run, a workbench or `writebot write` works with, built from its options in one place (wire)."""

    engine: Engine
    judge: Judge
    llm: LLM | None  # the engine's and the user's (None when neither calls Claude)
    judge_llm: LLM | None  # the judge's own (None for an offline judge)
    user: User | None = None  # only when a persona was given


def wire(options: RunOptions, usage: UsageLog, persona: Persona | None = None, *, user: bool = False,
         offline: str = TRAIN_OFFLINE) -> Wiring:
    """Check the options (check_options), then build the engine, the judge, their LLMs and, with `user`, the
    simulated user of `persona`: the one place they are built. `persona` reaches only an engine that reads it (the
    oracle baseline). `offline`: what a missing key's message suggests instead."""
    check_options(options)
    llm = build_llm(options, usage, offline=offline)
    judge, judge_llm = build_run_judge(options, usage)
    engine = build_engine(options.engine, llm, options.style_budget, options.cache_warmup, persona)
    return Wiring(engine, judge, llm, judge_llm, build_user(options.user, persona, llm) if user else None)


def run_config(options: RunOptions, command: str, pipeline: Pipeline, topics: list[Topic], **paths: str) -> dict:
    """run.json's config of a new run (the workbench's too): the options, what writes, where the inputs came from."""
    return {"command": command, **asdict(options),
            "model": resolve_model(options.model) if options.writer_uses_llm() else "rules-v1", **paths,
            "topics": len(topics), "train_topics": sum(t.split == "train" for t in topics),
            "val_topics": sum(t.split == "val" for t in topics), "initial_version": pipeline.version_hash}


def start_run(out: Path, topics_file: Path, persona_file: Path, pipeline_dir: Path, options: RunOptions,
              command: str) -> RunStore:
    """Validate every input, then create the run folder (nothing is written if an input is bad). The run holds the
    folder's lock until run.close()."""
    if options.effort is None:  # recorded ("" = the defaults), so a resumed run keeps the same effort
        options.effort = os.environ.get("WRITEBOT_EFFORT", "")
    if options.fallback_model is None and options.writer_uses_llm():  # recorded too
        options.fallback_model = os.environ.get("WRITEBOT_FALLBACK_MODEL") or None
    if JUDGES.get(options.judge) and JUDGES[options.judge].needs_llm:  # recorded, so a resumed run keeps it
        options.judge_model = options.judge_model_id()
    check_options(options)
    topics = load_topics(topics_file)
    persona = load_persona(persona_file)
    if USERS[options.user].needs_llm and not persona.description:
        raise InputError(f"{persona_file}: no 'description'; --user {options.user} plays the persona's description")
    pipeline = Pipeline.load(pipeline_dir)
    build_llm(options, UsageLog(None))  # fails early on a missing API key or cassette
    build_run_judge(options, UsageLog(None))
    config = run_config(options, command, pipeline, topics, topics_file=str(topics_file),
                        persona_file=str(persona_file), pipeline_dir=str(pipeline_dir))
    inputs = {"topics.yaml": read_text(topics_file), "persona.yaml": read_text(persona_file)}
    run = RunStore.create(out, config, inputs, command)
    try:
        run.save_version(0, pipeline)
    except BaseException:
        run.close()
        raise
    return run


class RunCallbacks(Callbacks):
    """The headless run's watcher: progress bars (from `progress`, a tqdm-like factory) with the running cost of a
    run that calls Claude, warnings on stderr, and each finished epoch logged to the tracker."""

    def __init__(self, run: RunStore, progress=None, tracker: Tracker | None = None, shows_cost: bool = False):
        self.run, self.progress, self.tracker, self.shows_cost = run, progress, tracker or Tracker(), shows_cost
        self.bar = None

    def on_epoch(self, epoch: int, todo: int) -> None:
        if self.progress and todo:
            self.bar = self.progress(total=todo, desc=f"epoch {epoch}", unit="draft")

    def on_draft(self, record: DraftRecord | RefusalRecord) -> None:
        if self.bar is not None:
            self.bar.update(1)
            if self.shows_cost:
                self.bar.set_postfix_str(f"${self.run.usage.cost:.4f}")

    def on_warning(self, message: str) -> None:
        print(f"writebot: warning: {message}", file=sys.stderr)

    def on_update(self, record: UpdateRecord) -> None:
        if record.budget:
            print(f"writebot: epoch {record.epoch}'s update: {record.budget}", file=sys.stderr)

    def on_batch_poll(self, status) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"batch: {status.request_counts.succeeded} answered")

    def on_epoch_end(self, epoch: int) -> None:
        self.close_bar()
        self.tracker.epoch(self.run, epoch)

    def close_bar(self) -> None:
        """End the epoch's progress bar (also when training stops inside an epoch)."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def continue_run(run: RunStore, progress=None, max_cost_usd: float | None = None, track: str | None = None,
                 tracker: Tracker | None = None) -> None:
    """Train (or continue) the run described by its run.json. Raises what training raises; records status.
    `track`: start tracking a run that was not tracked (a tracked run stays tracked). `tracker`: the caller's, which
    the caller closes; else one for the run's `track`, closed here."""
    options = RunOptions.from_config(run.config)
    if max_cost_usd is not None:
        options.max_cost_usd = max_cost_usd
        check_options(options)
        run.set_config(max_cost_usd=max_cost_usd)
    options.track = start_tracking(run, track)
    persona = load_persona(run.input_path("persona.yaml"))
    wired = wire(options, run.usage, persona, user=True)
    llm, judge, judge_llm, engine, user = wired.llm, wired.judge, wired.judge_llm, wired.engine, wired.user
    topics = load_topics(run.input_path("topics.yaml"))
    pipeline = run.load_version(0) if run.has_version(0) else Pipeline.load(run.config["pipeline_dir"])
    random.seed(options.seed)  # for extensions that draw random numbers; the bundled ones are deterministic
    run.set_status("running")
    owned = tracker is None
    tracker = tracker or build_tracker(options.track)
    tracker.open(run)
    callbacks = RunCallbacks(run, progress, tracker, shows_cost=llm is not None or judge_llm is not None)
    status = "failed"
    try:
        kind = engine_kind(options.engine)
        chooser = Chooser(options.select, options.seed, kind.base_text, None if kind.needs_llm else engine.write)
        train(run, engine, user, topics, pipeline, options.epochs, callbacks, options.concurrency, options.batch_api,
              options.protocol(), judge, chooser, Budget(run.usage, options.max_cost_usd))
        status = "complete"
    except BudgetReached:
        status = "stopped"
        raise
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        callbacks.close_bar()
        if owned:
            tracker.close(run, status)


def track_finished_run(run: RunStore, track: str) -> None:
    """Log a run that already ended to the tracker (`writebot resume DIR --track mlflow`): every epoch, then the
    files and the plots it has. Steps the tracker already holds are not logged twice."""
    tracker = build_tracker(start_tracking(run, track))
    tracker.open(run)
    for epoch in sorted({r.epoch for r in run.draft_records}):
        tracker.epoch(run, epoch)
    plots = sorted(run.path.glob("*.png"))
    tracker.close(run, run.config["status"], plots=plots or None)


def replay_demo(out: Path | str, command: str = "replay-demo") -> Path:
    """Replay the shipped demo cassette into a new run folder at `out`, offline (its recipe:
    data/cassettes/claude-demo.yaml); return the folder."""
    from writebot import bundled

    recipe = bundled.demo_cassette()
    options = RunOptions(engine=REPLAY, epochs=recipe.epochs, concurrency=recipe.concurrency,
                         cassette=str(recipe.cassette))
    with start_run(Path(out), recipe.topics, recipe.persona, recipe.pipeline, options, command) as run:
        continue_run(run)
    return Path(out)
