"""Prompts a model can follow: no optimizer call when there is nothing to learn, an update history with verdicts,
both costs and whole rationales, rule phrasings the optimizer can see, steps that yield to STYLE.md. And the SDK
floor the code needs."""

import json
import re
import tomllib

import pytest

from writebot import bundled
from writebot.claude.prompts import render
from writebot.engines.claude import past_updates
from writebot.store.formats import UpdateSummary
from writebot.testing.replies import echo_writer, scripted, text_reply, tool_reply
from writebot.text.pipeline import Pipeline
from writebot.text.rule_language import parse_rule

from .conftest import ROOT


def fitting_writer(body):
    """Drafts that already carry warm-casual's every wish, so the reader edits nothing."""
    reply = echo_writer(body)
    if body.get("tools") or "<verdict>" in str(body.get("system")):
        return reply
    text = reply["content"][0]["text"].rstrip("\n")
    title, _, rest = text.partition("\n\n")
    return text_reply(f"{title}\n\nHi friends,\n\n{rest}\n\nThanks so much for reading.\n")


def test_no_optimizer_call_when_the_drafts_needed_no_edits(sim, cli, tmp_path, write_yaml):
    topics = write_yaml("t.yaml", [{"id": "a", "title": "Short", "points": ["Use it."], "split": "train"}])
    sim.responder = fitting_writer
    code, _, err = cli("simulate", "--engine", "claude", "--topics", topics, "--persona",
                       bundled.persona("warm-casual"), "--epochs", "1", "--out", tmp_path / "r")
    assert code == 0, err
    assert not any(r.get("tools") for r in sim.requests)
    update = json.loads((tmp_path / "r" / "updates.jsonl").read_text().splitlines()[0])
    assert update["status"] == "unchanged" and update["rationale"].startswith("nothing to learn")


@pytest.mark.slow
def test_the_update_history_shows_verdicts_both_costs_and_whole_rationales(sim, cli, tmp_path, topics_file):
    long = "I added a greeting rule because every draft lacked one. " * 8
    sim.responder = scripted(tool_reply({"command": "str_replace", "path": "/pipeline/STYLE.md",
                                         "old_str": "## Rules\n", "new_str": '## Rules\n\n- Say "use" always.\n'}),
                             text_reply(long.strip()), tool_reply({"command": "view", "path": "/pipeline"}),
                             text_reply("Nothing more."))
    assert cli("simulate", "--engine", "claude", "--topics", topics_file, "--persona",
               bundled.persona("warm-casual"), "--epochs", "2", "--out", tmp_path / "r")[0] == 0
    second = [r for r in sim.requests if r.get("tools")][2]["messages"][0]["content"][0]["text"]
    history = second.split("Earlier updates", 1)[1].split("Reviewed drafts", 1)[0]
    assert re.search(r"update after epoch 0: (accepted|rolled_back); train words edited \d+ -> \d+\.", history)
    assert long.strip() in history and "pending" not in history and "None" not in history


def test_past_updates_formats_a_not_yet_judged_update_plainly():
    text = past_updates([UpdateSummary(3, "pending", 12, None, "Shorter sentences.")])
    assert "train words edited 12 before it, not yet judged after" in text and "None" not in text


def phrasing_examples() -> list[str]:
    """The example rule lines of prompts/rule_phrasings.md (before what it says of them)."""
    text = render("rule_phrasings").split("What is free in them")[0]
    return [line.strip() for line in text.splitlines() if line.startswith("  ")]


def test_the_optimizer_is_told_the_rule_phrasings_both_engines_act_on():
    system = render("optimizer_system", budget=4000, rule_phrasings=render("rule_phrasings"))
    examples = [line.split("   (")[0] for line in phrasing_examples()]
    assert len(examples) == 10 and all(parse_rule(line) is not None for line in examples)
    assert all(line in system for line in examples)
    assert '"## Notes" section' in system and "when there are any" in system


def test_the_starter_style_guide_lists_the_same_phrasings_in_a_comment():
    style = Pipeline.load(bundled.starter_pipeline()).files["STYLE.md"]
    comment = style.split("<!--", 1)[1].split("-->", 1)[0]
    assert "For whoever trains this file" in comment  # the note to trainers is in the comment the writer never sees
    listed = [line.strip() for line in comment.split("Rule phrasings both engines act on:")[1].splitlines()
              if line.strip()]
    expected = phrasing_examples()
    assert listed == expected
    assert "## Notes" not in style.split("<!--")[0].split("## Rules")[0].replace('"## Notes" section', "")


def test_the_starter_steps_yield_to_style_rules():
    steps = "\n".join(Pipeline.load(bundled.starter_pipeline()).steps.values())
    assert "add no new claims" not in steps and "Carry the text of every point" not in steps
    assert "unless a rule in STYLE.md" in steps and "win over these steps" in steps


def test_the_sdk_floor_is_the_version_the_code_needs():
    """dev/sdk_floor.py found 1.9.0 as the first anthropic release with all the code relies on (the model ids
    claude-sonnet-5-5 and others in ModelParam, output_config.effort with xhigh, adaptive thinking, top-level
    cache_control, usage.output_tokens_details, stop_details on refusals, the httpx2 transport); .ci/run runs the
    Claude tests again with exactly the floor release (dev/sdk_floor.py --verify)."""
    import anthropic
    from packaging.version import Version

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    floor = Version(next(d for d in deps if d.startswith("anthropic")).split(">=")[1])
    assert floor >= Version("1.9.0")
    assert Version(anthropic.__version__) >= floor
    from anthropic.types import OutputConfigParam, RefusalStopDetails, ThinkingConfigAdaptiveParam, Usage

    assert "xhigh" in str(OutputConfigParam.__annotations__["effort"])
    assert ThinkingConfigAdaptiveParam and RefusalStopDetails and "output_tokens_details" in Usage.model_fields


def test_the_writer_does_not_see_style_comments_and_they_do_not_count_against_the_budget():
    from writebot.claude.text_editor_tool import PipelineEditor
    from writebot.engines.claude import system_prefix

    pipeline = Pipeline.load(bundled.starter_pipeline())
    prompt = system_prefix(pipeline)
    assert "Open with the line: Hello, dear readers!" in prompt and "Hi friends," not in prompt
    assert "<!--" not in prompt and "Rule phrasings" not in prompt
    style = pipeline.files["STYLE.md"]
    visible = len(style) - len(style.split("<!--")[1].split("-->")[0]) - len("<!---->\n")
    editor = PipelineEditor(pipeline.files, style_budget=visible)
    # one count everywhere: the prompt's, the tool's and the budget's leave comments out
    assert editor.run({"command": "create", "path": "/pipeline/STYLE.md", "file_text": style}) == \
        (f"/pipeline/STYLE.md saved ({visible} of {visible} characters; HTML comments do not count).", False)

    assert editor.run({"command": "create", "path": "/pipeline/STYLE.md", "file_text": style + "x"})[1]


def test_the_prompt_and_the_tool_give_one_count_of_style_md(sim):
    """The optimizer once read "734 of 4000 characters" in its prompt and "saved (1806 characters)" from the tool."""
    import re as regex

    from writebot.claude.llm import LLM
    from writebot.engines.base import Evidence
    from writebot.engines.claude import ClaudeEngine
    from writebot.text.topics import Topic

    pipeline = Pipeline.load(bundled.starter_pipeline())
    engine = ClaudeEngine(LLM("claude-sonnet-5-5"), style_budget=4000)
    topic = Topic("t", "T", ("A point.",))
    prompt = engine._update_prompt(pipeline, [Evidence(topic, 0, "# T\n\nA.\n", (), "# T\n\nB.\n")], [])
    counted = regex.search(r"Current STYLE.md \((\d+) of 4000 characters", prompt)[1]
    from writebot.claude.text_editor_tool import PipelineEditor

    said = PipelineEditor(pipeline.files, 4000).run({"command": "create", "path": "/pipeline/STYLE.md",
                                                     "file_text": pipeline.files["STYLE.md"]})[0]
    assert f"saved ({counted} of 4000 characters" in said


def test_the_edit_analysis_labels_an_inserted_sentence_as_one_and_leaves_nothing_unsaid():
    """The optimizer once read "insert (heading): '' -> 'Can you smell it? Sniff, sniff!'" and "... 39 more"."""
    from writebot.engines.claude import describe_spans

    said = describe_spans("# T\n\n## Smell\n\nBread is good.\n", "# T\n\n## Smell\n\nCan you smell it? Sniff, sniff! "
                          "Bread is good.\n")
    assert said == "- insert (whole_sentence): '' -> 'Can you smell it? Sniff, sniff!'"
    words = [f"w{i}" for i in range(150)]
    draft = "# T\n\n" + " ".join(words) + ".\n"
    truth = "# T\n\n" + " ".join(w.upper() if i % 2 else w for i, w in enumerate(words)) + ".\n"
    said = describe_spans(draft, truth)
    assert said.count("\n- replace") == 59 and "and 15 more edits, not listed: 15 replace (sentence)" in said


def test_the_offline_engine_does_exactly_what_the_phrasings_say():
    """Each documented form, applied offline, does what rule_phrasings.md says of it."""
    def apply(line, text):
        return parse_rule(line).apply(text)

    post = "# T\n\nHi there!\n\nTo be honest, utilize it! Wow!\n\n## Utilize It\n\nBye.\n"
    assert apply('Replace "To be honest, " with "".', post).split("\n\n")[2] == "utilize it! Wow!"
    assert "use it!" in apply('Replace "utilize" with "use".', post) and "## Use It" in apply(
        'Replace "utilize" with "use".', post)
    assert apply('Replace "!" with ".", even inside words.', "# T\n\nGo!Now! Wow!\n") == "# T\n\nGo.Now. Wow.\n"
    assert apply('Replace "ill" with "sick".', "# T\n\nIll, still ill.\n") == "# T\n\nSick, still sick.\n"
    assert apply("Open with the line: Hi friends,", post).split("\n\n")[1] == "Hi friends,"
    assert apply("Close with the line: Thanks for reading!", post).rstrip().endswith("Thanks for reading!")
    assert apply('Drop any sentence containing "to BE honest" or "wow"', post).split("\n\n")[2] == "## Utilize It"
    assert "## utilize it" in apply("Write headings in lower case.", post)
