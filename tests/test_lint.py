"""The guide's consistency checks (docs/FORMATS.md §5): each contradiction kind, dead rules judged on a run's drafts,
notes that repeat a rule, the budget; `writebot lint`; findings in every update record and in the UpdateReview;
a Claude proposal with contradictions sent back once; and the learner never proposing a contradiction."""

import json
import random
from pathlib import Path

import pytest

from writebot import bundled
from writebot.claude.llm import DEFAULT_MODEL, LLM
from writebot.engines import Evidence
from writebot.engines.selection import variants
from writebot.engines.writer import skeleton
from writebot.loop.registry import build_engine
from writebot.notebook.widgets import UpdateReview
from writebot.notebook.workbench import Workbench
from writebot.store.run_folder import RunStore
from writebot.testing.replies import scripted, text_reply, tool_reply
from writebot.text.lint import CONTRADICTION, DEAD, DUPLICATE_NOTE, EXAMPLE, OVER_BUDGET, REPEATED_NOTE, Source, lint
from writebot.text.pipeline import Pipeline
from writebot.text.rule_language import (
    CloseWith,
    Contractions,
    DropSentencesWith,
    HeadingCase,
    MaxSentenceWords,
    OpenWith,
    Replace,
    contradicts,
)

from .conftest import make_topics


def guide(rules=(), notes=()):
    style = "# Style\n\nWrite well.\n\n## Rules\n\n" + "".join(f"- {r}\n" for r in rules)
    if notes:
        style += "\n## Notes\n\n" + "".join(f"- {n}\n" for n in notes)
    return Pipeline({"STYLE.md": style, "steps/01_draft.md": "Draft.\n"})


FIRST_RULE_LINE = 7  # "# Style", "", "Write well.", "", "## Rules", "", then the rules


@pytest.mark.parametrize("a, b, what", [
    ("Open with the line: Hi friends,", "Open with the line: Hello there!", "opening line decided twice"),
    ("Close with the line: Bye.", "Close with the line: Thanks for reading.", "closing line decided twice"),
    ("Use contractions (don't, it's, we're, can't, ...).", 'Avoid contractions: write "do not", ...',
     "contractions decided twice"),
    ("Write headings in title case.", "Write headings in sentence case.", "heading case decided twice"),
    ('Split sentences longer than 18 words at ", and" or ", but".',
     'Split sentences longer than 25 words at ", and" or ", but".', "sentence length decided twice"),
    ('Replace "utilize" with "use".', 'Replace "Utilize" with "employ".', 'what "utilize" becomes decided twice'),
    ('Replace "utilize" with "use".', 'Replace "use" with "utilize".', "a replacement and its reverse"),
    ('Replace "utilize" with "use".', 'Replace "can use" with "can utilize".', "writes back, in one context"),
    ('Replace "in order to" with "so as to".', 'Replace "examples so as" with "examples in order".',
     "writes back, in one context"),
])
def test_every_contradiction_kind_is_found_on_the_later_line(a, b, what):
    found = lint(guide([a, 'Replace "!" with ".", even inside words.', b]))
    assert [(f.kind, f.line) for f in found] == [(CONTRADICTION, FIRST_RULE_LINE + 2)]
    assert what in found[0].message and f"line {FIRST_RULE_LINE}" in found[0].message
    assert str(found[0]).startswith(f"STYLE.md:{FIRST_RULE_LINE + 2}: contradiction: ")


def test_rules_that_only_look_alike_are_no_contradiction():
    rules = ['Replace "utilize" with "use".', 'Replace "a lot of" with "many".', "Open with the line: Hi,",
             "Close with the line: Bye.", 'Drop any sentence containing "To be honest".',
             'Drop any sentence containing "In my opinion".', 'Replace "use" with "apply".',  # a chain, not a reverse
             'Replace "try" with "attempt".', 'Replace "to try" with "to attempt".']  # narrower, the same way
    assert lint(guide(rules)) == []


def test_a_dead_rule_is_one_that_changes_none_of_the_recorded_texts():
    rules = ['Replace "utilize" with "use".', 'Replace "zebra" with "horse".', "Write headings in lower case."]
    base = [Source("# T\n\nWe utilize it.\n\n## Part One\n\nMore.\n"), Source("# U\n\nNothing here.\n")]
    found = lint(guide(rules), base)
    assert [(f.kind, f.line) for f in found] == [(DEAD, FIRST_RULE_LINE + 1)]
    assert "2 recorded topics" in found[0].message
    # a model's drafts: a rule the writing version already had is not judged on them
    drafts = [Source("# t\n\nWe use it.\n", frozenset([rules[0]]))]
    assert {f.line for f in lint(guide(rules), drafts)} == {FIRST_RULE_LINE + 1, FIRST_RULE_LINE + 2}
    assert lint(guide(rules)) == []  # no sources: dead rules are not judged


def test_a_note_that_repeats_a_rule_and_a_guide_over_budget():
    style = guide(['Replace "utilize" with "use".'], ['Say "use", not "utilize".', "Warmer, please."])
    found = lint(style)
    assert [(f.kind, f.line) for f in found] == [(REPEATED_NOTE, FIRST_RULE_LINE + 4)]
    over = lint(style, budget=40)
    assert [f.kind for f in over] == [OVER_BUDGET, REPEATED_NOTE] and over[0].line == 0
    quoted = guide(['Drop any sentence containing "In my opinion" or "To be honest".'],
                   ['Skip the filler like "In my opinion".', 'Never say "honestly".'])
    assert [(f.kind, f.line) for f in lint(quoted)] == [(REPEATED_NOTE, FIRST_RULE_LINE + 4)]


def test_the_cli_prints_one_line_per_finding_and_exits_2(cli, tmp_path):
    folder = tmp_path / "p"
    guide(["Open with the line: Hi,", "Open with the line: Hello!"], ["Warmer, please."]).save(folder)
    code, out, err = cli("lint", folder)
    assert code == 2 and out.splitlines() == [f"{folder}/STYLE.md:{FIRST_RULE_LINE + 1}: contradiction: opening "
                                               "line decided twice: 'Open with the line: Hello!' and line "
                                               f"{FIRST_RULE_LINE} 'Open with the line: Hi,'; keep one"]
    assert "1 finding" in err and "docs/FORMATS.md §5" in err
    code, out, err = cli("lint", bundled.starter_pipeline())
    assert code == 0 and out == "" and "clean" in err
    code, _, err = cli("lint", tmp_path / "missing")
    assert code == 2 and err.count("\n") == 1 and "not found" in err


@pytest.mark.slow
def test_a_version_inside_a_run_is_judged_on_the_runs_drafts(cli, tmp_path):
    code, *_ = cli("demo", "--out", tmp_path / "run")
    assert code == 0
    final = tmp_path / "run" / "versions" / "epoch_003"
    assert cli("lint", final)[0] == 0  # the learned guide: no finding (see bench/learning.py for every persona)
    style = final / "STYLE.md"
    before = style.read_bytes()
    style.write_text(style.read_text() + '- Replace "zebra" with "horse".\n')
    code, out, err = cli("lint", final)
    assert code == 2 and "dead rule" in out and "recorded topics" in out and "against the drafts" in err
    style.write_bytes(before)


def test_the_learner_never_proposes_a_contradiction():
    kinds = [OpenWith("Hi,"), OpenWith("Hello!"), CloseWith("Bye."), CloseWith("Thanks."), Contractions("contract"),
             Contractions("expand"), HeadingCase("title"), HeadingCase("lower"), MaxSentenceWords(12),
             MaxSentenceWords(20), Replace("use", "utilize"), Replace("utilize", "use"), Replace("utilize", "employ"),
             DropSentencesWith(("To be honest",)), DropSentencesWith(("Hello",))]
    rng = random.Random(7)
    for _ in range(300):
        rules = []
        for rule in rng.sample(kinds, rng.randint(0, 6)):  # build a coherent list the way the learner does
            rules = rng.choice(variants(rules, rule))
        assert not any(contradicts(a, b) for i, a in enumerate(rules) for b in rules[i + 1:]), rules


def test_every_update_record_holds_its_lint_and_the_review_shows_it(tmp_path, cli):
    cli("demo", "--out", tmp_path / "run")
    records = [r for r in RunStore.open(tmp_path / "run").update_records if r.kind != "gate"]
    assert len(records) == 3 and all(r.lint == [] for r in records)
    workbench = Workbench.open(tmp_path / "hand", engine="rules")
    topic = workbench.topics[0]
    draft = workbench.draft(topic)
    workbench.submit(topic, draft, "No exclamation marks.", draft.replace("!", "."))
    proposal = workbench.propose()
    proposal.lint = ["STYLE.md:9: contradiction: opening line decided twice: ..."]  # as a Claude proposal may have
    review = UpdateReview(proposal, lambda accepted: "ok")
    assert "1 finding" in review.lint.value and "opening line decided twice" in review.lint.value
    workbench.apply(proposal, set(h.id for h in proposal.hunks))
    record = RunStore.open(tmp_path / "hand").update_records[-1]
    assert record.lint == []  # what was applied is linted again: the recorded version is clean
    workbench.close()


CLASH = "- Open with the line: Hi friends,\n- Open with the line: Hello, dear readers!"


def test_a_claude_proposal_with_contradictions_goes_back_once_with_the_findings(sim):
    sim.responder = scripted(
        tool_reply({"command": "str_replace", "path": "/pipeline/STYLE.md",
                    "old_str": "- Open with the line: Hello, dear readers!", "new_str": CLASH}),
        text_reply("Added the new greeting."),
        tool_reply({"command": "str_replace", "path": "/pipeline/STYLE.md", "old_str": CLASH,
                    "new_str": "- Open with the line: Hi friends,"}),
        text_reply("Replaced the old greeting with the new one."))
    engine = build_engine("claude", llm=LLM(DEFAULT_MODEL))
    start = Pipeline.load(bundled.starter_pipeline())
    topic = make_topics(1)[0]
    update = engine.update(start, [Evidence(topic, 0, "# T\n\nHello, dear readers!\n", (), "# T\n\nHi friends,\n")])
    # (the examples still greet the old way: this script fixes only the guide)
    assert [f for f in lint(update.pipeline) if f.kind != EXAMPLE] == []
    assert "Hello, dear readers!" not in update.pipeline.style.rules[0]
    assert update.pipeline.style.parsed_rules().count(OpenWith("Hi friends,")) == 1
    # the update's rationale is the final one alone: the first named a greeting the fix took out
    assert update.rationale == "Replaced the old greeting with the new one."
    assert [e["rationale_before"] for e in update.details if "sent_back" in e] == ["Added the new greeting."]
    optimizer = [r for r in sim.requests if r.get("tools")]
    sent_back = optimizer[2]["messages"][-1]["content"]
    text = sent_back if isinstance(sent_back, str) else " ".join(b.get("text", "") for b in sent_back)
    assert "opening line decided twice" in text and "STYLE.md:" in text
    assert optimizer[2]["messages"][-2]["role"] == "assistant" and not sim.errors
    assert any("sent_back" in entry for entry in update.details)


def test_a_claude_proposal_is_sent_back_only_once(sim):
    sim.responder = scripted(
        tool_reply({"command": "str_replace", "path": "/pipeline/STYLE.md",
                    "old_str": "- Open with the line: Hello, dear readers!", "new_str": CLASH}),
        text_reply("Added the new greeting."),
        text_reply("I prefer keeping both."))
    engine = build_engine("claude", llm=LLM(DEFAULT_MODEL))
    start = Pipeline.load(bundled.starter_pipeline())
    topic = make_topics(1)[0]
    update = engine.update(start, [Evidence(topic, 0, "# T\n\nHello, dear readers!\n", (), "# T\n\nHi friends,\n")])
    assert len([r for r in sim.requests if r.get("tools")]) == 3  # the proposal, once back, then it is judged
    assert [f.kind for f in lint(update.pipeline) if f.kind != EXAMPLE] == [CONTRADICTION]
    assert json.dumps(update.details).count("sent_back") == 1


def test_a_note_that_says_what_a_note_says_is_merged_and_lint_finds_duplicates():
    """A reader who says the same thing six ways leaves one note, not six (the Claude-played reader's case)."""
    said = ["Make it more playful and talk to the kids directly.", "Make it more playful and speak to kids directly!",
            "make it MORE playful, and talk to the kids directly", "Use shorter sentences for little ones, please!"]
    topics = make_topics(4)
    pairs = [Evidence(t, 0, skeleton(t), (comment,), skeleton(t)) for t, comment in zip(topics, said, strict=True)]
    start = Pipeline({"STYLE.md": "# S\n\n## Rules\n\n## Notes\n\n- Shorter sentences for the little ones.\n",
                      "steps/01.md": "Draft.\n"})
    notes = build_engine("rules").update(start, pairs, []).pipeline.style.notes
    assert notes == ("Shorter sentences for the little ones.", "Make it more playful and talk to the kids directly.")
    doubled = start.with_file("STYLE.md", start.files["STYLE.md"] + "- Shorter sentences for little ones!\n")
    found = [f for f in lint(doubled) if f.kind == DUPLICATE_NOTE]
    assert [f.line for f in found] == [8] and "line 7" in found[0].message


def test_lint_takes_a_run_folder_and_names_the_rules_only_claude_follows(tmp_path, cli):
    """`writebot lint RUN` lints the run's last kept version on its drafts (its plots are not a pipeline's files);
    a rule line in none of the offline phrasings is listed, not ignored in silence, and is not a finding."""
    run = tmp_path / "run"
    cli("demo", "--out", run)
    last = RunStore.open(run).last_kept_version()
    code, out, err = cli("lint", run)
    assert code == 0, err
    assert f"(version {last})" in err and "clean" in err and f"against the drafts recorded in {run}" in err
    assert "UTF-8" not in err and out == ""

    folder = tmp_path / "mine"
    guide(rules=["Use contractions.", "Write like a pirate who loves gardening."]).save(folder)
    code, out, err = cli("lint", folder)
    assert code == 0 and "clean" in err
    assert out.splitlines() == [f"{folder}/STYLE.md:8: followed by Claude only (the offline engine acts on the "
                                "phrasings of writebot/claude/prompts/rule_phrasings.md): "
                                "'Write like a pirate who loves gardening.'"]


def test_notes_that_make_the_same_complaint_in_other_words_are_one_note():
    """A Claude-played reader's notes on 12 drafts (data/notes/young-children.yaml): 5 say one complaint in other
    words, 2 another; the guide keeps one note per complaint and merges no two complaints."""
    import itertools

    import yaml

    from writebot.text.lint import merge_notes, same_note

    groups = yaml.safe_load((Path(__file__).parent.parent / "data/notes/young-children.yaml").read_text("utf-8"))
    notes = [(g["complaint"], note) for g in groups for note in g["notes"]]
    assert len(notes) == 12 and len(merge_notes(n for _, n in notes)) == len(groups)
    wrong = [(a, b) for (ga, a), (gb, b) in itertools.combinations(notes, 2) if same_note(a, b) != (ga == gb)]
    assert not wrong


@pytest.mark.parametrize("line, clash", [
    ("No pep talk.", "it says no to encouraging"),
    ("Stop the cheerleading.", "it says no to encouraging"),
    ("It feels chatty.", "it says no to friendly"),
    ("Keep it formal.", "it asks for formal"),
    ("Be more matter-of-fact.", "it asks for neutral"),
    ("Sounds too stiff; use contractions.", None),  # asks for less formality: what the prose asks too
    ("No exclamation marks, please.", None),  # the prose says nothing of them
    ("Cover every point of its brief.", None),  # a post's brief is its topic, not a length
    ("Skip the filler like \"In my opinion\".", None),
])
def test_a_note_or_rule_against_the_guides_opening_prose_is_a_finding(line, clash):
    from writebot.text.lint import PROSE

    starter = Pipeline.load(bundled.starter_pipeline())
    assert "friendly, encouraging tone" in starter.style.prose and lint(starter) == []
    style = starter.files["STYLE.md"].rstrip() + f"\n\n## Notes\n\n- {line}\n"
    found = [f for f in lint(starter.with_file("STYLE.md", style)) if f.kind == PROSE]
    if clash is None:
        assert found == []
    else:
        assert len(found) == 1 and found[0].line == style.splitlines().index(f"- {line}") + 1
        assert clash in found[0].message and "the guide's opening prose asks for" in found[0].message
        assert "change the prose or drop the line" in found[0].message
    # the Claude optimizer is sent the finding back, as it is a contradiction
    from writebot.engines.claude import contradictions_message

    message = contradictions_message(starter.with_file("STYLE.md", style).files)
    assert (message is None) == (clash is None)


def test_an_example_finding_shows_what_the_rule_would_write_and_the_optimizer_is_told_its_offline_meaning():
    from writebot.claude.prompts import render  # the optimizer's system prompt holds the rule phrasings

    starter = Pipeline.load(bundled.starter_pipeline())
    style = starter.files["STYLE.md"].replace("## Rules\n", "## Rules\n\n- Write headings in title case.\n", 1)
    pipeline = starter.with_file("STYLE.md", style).with_file("examples/water.md",
                                                              "# Watering\n\nHi.\n\n## When To Water\n\nOften.\n")
    found = [f for f in lint(pipeline) if f.kind == EXAMPLE and "water.md" in f.message and "title case" in f.message]
    assert len(found) == 1
    assert "'## When To Water' would be '## When to Water'" in found[0].message
    phrasings = render("rule_phrasings")
    assert '"When to Water"' in phrasings and "of, in and with, which stay lower case" in phrasings
    assert "stays as it is" in phrasings  # a sentence with no ", and" to split at


def test_a_new_claude_rule_that_changes_none_of_the_drafts_goes_back_before_the_update_is_kept(sim):
    dead = '- Replace "In my opinion, " with "I think ".'
    sim.responder = scripted(
        tool_reply({"command": "str_replace", "path": "/pipeline/STYLE.md",
                    "old_str": "## Rules\n", "new_str": f"## Rules\n\n{dead}"}),
        text_reply("Swapped the hedge."),
        tool_reply({"command": "str_replace", "path": "/pipeline/STYLE.md", "old_str": f"\n{dead}", "new_str": ""}),
        text_reply("Dropped the rule: the drafts never write that phrase."))
    engine = build_engine("claude", llm=LLM(DEFAULT_MODEL))
    start = Pipeline.load(bundled.starter_pipeline())
    topic = make_topics(1)[0]
    draft = "# T\n\nIn my opinion cherry tomatoes are easy.\n"
    update = engine.update(start, [Evidence(topic, 0, draft, (), "# T\n\nCherry tomatoes are easy.\n")])
    optimizer = [r for r in sim.requests if r.get("tools")]
    sent_back = optimizer[2]["messages"][-1]["content"]
    text = sent_back if isinstance(sent_back, str) else " ".join(b.get("text", "") for b in sent_back)
    assert "dead rule" in text and "changes nothing in any of the 1 recorded drafts written without it" in text
    assert dead[2:] not in update.pipeline.style.rules
    assert update.rationale == "Dropped the rule: the drafts never write that phrase."
