"""Writing with the trained bot (docs/FORMATS.md §1 `writebot write`, §5 examples, §7 exports): posts that keep every
point and open and close with the learned lines; examples that agree with the guide; a writer that sees only what
is meant for writing; offline posts whose headings come from their points."""

import pytest

from writebot import bundled
from writebot.compare.faithfulness import OfflineJudge
from writebot.engines.claude import system_prefix
from writebot.engines.rules import RulesEngine
from writebot.engines.writer import heading_for, skeleton
from writebot.store.formats import UpdateRecord
from writebot.store.run_folder import RunStore
from writebot.testing.replies import judge_reply, text_reply
from writebot.testing.topics import generate_topics
from writebot.text.hygiene import damage, violations
from writebot.text.lint import EXAMPLE, lint
from writebot.text.pipeline import Pipeline
from writebot.text.post import Post, is_heading, sentences
from writebot.text.topics import load_topics


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from writebot.cli import main

    out = tmp_path_factory.mktemp("demo") / "run"
    assert main(["demo", "--out", str(out)]) == 0
    return out


@pytest.mark.slow
def test_writing_with_the_demo_run_keeps_every_point_and_the_learned_lines(cli, demo, tmp_path):
    code, _, err = cli("write", demo, "--topics", bundled.starter_topics(), "--out", tmp_path / "posts")
    assert code == 0, err
    guide = RunStore.open(demo).load_version(3).style.parsed_rules()
    opening = next(r.line for r in guide if r.kind == "open_with")
    closing = next(r.line for r in guide if r.kind == "close_with")
    topics = load_topics(bundled.starter_topics())
    for topic in topics:
        post = (tmp_path / "posts" / f"{topic.id}.md").read_text()
        body = Post.parse(post).body
        assert body[0] == opening and body[-1] == closing, topic.id
        assert OfflineJudge().judge(topic, post).points_kept == 1.0, topic.id
        assert violations(post) == [] and damage(post) == []
        assert f"{tmp_path / 'posts' / topic.id}.md: {len(topic.points)}/{len(topic.points)} points kept" in err


def test_one_post_from_a_title_and_points_goes_to_stdout_or_a_file(cli, demo, tmp_path):
    code, out, err = cli("write", demo, "--title", "Making Cold Brew", "--point", "Use a coarse grind.",
                         "--point", "Steep it for twelve hours in the fridge.")
    assert code == 0 and out.startswith("# Making cold brew\n") and "Steep it for twelve hours" in out
    assert "2/2 points kept" in err
    target = tmp_path / "brew.md"
    assert cli("write", demo, "--title", "Cold Brew", "--point", "Grind coarse.", "--out", target)[0] == 0
    code, _, err = cli("write", demo, "--title", "Cold Brew", "--point", "Grind it.", "--out", target)
    assert code == 2 and "exists" in err and "--force" in err and "Grind coarse." in target.read_text()
    assert cli("write", demo, "--title", "Cold Brew", "--point", "Grind it.", "--out", target, "--force")[0] == 0
    assert "Grind it." in target.read_text()


@pytest.mark.parametrize("args, message", [
    (["--title", "T"], "needs --title TEXT and at least one --point"),
    (["--topics", "TOPICS"], "add --out DIR"),
    (["--topics", "TOPICS", "--out", "OUT", "--topic-id", "nope"], "--topic-id nope: not in"),
    ([], "nothing to write"),
    (["--topics", "TOPICS", "--title", "T", "--point", "p"], "--topics and --title"),
])
def test_bad_input_is_one_line_and_exit_2(cli, demo, tmp_path, args, message):
    args = [str(bundled.starter_topics()) if a == "TOPICS" else str(tmp_path / "o") if a == "OUT" else a
            for a in args]
    code, out, err = cli("write", demo, *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and out == ""


def test_a_run_writes_with_its_last_kept_version(tmp_path, demo):
    import shutil

    run_dir = tmp_path / "run"
    shutil.copytree(demo, run_dir)
    assert RunStore.open(run_dir).last_kept_version() == 3
    with RunStore.open_for_writing(run_dir, "test") as run:  # the last update is rolled back after the fact
        run.record_update(UpdateRecord(epoch=2, kind="gate", status="rolled_back", train_cost_before=0,
                                       train_cost_after=5))
    assert RunStore.open(run_dir).last_kept_version() == 2


def test_the_claude_engine_writes_with_the_drafting_request_in_a_batch_and_says_the_cost(cli, sim, tmp_path, demo):
    def respond(body):
        if (body.get("output_config") or {}).get("format"):
            return judge_reply(["kept", "kept", "kept"], [])
        return text_reply("# Cleaning A Bike Chain\n\nHi friends,\n\nUse an old toothbrush. Post.\n")

    sim.responder = respond
    code, _, err = cli("write", demo, "--engine", "claude", "--topics", bundled.starter_topics(), "--topic-id",
                       "bike-chain", "--out", tmp_path / "posts", "--batch-api")
    assert code == 0, err
    drafted = [r for r in sim.requests if r.get("system")]
    assert drafted[0]["system"][0]["text"] == system_prefix(RunStore.open(demo).load_version(3))
    assert "batch" in err and "Claude calls" in err and "$" in err
    assert (tmp_path / "posts" / "bike-chain.md").read_text().startswith("# Cleaning A Bike Chain")


def test_a_budget_stops_new_posts_and_keeps_the_written_ones(cli, sim, tmp_path, demo):
    code, _, err = cli("write", demo, "--engine", "claude", "--topics", bundled.starter_topics(), "--out",
                       tmp_path / "posts", "--max-cost-usd", "0.0001", "--concurrency", "1")
    assert code == 0 and "budget reached" in err
    written = list((tmp_path / "posts").glob("*.md"))
    assert 1 <= len(written) < 24


def test_the_writer_sees_no_note_to_the_trainer(sim):
    """The Claude writer's system prompt (the request body) holds nothing addressed to whoever trains the guide;
    the optimizer still sees it."""
    from writebot.claude.llm import LLM
    from writebot.engines.claude import ClaudeEngine

    pipeline = Pipeline.load(bundled.starter_pipeline())
    assert "For whoever trains this file" in pipeline.files["STYLE.md"]
    engine = ClaudeEngine(LLM("claude-sonnet-5-5"))
    engine.write(pipeline, load_topics(bundled.starter_topics())[0])
    sent = sim.requests[-1]["system"][0]["text"]
    for trainer_words in ("whoever trains", "training edits", "the offline engine", "optimizer", "Rule phrasings"):
        assert trainer_words not in sent
    from writebot.engines import Evidence

    topic = load_topics(bundled.starter_topics())[0]
    prompt = engine._update_prompt(pipeline, [Evidence(topic, 0, "# T\n\nA.\n", (), "# T\n\nB.\n")], [])
    assert "For whoever trains this file" in prompt  # the optimizer still reads the note


def test_examples_that_break_a_rule_are_found_and_the_learner_brings_them_in_line(cli, demo, tmp_path):
    starter = Pipeline.load(bundled.starter_pipeline())
    assert lint(starter) == []
    broken = starter.with_file("STYLE.md", starter.files["STYLE.md"].replace("Hello, dear readers!", "Hi friends,"))
    found = [f for f in lint(broken) if f.kind == EXAMPLE]
    assert {f.message.split()[0] for f in found} == {"examples/bike-chain.md", "examples/houseplants.md"}
    learned = RunStore.open(demo).load_version(3)
    assert lint(learned) == []  # the demo's learned pipeline lints clean: its examples follow the learned rules
    assert "Hi friends," in learned.files["examples/bike-chain.md"]
    update = RunStore.open(demo).update_records[0]
    assert "examples/bike-chain.md" in update.diff and "the examples follow the rules" in update.rationale


def test_export_refuses_a_pipeline_that_lints_unless_allowed(cli, demo, tmp_path):
    for fmt in ("skill", "claude-code"):
        code, _, err = cli("export", demo, "--format", fmt, "--out", tmp_path / fmt / "my-voice")
        assert code == 0, err
    starter = tmp_path / "starter"
    Pipeline.load(bundled.starter_pipeline()).save(starter)
    style = (starter / "STYLE.md").read_text().replace("Hello, dear readers!", "Hi friends,")
    (starter / "STYLE.md").write_text(style)
    code, out, err = cli("export", starter, "--format", "skill", "--out", tmp_path / "x" / "my-voice")
    assert code == 2 and "--allow-lint" in err and "example: examples/bike-chain.md" in out
    assert not (tmp_path / "x").exists()
    assert cli("export", starter, "--format", "skill", "--out", tmp_path / "x" / "my-voice", "--allow-lint")[0] == 0
    exported = (tmp_path / "claude-code" / "my-voice" / "STYLE.md").read_text()
    assert "whoever trains" not in exported and "<!--" not in exported


def test_offline_headings_come_from_the_points_they_head():
    for topic in [*load_topics(bundled.starter_topics()), *generate_topics(40, seed=6)]:
        post = Post.parse(skeleton(topic))
        body = post.body
        for n, block in enumerate(body):
            if is_heading(block):
                heading = block.lstrip("# ")
                assert body[n + 1].lower().startswith(heading.lower()), (heading, body[n + 1])
                first = sentences(body[n + 1])[0]
                assert heading == heading_for(first)[0].upper() + heading_for(first)[1:]
        assert damage(skeleton(topic)) == [] and violations(skeleton(topic)) == []


def test_no_template_sentence_breaks_on_a_title():
    """The issue's cases: "the best way to learn learning your first guitar chords", "learn a monthly budget"."""
    for topic in load_topics(bundled.starter_topics()):
        text = skeleton(topic).lower()
        assert "learn learning" not in text and "learn a monthly" not in text
        assert "mondays" not in text or "Mondays" in skeleton(topic)


def test_the_writer_follows_the_examples_shape():
    topic = load_topics(bundled.starter_topics())[0]
    starter = Pipeline.load(bundled.starter_pipeline())
    flat = starter
    for path, text in starter.examples.items():
        flat = flat.with_file(path, "\n\n".join(b for b in text.split("\n\n") if not b.startswith("## ")))
    assert any(is_heading(b) for b in Post.parse(RulesEngine().write(starter, topic)).body)
    assert not any(is_heading(b) for b in Post.parse(RulesEngine().write(flat, topic)).body)


def test_a_title_that_starts_with_about_is_not_about_about():
    from writebot.engines.writer import skeleton
    from writebot.text.topics import Topic

    for i in range(12):  # every intro and outro template the id can pick
        text = skeleton(Topic(f"t{i}", "About Plain Water", ("Drink water.",), None, "train"))
        assert "about about" not in text.lower() and "plain water" in text
