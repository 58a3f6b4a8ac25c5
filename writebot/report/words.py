"""The run in words: who wrote and who edited, its status, what it cost, the learned guide (notebook 04, share)."""

from __future__ import annotations

from pathlib import Path

from writebot.store.run_folder import RunStore


def _unit(run: RunStore) -> str:
    """What a step of the run is called: an epoch, or online a round (docs/FORMATS.md §1)."""
    return "round" if run.config.get("online") else "epoch"


_ENGINES = {
    "rules": "offline by the rules engine, which learns one-line rules from the user's edits",
    "rules-frozen": "offline by the rules engine with learning switched off (the no-learning baseline)",
    "rules-append-feedback": "offline by the rules engine, appending the user's feedback to the guide (a baseline)",
    "rules-oracle": "offline by the rules engine, handed the simulated user's own edits as rules (the oracle baseline)",
    "claude": "by Claude ({model}), which writes the drafts and edits the guide's files",
    "replay": "by the claude engine replaying the cassette `{cassette}`: its answers were recorded earlier (the "
              "shipped demo cassette's come from an offline stand-in, not from Claude), and no API call was made",
}


def _persona(run: RunStore) -> str:
    """The simulated user's persona name (its copy in inputs/, else the file it came from)."""
    import yaml

    try:
        name = (yaml.safe_load(run.input_path("persona.yaml").read_text("utf-8")) or {}).get("name")
    except (OSError, yaml.YAMLError, AttributeError):
        name = None
    return str(name or Path(run.config.get("persona_file") or "unknown").stem)


def _user(run: RunStore) -> str:
    user = run.config.get("user")
    if user == "rules":
        return f"a simulated user, the persona *{_persona(run)}*, who edits each draft as its persona file says"
    if user == "claude":
        return f"Claude playing the user the persona *{_persona(run)}* describes"
    if user == "human":
        return "a person, by hand (notebook 02)"
    return f"the user {user!r}"


def _status(run: RunStore) -> str:
    status = run.config.get("status") or "unknown"
    return {"complete": "complete", "repaired": "complete (repaired by writebot check)",
            "running": "not finished (still running, or cut short): this page shows what was recorded",
            "interrupted": "interrupted: this page shows what was recorded",
            "stopped": f"stopped ({run.config.get('reason') or 'its cost budget was reached'}): this page shows what "
                       "was recorded",
            "failed": f"failed ({run.config.get('error') or 'no error recorded'}): this page shows what was recorded",
            "closed": "trained by hand; its notebook session is closed (notebook 02 reopens it)",
            }.get(status, status)


def _replayed(run: RunStore) -> bool:
    """Were the run's LLM answers served from a cassette (no call sent)?"""
    from writebot.loop.registry import ENGINES

    kind = ENGINES.get(run.config.get("engine", ""))
    return kind is not None and kind.replays


def cost_line(run: RunStore) -> str:
    """What the run's LLM calls cost, in words: nothing was spent on calls a cassette replayed."""
    calls = run.usage_rows()
    if not calls:
        return "no LLM calls: it cost nothing"
    if _replayed(run):
        return (f"{len(calls)} LLM calls replayed from a cassette: nothing was sent and nothing spent (as recorded, "
                f"they would cost ${run.usage_cost():.4f})")
    return f"{len(calls)} LLM calls, ${run.usage_cost():.4f}"


def _steps(values) -> str:
    values = sorted(int(v) for v in values)
    return " and ".join(str(v) for v in values) if len(values) <= 2 else f"{values[0]}–{values[-1]}"


def run_header(run: RunStore) -> str:
    """What the run is, in words (Markdown): the guide, who wrote and who edited, the protocol (epochs; or online
    passes and rounds), the judge, the cost. Reads only."""
    config, unit = run.config, _unit(run)
    engine = _ENGINES.get(config.get("engine"), f"by the {config.get('engine')} engine").format(
        model=config.get("model"), cassette=Path(config.get("cassette") or "").name)
    pipeline = Path(config.get("pipeline_dir") or "the starting guide").name
    train_steps = sorted({r.epoch for r in run.draft_records if r.split == "train"})
    val_steps = sorted({r.epoch for r in run.draft_records if r.split == "val"})
    n_train, n_val, epochs = config.get("train_topics") or 0, config.get("val_topics") or 0, config.get("epochs")
    if config.get("user") == "human":
        how = (f"**By hand**, {len(train_steps)} epoch{'s' * (len(train_steps) != 1)} so far: each epoch the person "
               "edited the drafts of the topics they picked, then trained the guide on their edits and kept the "
               "changes they agreed with.")
    elif config.get("online"):
        planned = (epochs or 0) * n_train
        rounds = f"{len(train_steps)} rounds" + (f" of {planned}" if len(train_steps) < planned else "")
        select = {"active": "the one whose correction would test the most rules not yet settled (--select active)",
                  "random": "drawn at random (--select random)"}.get(config.get("select"), "in the topics file's order")
        how = (f"**Online** (PRELUDE's protocol): {epochs} passes over the {n_train} train topics, {rounds}. Each "
               f"round the bot drafted one topic, {select}; the user edited the draft into the post they wanted, and "
               "the guide was updated from every edit so far.")
        if val_steps:
            when = (f"every {config['val_every']} rounds" if config.get("val_every") else
                    "only with the starting guide and with the last one")
            how += (f" The {n_val} val topics, never learned from, were drafted {when} ({unit}s "
                    f"{_steps(val_steps)}), and scored.")
    else:
        how = (f"**{epochs} epochs**: each epoch the bot drafted all {n_train} train topics, the user edited every "
               "draft into the post they wanted, and the guide was updated from those edits"
               + (f"; epoch {max(train_steps)}'s drafts show the guide it ended with." if train_steps else "."))
        if val_steps:
            how += f" The {n_val} val topics were drafted every epoch and scored, never learned from."
    judge = ("judged offline, by the content words of each point (it cannot count invented claims)"
             if config.get("judge", "rules") == "rules" else f"judged by Claude ({config.get('judge_model')})")
    cost = cost_line(run)
    started = str(config.get("started") or "")[:10]
    lines = [f"**Run `{run.path.resolve().name}`**: {_status(run)}" + (f", started {started}." if started else "."),
             "",
             f"- **Trained**: the guide `{pipeline}` (its STYLE.md, step prompts and example posts), {engine}, "
             f"against {_user(run)}.",
             f"- **How**: {how}",
             f"- **Faithfulness**: what each draft kept of its brief, {judge}.",
             f"- **Cost**: {cost}."]
    return "\n".join(lines)


def cost_summary(run: RunStore, usage) -> str:
    """The run's LLM calls and cost in a line (Markdown); `usage`: load_usage(run)."""
    if usage.empty:
        return "This run made **no LLM calls**: it cost nothing."
    if _replayed(run):
        return cost_line(run)[0].upper() + cost_line(run)[1:] + "."
    tokens = int(usage["input_tokens"].sum() + usage["output_tokens"].sum())
    priced = usage["cost_usd"].notna().all() if "cost_usd" in usage else False
    return (f"**{len(usage)} LLM calls**, {tokens:,} input and output tokens, **${run.usage_cost():.4f}**"
            + ("" if priced else " (some calls are of a model with no price: their cost is not counted)") + ".")


def guide_markdown(run: RunStore) -> str:
    """STYLE.md of the last version as the writer reads it (comments for its trainers left out), as a quoted
    document whose headings sit below the page's own."""
    import re

    from writebot.text.pipeline import STYLE, without_comments

    text = without_comments(run.load_version(max(run.versions())).files[STYLE]).strip()
    text = re.sub(r"^(#{1,4}) ", lambda m: "#" * min(6, len(m[1]) + 2) + " ", text, flags=re.M)
    return "\n".join("> " + line if line.strip() else ">" for line in text.splitlines())


NO_LEARNING_LABEL = "no learning: the starting guide, never updated"


NO_BASELINE = ("No-learning baseline not shown: it is computed only for offline (rules-engine)\n"
               "runs. For this run, replaying its starting guide would cost API calls; none are made.")


def _baseline_note(run: RunStore, baseline) -> str:
    """What the figure's no-learning line is, or why there is none."""
    if baseline is None:
        return NO_BASELINE
    if run.config.get("user") != "rules":  # a person, or Claude playing one: their edits answered other drafts
        return ("The no-learning line is an estimate: the user's edits answered the drafts\n"
                "the learner wrote, and a simulated user's edits are exact only when deterministic.")
    return ""
