"""The writebot command (CONTRACTS §1). Exit 0 ok, 2 bad input (one line on stderr), 1 anything unexpected."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from writebot import __version__, bundled
from writebot.engines import make_engine
from writebot.errors import InputError
from writebot.files import read_text
from writebot.pipeline import Pipeline
from writebot.runs import RunStore, epoch_summary, load_history
from writebot.topics import load_topics
from writebot.trainer import train
from writebot.users import PersonaUser, load_persona, persona_edit

LEARNERS = {"mine": "rules", "none": "rules-frozen", "append-feedback": "rules-append-feedback"}


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        raise InputError(f"{message} (see '{self.prog} --help')")


def _progress():
    from tqdm import tqdm

    return lambda items, **kw: tqdm(items, file=sys.stderr, leave=False, disable=None, **kw)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _default_out(kind: str) -> Path:
    return Path("results") / f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}"


def _check_engine(args: argparse.Namespace) -> str:
    if args.engine != "rules":
        raise InputError(f"--engine {args.engine}: the Claude engine is not part of this build yet; "
                         "use --engine rules (offline)")
    if args.user != "rules":
        raise InputError("--user claude: the Claude-played user is not part of this build yet; use --user rules")
    return LEARNERS[args.learner]


def start_run(out: Path, topics_file: Path, persona_file: Path, pipeline_dir: Path, engine_name: str,
              epochs: int, seed: int, command: str) -> RunStore:
    """Validate every input, then create the run folder (nothing is written if an input is bad)."""
    topics = load_topics(topics_file)
    load_persona(persona_file)
    pipeline = Pipeline.load(pipeline_dir)
    engine = make_engine(engine_name)
    config = {"command": command, "engine": engine_name, "model": engine.model, "user": "rules", "seed": seed,
              "epochs": epochs, "topics_file": str(topics_file), "persona_file": str(persona_file),
              "pipeline_dir": str(pipeline_dir), "topics": len(topics),
              "train_topics": sum(t.split == "train" for t in topics),
              "val_topics": sum(t.split == "val" for t in topics), "initial_version": pipeline.version_hash}
    inputs = {"topics.yaml": read_text(topics_file), "persona.yaml": read_text(persona_file)}
    run = RunStore.create(out, config, inputs)
    run.save_version(0, pipeline)
    return run


def run_training(run: RunStore, quiet: bool = False) -> int:
    """Train (or continue) the run described by run.json; print the table and write the plots."""
    config = run.config
    topics = load_topics(run.input_path("topics.yaml"))
    user = PersonaUser(load_persona(run.input_path("persona.yaml")))
    engine = make_engine(config["engine"])
    pipeline = run.load_version(0) if run.has_version(0) else Pipeline.load(config["pipeline_dir"])
    run.set_status("running")
    try:
        train(run, engine, user, topics, pipeline, config["epochs"], progress=_progress())
    except KeyboardInterrupt:
        run.set_status("interrupted")
        print(f"writebot: interrupted; nothing recorded is lost. Continue with: writebot resume {run.path}",
              file=sys.stderr)
        return 1
    except BaseException as exc:
        run.set_status("failed", error=f"{type(exc).__name__}: {exc}")
        raise
    return report(run, quiet=quiet)


def summary_table(run: RunStore) -> str:
    history = load_history(run.path)
    table = epoch_summary(history)
    updates = {u["epoch"]: u for u in run.update_records}
    rules = {e: len(run.load_version(e).style.rules) for e in run.versions()}
    has_val = "val_sim" in table.columns
    head = f"{'epoch':>5}  {'train sim':>9}  {'train words':>11}"
    head += f"  {'val sim':>7}  {'val words':>9}" if has_val else ""
    head += f"  {'rules':>5}  update"
    lines = [head, "-" * len(head)]
    for epoch, row in table.iterrows():
        update = updates.get(epoch)
        status = ""
        if update:
            status = f"{update['status']} ({update['train_cost_before']} -> {update['train_cost_after']} words)"
        line = f"{epoch:>5}  {row['train_sim']:>9.3f}  {row['train_words']:>11.1f}"
        line += f"  {row['val_sim']:>7.3f}  {row['val_words']:>9.1f}" if has_val else ""
        line += f"  {rules.get(epoch, 0):>5}  {status}"
        lines.append(line)
    return "\n".join(lines)


def report(run: RunStore, quiet: bool = False) -> int:
    from writebot import plots

    if not (run.path / "history.csv").exists() or not run.records:
        raise InputError(f"{run.path}: no drafts recorded yet; run 'writebot resume {run.path}' first")
    history = load_history(run.path)
    figure = run.path / "learning_curve.png"
    plots.save(plots.learning_curve(history, title=f"writebot run: {run.path.name}"), figure)
    if not quiet:
        print(summary_table(run))
        print(f"\nrun folder: {run.path}\nlearning curve: {figure}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    out = args.out or _default_out("demo")
    print(f"Training the starter pipeline against the simulated user 'warm-casual' on {bundled.starter_topics().name}"
          " (offline rules engine, 3 epochs).", file=sys.stderr)
    run = start_run(out, bundled.starter_topics(), bundled.persona("warm-casual"), bundled.starter_pipeline(),
                    "rules", 3, 0, "demo")
    code = run_training(run)
    if code == 0:
        print(before_after(run))
    return code


def before_after(run: RunStore) -> str:
    """The learned rules, and one val topic's draft before and after training: what a user wants to see."""
    last = max(run.versions())
    lines = ["", f"STYLE.md rules at epoch {last}:"] + [f"  - {r}" for r in run.load_version(last).style.rules]
    val = [r for r in run.records if r["split"] == "val"]
    if val:
        topic = val[0]["topic_id"]
        first = next(r for r in val if r["topic_id"] == topic and r["epoch"] == 0)
        final = next(r for r in val if r["topic_id"] == topic and r["epoch"] == last)
        for label, record in (("before training (epoch 0)", first), (f"after training (epoch {last})", final)):
            lines += ["", f"Val topic '{topic}', {label}: {record['word_edit_distance']} words still to edit",
                      *("    " + line for line in record["draft"].rstrip().splitlines())]
    return "\n".join(lines)


def cmd_simulate(args: argparse.Namespace) -> int:
    engine = _check_engine(args)
    pipeline = args.pipeline or bundled.starter_pipeline()
    run = start_run(args.out or _default_out("simulate"), args.topics, args.persona, pipeline, engine,
                    args.epochs, args.seed, "simulate")
    return run_training(run)


def cmd_edit(args: argparse.Namespace) -> int:
    persona = load_persona(args.persona)
    if args.draft == "-":
        try:
            draft = sys.stdin.buffer.read().decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("stdin: the draft is not valid UTF-8; send UTF-8 text") from None
    else:
        draft = read_text(args.draft, "draft")
    ground_truth, _ = persona_edit(persona, draft)
    sys.stdout.write(ground_truth)
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    run = RunStore.open(args.dir)
    if run.config.get("status") == "complete":
        print(f"{run.path}: run already complete.", file=sys.stderr)
        return report(run)
    print(f"Resuming {run.path}: {len(run.records)} drafts and {len(run.update_records)} updates already "
          "recorded.", file=sys.stderr)
    return run_training(run)


def cmd_report(args: argparse.Namespace) -> int:
    return report(RunStore.open(args.dir))


def build_parser() -> Parser:
    parser = Parser(prog="writebot", description="Train a writing bot by editing text, not weights.")
    parser.add_argument("--version", action="version", version=f"writebot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser, metavar="COMMAND")

    demo = sub.add_parser("demo", help="train the starter pipeline offline against a bundled simulated user")
    demo.add_argument("--out", type=Path, help="run folder to create (default: results/demo-TIMESTAMP)")
    demo.set_defaults(func=cmd_demo)

    sim = sub.add_parser("simulate", help="headless training against a simulated user")
    sim.add_argument("--topics", type=Path, required=True, help="topics YAML file")
    sim.add_argument("--persona", type=Path, required=True, help="persona YAML file")
    sim.add_argument("--pipeline", type=Path, help="pipeline folder (default: the bundled starter)")
    sim.add_argument("--engine", choices=["rules", "claude", "replay"], default="rules")
    sim.add_argument("--user", choices=["rules", "claude"], default="rules")
    sim.add_argument("--learner", choices=list(LEARNERS), default="mine",
                     help="rules engine optimizer: mine (default), none or append-feedback (baselines)")
    sim.add_argument("--epochs", type=_positive, default=3)
    sim.add_argument("--out", type=Path, help="run folder to create (default: results/simulate-TIMESTAMP)")
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--concurrency", type=_positive, default=4, help="parallel drafts (Claude engine)")
    sim.set_defaults(func=cmd_simulate)

    edit = sub.add_parser("edit", help="print the ground truth a persona makes of a draft")
    edit.add_argument("--persona", type=Path, required=True)
    edit.add_argument("draft", help="Markdown draft file, or - for stdin")
    edit.set_defaults(func=cmd_edit)

    resume = sub.add_parser("resume", help="continue an interrupted run")
    resume.add_argument("dir", type=Path)
    resume.set_defaults(func=cmd_resume)

    rep = sub.add_parser("report", help="print a run's summary table and write its plots")
    rep.add_argument("dir", type=Path)
    rep.set_defaults(func=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except InputError as exc:
        print(f"writebot: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("writebot: interrupted", file=sys.stderr)
        return 1
