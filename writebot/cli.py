"""The writebot command (docs/FORMATS.md §1). Exit 0 ok, 2 bad input (one line on stderr), 1 anything unexpected."""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

from writebot import __version__, bundled, defaults
from writebot.claude.llm import WRITE_OFFLINE
from writebot.errors import BudgetReached, InputError, explain
from writebot.files import read_text
from writebot.loop.next_topic import SELECTIONS
from writebot.loop.registry import ENGINES, HUMAN, JUDGES, LEARNERS, USERS
from writebot.report import before_after, kind_table, summary_table, write_plots
from writebot.report.export import FORMATS as EXPORT_FORMATS
from writebot.runs import (
    RunOptions,
    check_model_changes,
    check_options,
    continue_run,
    record_model_changes,
    start_run,
    track_finished_run,
    wire,
)
from writebot.store.run_folder import RunStore, refuse_output_inside, version_dir
from writebot.text.pipeline import Pipeline, without_comments
from writebot.tracking import TRACKERS, build_tracker, prestart
from writebot.users import load_persona, persona_edit, unused_edits


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        raise InputError(f"{message} (see '{self.prog} --help')")


def _progress():
    from tqdm import tqdm

    return lambda **kw: tqdm(file=sys.stderr, leave=False, disable=None, **kw)


def _style_budget(text: str) -> int:
    value = _count(text)
    if value < defaults.MIN_STYLE_BUDGET:
        raise argparse.ArgumentTypeError(f"{value} is too small for a style guide; use "
                                         f"{defaults.MIN_STYLE_BUDGET} or more (default {defaults.STYLE_BUDGET})")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _positive(text: str) -> int:
    value = _count(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _usd(what: str, zero_ok: bool):
    """An argparse type for a USD amount: more than 0, or (zero_ok) 0 or more."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if value < 0 or (value == 0 and not zero_ok):
            raise argparse.ArgumentTypeError(f"must be {'0 or more' if zero_ok else 'more than 0'}, got {value}")
        return value

    return parse


_money = _usd("an amount in USD", zero_ok=False)
_price = _usd("USD per million tokens", zero_ok=True)


def _track_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--track", choices=TRACKERS, help="log the run to MLflow (MLFLOW_TRACKING_URI and "
                                                            "MLFLOW_EXPERIMENT_NAME as MLflow reads them; needs "
                                                            "pip install 'writebot[mlflow]')")


def _default_out(kind: str) -> Path:
    return Path("results") / f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}"


def drive(run: RunStore, max_cost_usd: float | None = None, track: str | None = None) -> int:
    """Train the run to the end, then print the table and write the plots; map stops to exit codes. A tracker
    (--track) is closed last, with the plots the report wrote."""
    tracker = build_tracker(track or run.config.get("track"))
    try:
        for line in run.repaired:
            print(f"writebot: warning: {line}", file=sys.stderr)
        continue_run(run, progress=_progress(), max_cost_usd=max_cost_usd, track=track, tracker=tracker)
        user = USERS.get(run.config.get("user", ""))
        if user is not None and user.edits_by_rule:  # the persona's edits: say once which never did anything
            for line in unused_edits(load_persona(run.input_path("persona.yaml")), run.draft_records):
                print(f"writebot: note: {line}", file=sys.stderr)
    except KeyboardInterrupt:
        mark(run, "interrupted")
        print(f"writebot: interrupted; nothing recorded is lost. Continue with: writebot resume {run.path}",
              file=sys.stderr)
        return 1
    except Exception as exc:  # the one reading of errors (writebot.errors.explain), with how to continue
        explained = explain(exc, str(run.path), spent=run.usage_cost())
        if explained is None:  # a bug: recorded, and its traceback shown
            mark(run, "failed", error=f"{type(exc).__name__}: {exc}")
            raise
        if isinstance(exc, BudgetReached):
            mark(run, "stopped", reason=str(exc))
        else:
            mark(run, "failed", **({} if isinstance(exc, InputError) else {"error": explained.message}))
        print(explained.line, file=sys.stderr)
        return explained.exit_code
    except BaseException as exc:
        mark(run, "failed", error=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        if run.config.get("status") != "complete":  # as recorded above (or by train, when it finished)
            tracker.close(run, run.config.get("status", "failed"))
            run.close()
    try:
        return report(run)  # the run is complete: whatever the report meets, it stays complete
    except KeyboardInterrupt:
        print(f"writebot: interrupted while writing the report; the run is complete. Write its table and plots "
              f"with: writebot report {run.path}", file=sys.stderr)
        return 1
    finally:
        tracker.close(run, "complete", plots=sorted(run.path.glob("*.png")))
        run.close()



def mark(run: RunStore, status: str, **extra) -> None:
    """Record the run's status if the disk lets us (it may be the disk that failed)."""
    try:
        run.set_status(status, **extra)
    except OSError:
        pass


def report(run: RunStore) -> int:
    if not run.draft_records and run.refusal_records:  # nothing to plot: say what happened instead
        refused = len(run.refusal_records)
        print(f"{run.path}: no draft was reviewed; all {refused} were refused by Claude (refusals.jsonl)")
        return 0
    if not run.draft_records:
        how = (f"draft and review posts in notebook 02 (RUN_DIR = '{run.path}')" if run.config.get("user") == HUMAN
               else f"run 'writebot resume {run.path}'")
        raise InputError(f"{run.path}: no drafts recorded yet; {how} first")
    print(summary_table(run))
    if (kinds := kind_table(run)) is not None:
        print("\n" + kinds)
    try:
        figure = write_plots(run)
    except OSError as exc:  # a folder we may read but not write: the table is what matters
        print(f"writebot: warning: the plots were not written ({exc.strerror}: {exc.filename})", file=sys.stderr)
        return 0
    print(f"\nrun folder: {run.path}\nlearning curve: {figure}")
    return 0


def options_from(args: argparse.Namespace, engine: str) -> RunOptions:
    return RunOptions(engine=engine, user=args.user, model=args.model, epochs=args.epochs, seed=args.seed,
                      concurrency=args.concurrency, max_cost_usd=args.max_cost_usd,
                      record=str(args.record) if args.record else None,
                      cassette=str(args.cassette) if args.cassette else None, style_budget=args.style_budget,
                      batch_api=args.batch_api, effort=args.effort, price_in=args.price_in, price_out=args.price_out,
                      cache_warmup=not args.no_cache_warmup, online=args.online, track=args.track, judge=args.judge,
                      judge_model=args.judge_model, fallback_model=args.fallback_model, select=args.select,
                      val_every=args.val_every)


def cmd_demo(args: argparse.Namespace) -> int:
    out = args.out or _default_out("demo")
    run = start_run(out, bundled.starter_topics(), bundled.persona("warm-casual"), bundled.starter_pipeline(),
                    RunOptions(track=args.track), "demo")  # bad input: its one line, and nothing else
    print(f"Training the starter pipeline against the simulated user 'warm-casual' on {bundled.starter_topics().name}"
          " (offline rules engine, 3 epochs).", file=sys.stderr)
    code = drive(run)
    if code == 0:
        print(before_after(run))
    return code


def cmd_simulate(args: argparse.Namespace) -> int:
    engine = args.engine
    if args.learner != "mine":  # the learners are the rules engine's optimizers
        if args.engine != LEARNERS["mine"]:
            raise InputError(f"--learner {args.learner} belongs to the {LEARNERS['mine']} engine; drop it or use "
                             f"--engine {LEARNERS['mine']}")
        engine = LEARNERS[args.learner]
    options = options_from(args, engine)
    pipeline = args.pipeline or bundled.starter_pipeline()
    run = start_run(args.out or _default_out("simulate"), args.topics, args.persona, pipeline, options, "simulate")
    if not run.config["val_topics"]:
        print(f"writebot: warning: {args.topics}: no topic is in the val split (a topic without 'split' goes to val "
              f"one time in four, by its id; none of these {run.config['topics']} did), so nothing measures the bot "
              "on topics it was not trained on; mark some topics 'split: val' (docs/FORMATS.md §2)", file=sys.stderr)
    return drive(run)


def cmd_edit(args: argparse.Namespace) -> int:
    persona = load_persona(args.persona)
    topic = _topic_of(args.topics, args.topic_id) if args.topics else None
    draft = _read_draft(args.draft)
    ground_truth, _ = persona_edit(persona, draft, args.topic_id, topic)
    sys.stdout.write(ground_truth)
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    run = RunStore.open(args.dir)  # read first: what cannot work is exit 2 before the run is touched
    run.refuse_damage()
    if run.config.get("user") == HUMAN:
        raise InputError(f"{run.path}: a run trained by hand; continue it in notebook 02 (RUN_DIR = '{run.path}') "
                         "or with writebot.notebook.workbench.Workbench.open")
    options = RunOptions.from_config(run.config)
    models = {key: value for key, value in (("model", args.model), ("fallback_model", args.fallback_model),
                                            ("judge_model", args.judge_model)) if value}
    check_options(replace(options, max_cost_usd=args.max_cost_usd or options.max_cost_usd,
                          track=args.track or options.track, **models))
    check_model_changes(run, options, models)
    if run.config.get("status") == "complete":
        if args.track and not run.config.get("mlflow_run_id"):  # a finished run, logged now
            with RunStore.open_for_writing(args.dir, "resume") as run:
                track_finished_run(run, args.track)
            print(f"{run.path}: run already complete; logged to MLflow.", file=sys.stderr)
            return 0
        print(f"{run.path}: run already complete.", file=sys.stderr)
        return cmd_report(args)
    run = RunStore.open_for_writing(args.dir, "resume")
    print(f"Resuming {run.path}: {len(run.draft_records)} drafts and {len(run.update_records)} updates already "
          "recorded.", file=sys.stderr)
    if models:
        record_model_changes(run, models)
    return drive(run, max_cost_usd=args.max_cost_usd, track=args.track)


def cmd_init(args: argparse.Namespace) -> int:
    from writebot.engines.new_pipeline import init_pipeline
    from writebot.store.usage import UsageLog

    options = RunOptions(engine=args.engine, model=args.model, effort=args.effort, style_budget=args.style_budget,
                         fallback_model=args.fallback_model or os.environ.get("WRITEBOT_FALLBACK_MODEL") or None)
    engine = wire(options, UsageLog(None)).engine

    summary = init_pipeline(args.description, args.examples, args.out, engine)
    print(f"wrote {args.out} ({summary}). Train it with: writebot simulate --pipeline {args.out} ...")
    size = len(without_comments(Pipeline.load(args.out).files["STYLE.md"]))
    if size > args.style_budget:
        print(f"writebot: warning: {args.out}/STYLE.md is {size} characters, over --style-budget "
              f"{args.style_budget}: shorten the description (training keeps to the budget by leaving rules out)",
              file=sys.stderr)
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from writebot.claude.llm import LLM, resolve_model

    llm = LLM(resolve_model(None), offline="")

    for model in llm.run(llm.list_models()):
        print(model)
    return 0


def _topic_of(path: Path, topic_id: str):
    """The brief of `topic_id` in the topics file at `path`, or the InputError naming the ids it has."""
    from writebot.text.topics import load_topics

    topics = {t.id: t for t in load_topics(path)}
    if topic_id not in topics:
        shown = ", ".join(list(topics)[:8]) + (", ..." if len(topics) > 8 else "")
        raise InputError(f"{path}: no topic '{topic_id}' (it has {shown}); pass one of its ids")
    return topics[topic_id]


def cmd_judge(args: argparse.Namespace) -> int:
    """`writebot judge`: one post against its brief (docs/FORMATS.md §10)."""
    import json

    from writebot.store.usage import UsageLog

    topic = _topic_of(args.topics, args.topic_id)
    draft = _read_draft(args.draft)
    usage = UsageLog(None)
    wired = wire(RunOptions(judge=args.judge, judge_model=args.judge_model, effort=args.effort), usage)
    judge, llm = wired.judge, wired.judge_llm

    found = judge.judge(topic, draft)
    if args.json:
        print(json.dumps(found.to_dict(topic.points), ensure_ascii=False, indent=2))
        return 0
    marks = {"kept": "kept", "dropped": "DROPPED", "contradicted": "CONTRADICTED"}
    for n, (point, verdict) in enumerate(zip(topic.points, found.points, strict=True), 1):
        print(f"{marks[verdict]:>12}  {n}. {point}")
    kept = len(found.kept)
    print(f"\n{kept} of {len(topic.points)} points kept ({found.points_kept:.0%}); judge: {found.judge}")
    if found.added is None:
        print("claims added: this judge cannot tell (use --judge claude)")
    else:
        print(f"claims added: {len(found.added)}" + "".join(f"\n  - {a}" for a in found.added))
    if llm is not None:
        print(f"({len(usage.rows)} call{'s' * (len(usage.rows) != 1)}, ${usage.cost:.4f})", file=sys.stderr)
    return 0


def _read_draft(name: str) -> str:
    """A post from a file, or from stdin for "-" (UTF-8; an empty one is bad input)."""
    if name == "-":
        try:
            text = sys.stdin.buffer.read().decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("stdin: the draft is not valid UTF-8; send UTF-8 text") from None
    else:
        text = read_text(name, "draft")
    if not text.strip():
        raise InputError(f"{'stdin' if name == '-' else name}: the draft is empty; pass a Markdown post")
    return text


def cmd_report(args: argparse.Namespace) -> int:
    run = RunStore.open(args.dir)
    say_skipped(run)
    return report(run)


def say_skipped(run: RunStore) -> None:
    """Readers show what they can and say plainly what they left out."""
    for bad in run.skipped:
        print(f"writebot: warning: skipped {bad.path.name}:{bad.line} ({bad.reason}); see "
              f"'writebot check {run.path}'", file=sys.stderr)


def cmd_check(args: argparse.Namespace) -> int:
    from writebot.store.check import problems, repair

    if args.repair:
        moved = repair(args.dir)
        for line in moved:
            print(line)
        print(f"{args.dir}: " + ("nothing to move" if not moved else "moved aside, nothing deleted; 'writebot resume "
                                 f"{args.dir}' drafts again what the moved lines held (an update whose version is "
                                 "already in use is recorded as recovered) and rebuilds history.csv"),
              file=sys.stderr)
    found = problems(RunStore.open(args.dir))
    for line in found:
        print(line)
    if found:
        print(f"writebot: {args.dir}: {len(found)} problem{'s' * (len(found) > 1)}"
              + ("" if args.repair else f"; move lines that are not records aside with: writebot check {args.dir} "
                                        "--repair"), file=sys.stderr)
        return 2
    print(f"{args.dir}: sound ({len(RunStore.open(args.dir).draft_records)} drafts)", file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from writebot.loop.writing import load_source
    from writebot.report.export import export
    from writebot.text.lint import DEAD, OVER_BUDGET, lint

    pipeline, source = load_source(args.pipeline, args.out)
    if args.out.exists() and (not args.out.is_dir() or any(args.out.iterdir())):
        raise InputError(f"--out {args.out}: exists and is not an empty folder; pass a new folder")
    findings = [f for f in lint(pipeline, None, args.style_budget or defaults.STYLE_BUDGET)]
    if findings and not args.allow_lint:
        for finding in findings:
            print(finding)
        why = {OVER_BUDGET: "STYLE.md is longer than its budget", DEAD: "a rule changes nothing"}
        said = sorted({why.get(f.kind, "the exported bot would be told two things") for f in findings})
        raise InputError(f"{source}: {len(findings)} lint finding{'s' * (len(findings) > 1)} (above; docs/FORMATS.md "
                         f"§5): {'; '.join(said)}. Fix the pipeline, or export anyway with --allow-lint")
    written = export(pipeline, args.format, args.out)
    files = f"{len(written)} file{'s' * (len(written) != 1)}"
    print(f"{args.out}: {args.format} export of {source} ({files})", file=sys.stderr)
    return 0


def cmd_write(args: argparse.Namespace) -> int:
    """`writebot write`: posts with a trained bot, each judged against its brief (docs/FORMATS.md §1, §10)."""
    from writebot.aio import run_sync
    from writebot.files import write_atomic
    from writebot.loop.budget import Budget
    from writebot.loop.writing import awrite_posts, engine_for, load_source
    from writebot.store.usage import UsageLog
    from writebot.text.kinds import unseen
    from writebot.text.topics import load_topics, topic_from_text

    if args.topics and (args.title or args.point):
        raise InputError("--topics and --title/--point together: write the posts of a topics file, or one post")
    if args.title or args.point:
        if not (args.title and args.point):
            raise InputError("one post needs --title TEXT and at least one --point TEXT")
        if args.topic_id:
            raise InputError("--topic-id picks topics of --topics FILE; with --title there is one post")
        topics = [topic_from_text(args.title, args.point, args.audience or "", args.kind)]
        targets = {topics[0].id: args.out} if args.out else {}
    elif args.topics:
        if args.kind:
            raise InputError("--kind is the kind of one post (--title); a topics file says each topic's kind")
        if args.out is None:
            raise InputError("--topics FILE writes DIR/<topic-id>.md: add --out DIR")
        topics = load_topics(args.topics)
        if args.topic_id:
            known = {t.id: t for t in topics}
            unknown = [i for i in args.topic_id if i not in known]
            if unknown:
                raise InputError(f"--topic-id {unknown[0]}: not in {args.topics}; pass one of its ids")
            topics = [known[i] for i in dict.fromkeys(args.topic_id)]
        if args.out.exists() and not args.out.is_dir():
            raise InputError(f"--out {args.out}: exists and is a file; pass a folder for the posts")
        targets = {t.id: args.out / f"{t.id}.md" for t in topics}
    else:
        raise InputError("nothing to write: pass --topics FILE --out DIR, or --title TEXT --point TEXT")
    taken = [p for p in targets.values() if p.exists()]
    if taken and not args.force:
        raise InputError(f"{taken[0]}: exists{f' (and {len(taken) - 1} more)' if len(taken) > 1 else ''}; "
                         "pass --force to overwrite, or another --out")
    pipeline, source = load_source(args.source, args.out if args.topics else None)
    for kind in dict.fromkeys(t.kind for t in topics):  # docs/FORMATS.md §11
        if (line := unseen(pipeline, kind)) is not None:
            print(f"writebot: {line}", file=sys.stderr)
    engine_name = args.engine or engine_for(args.source)
    options = RunOptions(engine=engine_name, model=args.model, effort=args.effort, max_cost_usd=args.max_cost_usd,
                         price_in=args.price_in, price_out=args.price_out, judge=args.judge,
                         judge_model=args.judge_model, concurrency=args.concurrency, batch_api=args.batch_api,
                         fallback_model=args.fallback_model or os.environ.get("WRITEBOT_FALLBACK_MODEL") or None)
    usage = UsageLog(None)
    wired = wire(options, usage, offline=WRITE_OFFLINE)  # the options checked first
    llm, judge, judge_llm, engine = wired.llm, wired.judge, wired.judge_llm, wired.engine
    bar = _progress()(total=len(topics), desc="writing", unit="post") if len(topics) > 1 else None
    shown: list[str] = []

    def done(written) -> None:
        target = targets.get(written.topic.id)
        if target is not None:
            write_atomic(target, written.post)
        else:
            sys.stdout.write(written.post)
        line = f"{target or written.topic.title}: {written.summary()}"
        shown.append(line)
        print(line, file=sys.stderr)
        if bar is not None:
            bar.update(1)

    print(f"Writing {len(topics)} post{'s' * (len(topics) != 1)} with {source} ({engine_name} engine, "
          f"{options.judge} judge).", file=sys.stderr)

    def submitted(batch_id: str, members: dict[str, str]) -> None:
        print(f"batch {batch_id} submitted", file=sys.stderr)

    try:
        result = run_sync(awrite_posts(engine, judge, pipeline, topics, args.concurrency, args.batch_api, done,
                                       Budget(usage, args.max_cost_usd), submitted))
    except BudgetReached as exc:
        print(f"writebot: {exc} (spent ${usage.cost:.4f}); {len(shown)} written", file=sys.stderr)
        return 0
    finally:
        if bar is not None:
            bar.close()
    for topic_id, why in result.refused.items():
        print(f"writebot: warning: {topic_id}: Claude declined to write it ({why}); not written", file=sys.stderr)
    if llm is not None or judge_llm is not None:
        tokens = sum(int(r["input_tokens"]) + int(r["output_tokens"]) for r in usage.rows)
        print(f"{len(usage.rows)} Claude calls, {tokens} tokens, ${usage.cost:.4f}", file=sys.stderr)
    return 0


def cmd_share(args: argparse.Namespace) -> int:
    from writebot.report.share import share, shareable

    started = time.perf_counter()
    refuse_output_inside(shareable(args.run).path, args.out)  # one line, before any work
    if args.out.is_dir():
        raise InputError(f"--out {args.out}: is a folder; pass the HTML file to write")
    if args.out.exists() and not args.force:
        raise InputError(f"--out {args.out}: exists; pass --force to overwrite it, or another --out")
    print(f"Executing notebook 04 on {args.run} ...", file=sys.stderr)
    page = share(args.run, args.out)
    print(f"{page}: one self-contained page ({page.stat().st_size / 1e6:.1f} MB, "
          f"{time.perf_counter() - started:.0f} s); no secret found in it", file=sys.stderr)
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    from writebot.loop.gate import lint_findings
    from writebot.loop.writing import load_source
    from writebot.text.lint import claude_only, lint

    run_dir = args.run
    if (args.pipeline / "run.json").is_file():  # a run folder: its last kept version, judged on its own drafts
        pipeline, name = load_source(args.pipeline)
        run_dir = run_dir or args.pipeline
        shown = args.pipeline / version_dir(RunStore.open(args.pipeline).last_kept_version())
    else:
        pipeline, name, shown = Pipeline.load(args.pipeline), str(args.pipeline), args.pipeline
        here = args.pipeline.resolve()
        if run_dir is None and here.parent.name == "versions" and (here.parent.parent / "run.json").is_file():
            run_dir = here.parent.parent  # a version inside a run folder: its recorded drafts judge dead rules
    if run_dir is not None:
        found = lint_findings(RunStore.open(run_dir), pipeline, args.style_budget)
    else:
        found = [str(f) for f in lint(pipeline, None, args.style_budget or defaults.STYLE_BUDGET)]
    for line in found:
        print(f"{shown / line}")
    for line in claude_only(pipeline):
        print(f"{shown / line}")
    rules = len(pipeline.style.parsed_rules())
    checked = f"against the drafts recorded in {run_dir}" if run_dir else "(no run: dead rules not checked; --run DIR)"
    if found:
        print(f"writebot: {name}: {len(found)} finding{'s' * (len(found) > 1)} in {rules} rules {checked}; "
              "see docs/FORMATS.md §5", file=sys.stderr)
        return 2
    print(f"{name}: clean, {rules} rules {checked}", file=sys.stderr)
    return 0


def _simulate_args(sim: argparse.ArgumentParser) -> None:
    sim.add_argument("--topics", type=Path, required=True, help="topics YAML file")
    sim.add_argument("--persona", type=Path, required=True, help="persona YAML file")
    sim.add_argument("--pipeline", type=Path, help="pipeline folder (default: the bundled starter)")
    sim.add_argument("--engine", choices=[n for n, k in ENGINES.items() if k.command_line], default=defaults.ENGINE,
                     help="writer + optimizer: " + "; ".join(f"{n}: {k.help}" for n, k in ENGINES.items()
                                                             if k.command_line))
    sim.add_argument("--user", choices=list(USERS), default=defaults.USER,
                     help="who plays the persona: " + "; ".join(f"{n}: {k.help}" for n, k in USERS.items()))
    sim.add_argument("--learner", choices=list(LEARNERS), default="mine",
                     help="rules engine optimizer: mine (default, per kind of post where the topics have kinds); "
                          "none, append-feedback, oracle (alone reads the persona file), global (one guide, not shown "
                          "the kinds) and retrieve (CIPHER) are baselines")
    sim.add_argument("--epochs", type=_count, default=defaults.EPOCHS,
                     help=f"epochs (default {defaults.EPOCHS}); with --online, passes over the train topics")
    sim.add_argument("--online", action="store_true",
                     help="PRELUDE's protocol: one train topic per round, an update after each; val drafted with "
                          "the first and the last version")
    sim.add_argument("--select", choices=SELECTIONS, default="order",
                     help="online: each round's train topic: order (the topics file's, default), random (seeded by "
                          "--seed) or active (the one whose correction tests the most rules not yet settled)")
    sim.add_argument("--val-every", type=_positive, metavar="N",
                     help="online: also draft and score the val topics every N rounds (the curve of val cost "
                          "against posts corrected)")
    sim.add_argument("--out", type=Path, help="run folder to create (default: results/simulate-TIMESTAMP)")
    _track_arg(sim)
    sim.add_argument("--seed", type=int, default=defaults.SEED,
                     help="seeds Python's random for the run (the bundled engines and users draw no random numbers)")
    sim.add_argument("--concurrency", type=_positive, default=defaults.CONCURRENCY,
                     help=f"drafts in flight at once (default {defaults.CONCURRENCY})")
    sim.add_argument("--model", help="Claude model (default: $WRITEBOT_MODEL or the built-in default)")
    sim.add_argument("--max-cost-usd", type=_money, help="stop cleanly once the run has cost this much")
    sim.add_argument("--record", type=Path, help="write every Claude request and response to this cassette")
    sim.add_argument("--cassette", type=Path, help="the cassette --engine replay serves responses from")
    sim.add_argument("--style-budget", type=_style_budget, default=defaults.STYLE_BUDGET,
                     help=f"STYLE.md's size limit in characters, comments left out (default {defaults.STYLE_BUDGET}); "
                          "every learner keeps to it")
    sim.add_argument("--batch-api", action="store_true",
                     help="send each epoch's drafts through the Message Batches API (half price, slower)")
    _claude_args(sim)
    _judge_args(sim)
    sim.add_argument("--no-cache-warmup", action="store_true",
                     help="no max_tokens 0 request before a version's drafts (for a server that refuses one)")
    sim.add_argument("--price-in", type=_price, help="USD per million input tokens, for a model without a price")
    sim.add_argument("--price-out", type=_price, help="USD per million output tokens, for a model without a price")


def _judge_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--judge", choices=list(JUDGES), default=defaults.JUDGE,
                        help="who says which of each brief's points a draft keeps, and what it invents "
                             "(docs/FORMATS.md §10): " + "; ".join(f"{n}: {k.help}" for n, k in JUDGES.items()))
    parser.add_argument("--judge-model", help=f"--judge claude's model (default: $WRITEBOT_JUDGE_MODEL or "
                                              f"{defaults.JUDGE_MODEL})")


def _claude_args(parser: argparse.ArgumentParser, purposes: str = "draft=low,update=high",
                 defaults_are: str = "drafts and reviews low, updates high") -> None:
    parser.add_argument("--fallback-model", help="a refused request goes once to this model (default: "
                        "$WRITEBOT_FALLBACK_MODEL; without one, a refused request is not sent again)")
    parser.add_argument("--effort", help="Claude's effort: one of low, medium, high, xhigh, max for every call, or per "
                        f"call purpose, e.g. {purposes} (default: {defaults_are}; or $WRITEBOT_EFFORT)")


def build_parser() -> Parser:
    parser = Parser(prog="writebot", description="Train a writing bot by editing text, not weights.")
    parser.add_argument("--version", action="version", version=f"writebot {__version__}")
    parser.set_defaults(track=None)  # commands without --track
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser, metavar="COMMAND")

    demo = sub.add_parser("demo", help="train the starter pipeline offline against a bundled simulated user")
    demo.add_argument("--out", type=Path, help="run folder to create (default: results/demo-TIMESTAMP)")
    _track_arg(demo)
    demo.set_defaults(func=cmd_demo)

    sim = sub.add_parser("simulate", help="headless training against a simulated user")
    _simulate_args(sim)
    sim.set_defaults(func=cmd_simulate)

    edit = sub.add_parser("edit", help="print the ground truth a persona makes of a draft")
    edit.add_argument("--persona", type=Path, required=True, help="persona YAML file (docs/FORMATS.md §3)")
    edit.add_argument("--topic-id", default="draft",
                      help="a noisy persona (docs/FORMATS.md §3b) skips edits and makes one-off ones per topic: the "
                           "id that decides which (default: draft); with --topics, the brief whose lost points the "
                           "persona puts back (docs/FORMATS.md §3d)")
    edit.add_argument("--topics", type=Path,
                      help="a topics file: the persona first puts back each point of --topic-id's brief the draft "
                           "lost (docs/FORMATS.md §3d)")
    edit.add_argument("draft", help="Markdown draft file, or - for stdin")
    edit.set_defaults(func=cmd_edit)

    resume = sub.add_parser("resume", help="continue an interrupted run")
    resume.add_argument("dir", type=Path)
    resume.add_argument("--max-cost-usd", type=_money, help="a new cost limit for the rest of the run")
    resume.add_argument("--model", help="the model for the rest of the run (recorded in run.json, with the step)")
    resume.add_argument("--fallback-model", help="the fallback model for the rest of the run (recorded so too)")
    resume.add_argument("--judge-model", help="--judge claude's model for the rest of the run (recorded so too)")
    _track_arg(resume)
    resume.set_defaults(func=cmd_resume)

    init = sub.add_parser("init", help="a new pipeline from a description and example posts")
    init.add_argument("--description", required=True, help="the voice you want, in a sentence or two")
    init.add_argument("--examples", type=Path, required=True, help="folder of example posts (*.md)")
    init.add_argument("--out", type=Path, required=True, help="pipeline folder to create")
    init.add_argument("--engine", choices=[n for n, k in ENGINES.items() if k.command_line and not k.replays],
                      default=defaults.ENGINE,
                      help="rules: prose + rules mined from the examples (offline); claude: Claude writes it")
    init.add_argument("--model", help="Claude model (default: $WRITEBOT_MODEL or the built-in default)")
    init.add_argument("--style-budget", type=_style_budget, default=defaults.STYLE_BUDGET,
                      help=f"STYLE.md's size limit in characters (default {defaults.STYLE_BUDGET})")
    _claude_args(init, "init=high", "high")
    init.set_defaults(func=cmd_init)

    models = sub.add_parser("models", help="list the Claude models your API key can use (GET /v1/models)")
    models.set_defaults(func=cmd_models)

    rep = sub.add_parser("report", help="print a run's summary table and write its plots")
    rep.add_argument("dir", type=Path)
    rep.set_defaults(func=cmd_report)

    lint_ = sub.add_parser("lint", help="check a pipeline's STYLE.md for contradicting or dead rules")
    lint_.add_argument("pipeline", type=Path, help="pipeline folder (inside a run's versions/: judged on its drafts), "
                                                   "or a run folder (its last kept version, judged on its drafts)")
    lint_.add_argument("--run", type=Path, help="judge dead rules on this run folder's recorded drafts")
    lint_.add_argument("--style-budget", type=_style_budget,
                       help=f"STYLE.md's budget in characters (default: the run's, else {defaults.STYLE_BUDGET})")
    lint_.set_defaults(func=cmd_lint)

    wri = sub.add_parser("write", help="write posts with a trained bot (a pipeline, or a run's last kept version)")
    wri.add_argument("source", type=Path, help="pipeline folder, or a run folder (its last kept version)")
    wri.add_argument("--topics", type=Path, help="a topics file: one post per topic, DIR/<topic-id>.md")
    wri.add_argument("--topic-id", action="append", help="only this topic of --topics (repeat for more)")
    wri.add_argument("--title", help="one post: its title")
    wri.add_argument("--point", action="append", help="one post: a point it must make (repeat for each)")
    wri.add_argument("--audience", help="one post: who it is for")
    wri.add_argument("--kind", help="one post: its kind (recipe, story, how-to, ...): the guide's general rules, then "
                                    "that kind's (docs/FORMATS.md §11)")
    wri.add_argument("--out", type=Path, help="with --topics: the folder for the posts; with --title: a file "
                                              "(default: stdout)")
    wri.add_argument("--force", action="store_true", help="overwrite posts that exist")
    wri.add_argument("--engine", choices=[n for n, k in ENGINES.items() if k.command_line and not k.replays],
                     help="who writes (default: claude for a run trained with Claude when ANTHROPIC_API_KEY is "
                          "set, else rules)")
    wri.add_argument("--model", help="Claude model (default: $WRITEBOT_MODEL or the built-in default)")
    wri.add_argument("--concurrency", type=_positive, default=defaults.CONCURRENCY,
                     help=f"posts in flight at once (default {defaults.CONCURRENCY})")
    wri.add_argument("--batch-api", action="store_true", help="all posts as one Message Batch (half price, slower)")
    wri.add_argument("--max-cost-usd", type=_money, help="start no new post once this much is spent")
    wri.add_argument("--price-in", type=_price, help="USD per million input tokens, for a model without a price")
    wri.add_argument("--price-out", type=_price, help="USD per million output tokens, for a model without a price")
    _judge_args(wri)
    _claude_args(wri, "draft=medium,judge=low", "drafts and the judge low")
    wri.set_defaults(func=cmd_write)

    shr = sub.add_parser("share", help="one self-contained HTML page of a run (notebook 04, executed)")
    shr.add_argument("run", type=Path, help="run folder")
    shr.add_argument("--out", type=Path, required=True, help="the HTML file to write")
    shr.add_argument("--force", action="store_true", help="overwrite the file if it exists")
    shr.set_defaults(func=cmd_share)

    exp = sub.add_parser("export", help="write a pipeline as a Claude Code folder, an Agent Skill or a system prompt")
    exp.add_argument("pipeline", type=Path, help="pipeline folder, or a run folder (its last kept version)")
    exp.add_argument("--format", required=True, choices=EXPORT_FORMATS)
    exp.add_argument("--out", type=Path, required=True, help="a new folder (a skill's folder name is its name)")
    exp.add_argument("--allow-lint", action="store_true",
                     help="export even if lint finds something (contradicting rules, examples that break a rule)")
    exp.add_argument("--style-budget", type=_style_budget, help=f"STYLE.md's budget for the lint (default "
                                                         f"{defaults.STYLE_BUDGET})")
    exp.set_defaults(func=cmd_export)

    jud = sub.add_parser("judge", help="which of a brief's points a post keeps, drops or contradicts, and what it adds")
    jud.add_argument("draft", help="the post (a Markdown file, or - for stdin)")
    jud.add_argument("--topics", type=Path, required=True, help="the topics file holding the brief")
    jud.add_argument("--topic-id", required=True, help="the brief's id in the topics file")
    _judge_args(jud)
    _claude_args(jud, "judge=medium", "low")
    jud.add_argument("--json", action="store_true", help='print {"points": [{"point", "verdict"}], "added": [...]}')
    jud.set_defaults(func=cmd_judge)

    check = sub.add_parser("check", help="is a run folder sound? (changes nothing, unless --repair)")
    check.add_argument("dir", type=Path)
    check.add_argument("--repair", action="store_true",
                       help="move lines that are not whole records into a quarantine file beside their log")
    check.set_defaults(func=cmd_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        prestart(args.track)  # MLflow's worker imports and opens its store while we start
        return args.func(args)
    except KeyboardInterrupt:
        print("writebot: interrupted", file=sys.stderr)
        return 1
    except Exception as exc:  # bad input, a disk, an API error: one line and its status, never a traceback
        explained = explain(exc)
        if explained is None:
            raise
        print(explained.line, file=sys.stderr)
        return explained.exit_code
