"""Kinds of post (docs/FORMATS.md §2, §3c, §11, issue 24): a brief says its kind; STYLE.md holds `## Rules for
<kind>` sections a post of that kind reads after the general rules, and nothing written for other kinds; the rules
learner puts what one kind's edits ask in that kind's section; a persona edits per kind."""

import json

import pytest

from writebot import bundled
from writebot.claude.llm import DEFAULT_MODEL, LLM
from writebot.engines import Evidence
from writebot.loop.registry import build_engine
from writebot.store.check import problems
from writebot.store.formats import DraftRecord
from writebot.store.run_folder import RunStore
from writebot.text.kinds import examples_for, style_for, unseen
from writebot.text.pipeline import Pipeline, Style
from writebot.text.rule_language import Contractions, OpenWith
from writebot.text.topics import Topic, load_topics, parse_topics
from writebot.users import PersonaUser, load_persona, parse_persona

GUIDE = """# Style

Plain words.

## Rules

- Replace "utilize" with "use".

## Rules for recipe

- Avoid contractions: write "do not", "it is", "we are", "cannot", ...
- Open with the line: Serves two.

## Rules for story

- Use contractions (don't, it's, we're, can't, ...).
- Open with the line: Once upon a time,
"""
KINDED = Pipeline({"STYLE.md": GUIDE, "steps/01.md": "Draft it.\n",
                   "examples/recipe/cake.md": "# Cake\n\nServes two.\n\nMix.\n",
                   "examples/story/bike.md": "# Bike\n\nOnce upon a time,\n\nA bike.\n",
                   "examples/plain.md": "# P\n\nX.\n"})
RECIPE = Topic("cake", "Lemon Cake", ("It is done when a skewer comes out clean.",), None, "train", "recipe")
STORY = Topic("bike", "Learning To Ride", ("It is never too late to learn.",), None, "train", "story")


def test_a_topic_says_its_kind_and_a_bad_kind_is_one_line(tmp_path):
    topics = parse_topics([{"id": "a", "title": "A", "points": ["x"], "split": "train", "kind": "recipe"},
                           {"id": "b", "title": "B", "points": ["y"], "split": "train"}], "t.yaml")
    assert [t.kind for t in topics] == ["recipe", None]
    assert Topic.from_dict(topics[0].to_dict()) == topics[0] and "kind" not in topics[1].to_dict()
    with pytest.raises(Exception) as bad:
        parse_topics([{"id": "a", "title": "A", "points": ["x"], "split": "train", "kind": "Big Recipes!"}], "t.yaml")
    assert "t.yaml: topic 1 ('a'): 'kind'" in str(bad.value) and "\n" not in str(bad.value)
    assert {t.kind for t in load_topics(bundled.starter_topics())} == {"recipe", "habit", "how-to"}


def test_a_guide_holds_a_section_per_kind_and_a_post_reads_its_own():
    style = Style.parse(GUIDE)
    assert style.rules == ('Replace "utilize" with "use".',) and dict(style.kinds)["recipe"][1].startswith("Open")
    assert Style.parse(style.render()) == style
    assert style.parsed_rules("recipe")[-1] == OpenWith("Serves two.") and len(style.parsed_rules(None)) == 1
    read = style_for(GUIDE, "recipe")
    assert "Serves two." in read and "Once upon a time" not in read and "Rules for story" not in read
    assert style_for(GUIDE, None) == GUIDE.split("## Rules for recipe")[0]
    assert sorted(examples_for(KINDED, "recipe")) == ["examples/plain.md", "examples/recipe/cake.md"]
    assert sorted(examples_for(KINDED, "poem")) == sorted(KINDED.examples)  # a kind with none: all of them
    assert unseen(KINDED, "recipe") is None and "no rules for kind 'poem'" in unseen(KINDED, "poem")


def test_the_offline_writer_applies_the_general_rules_then_its_kinds():
    engine = build_engine("rules")
    recipe, story = engine.write(KINDED, RECIPE), engine.write(KINDED, STORY)
    assert "\n\nServes two.\n\n" in recipe and "It is done" in recipe and "Once upon" not in recipe
    assert "\n\nOnce upon a time,\n\n" in story and "It's never too late" in story
    plain = engine.write(KINDED, Topic("p", "Plain", ("It is plain.",)))
    assert "Serves two." not in plain and "Once upon" not in plain and "It is plain." in plain


def test_the_claude_writer_sends_a_recipe_its_rules_and_examples_and_nothing_of_a_story(sim):
    starter = Pipeline.load(bundled.starter_pipeline())  # a prefix long enough to be cached
    big = Pipeline({**starter.files, **{p: t for p, t in KINDED.files.items() if p.startswith("examples/")},
                    "STYLE.md": starter.files["STYLE.md"] + "\n" + GUIDE[GUIDE.index("## Rules for recipe"):]})
    assert dict(big.style.kinds)["story"]
    engine = build_engine("claude", llm=LLM(DEFAULT_MODEL))
    engine.write(big, RECIPE)
    engine.write(big, Topic("pie", "Apple Pie", ("Bake it for an hour.",), None, "train", "recipe"))
    engine.write(big, STORY)
    drafts = [r for r in sim.requests if r["max_tokens"] != 0]
    recipe = drafts[0]["system"][0]["text"]
    assert "Serves two." in recipe and "recipe/cake.md" in recipe and "plain.md" in recipe
    assert "Once upon a time" not in recipe and "story/bike.md" not in recipe and "Rules for story" not in recipe
    assert drafts[0]["system"] == drafts[1]["system"] != drafts[2]["system"]
    warm = [r for r in sim.requests if r["max_tokens"] == 0]  # one cache write per kind and version
    assert len(warm) == 2 and {json.dumps(w["system"]) for w in warm} == {json.dumps(drafts[0]["system"]),
                                                                          json.dumps(drafts[2]["system"])}


def test_a_persona_edits_per_kind_after_its_general_edits():
    persona = parse_persona({"name": "p", "edits": [{"replace": {"old": "utilize", "new": "use"}}],
                             "kinds": {"recipe": [{"contractions": "expand"}], "story": [{"open_with": "Hey,"}]}},
                            "p.yaml")
    assert [r for r, _ in persona.edits_for("recipe")][-1] == Contractions("expand")
    assert len(persona.edits_for(None)) == len(persona.edits_for("poem")) == 1
    user = PersonaUser(persona)
    draft = "# T\n\nIt's done. Utilize it.\n"
    assert user.review(Topic("t", "T", ("It is done.",), kind="recipe"), draft).ground_truth == \
        "# T\n\nIt is done. Use it.\n"
    assert user.review(Topic("t", "T", ("It is done.",), kind="story"), draft).ground_truth.startswith("# T\n\nHey,")
    with pytest.raises(Exception) as bad:
        parse_persona({"name": "p", "edits": [], "kinds": {"recipe": [{"open_with": None}]}}, "p.yaml")
    assert "p.yaml: kinds recipe edit 1: 'open_with' has no value" in str(bad.value)


def test_the_learner_writes_what_one_kind_asks_in_that_kinds_section():
    """many-hats (bundled): recipes expand, habit posts contract; each its own greeting and sign-off. No general
    rule flips between them; the rules every kind shares are general."""
    persona = load_persona(bundled.persona("many-hats"))
    user, engine = PersonaUser(persona), build_engine("rules")
    start = Pipeline.load(bundled.starter_pipeline())
    topics = [t for t in load_topics(bundled.starter_topics()) if t.split == "train"]
    pairs = []
    for topic in topics:
        draft = engine.write(start, topic)
        review = user.review(topic, draft)
        pairs.append(Evidence(topic, 0, draft, tuple(review.feedback), review.ground_truth))
    style = engine.update(start, pairs).pipeline.style
    sections = dict(style.kinds)
    assert 'Replace "utilize" with "use".' in style.rules
    assert not any("contractions" in line.lower() for line in style.rules)
    assert any(line.startswith("Avoid contractions") for line in sections["recipe"])
    assert any(line.startswith("Use contractions") for line in sections["habit"])
    assert "Open with the line: Serves two." in sections["recipe"]
    assert "Open with the line: Hi friends," in sections["habit"]
    assert not any("Serves two" in line for line in sections["habit"] + sections["how-to"] + style.rules)


def test_a_persona_with_one_taste_learns_the_same_guide_with_kinds_or_without():
    persona, engine = load_persona(bundled.persona("warm-casual")), build_engine("rules")
    start = Pipeline.load(bundled.starter_pipeline())
    topics = [t for t in load_topics(bundled.starter_topics()) if t.split == "train"]

    def learned(kinded: bool):
        pairs = []
        for topic in topics if kinded else [Topic(t.id, t.title, t.points, t.audience, t.split) for t in topics]:
            draft = engine.write(start, topic)
            review = PersonaUser(persona).review(topic, draft)
            pairs.append(Evidence(topic, 0, draft, tuple(review.feedback), review.ground_truth))
        return engine.update(start, pairs).pipeline.style

    with_kinds, without = learned(True), learned(False)
    assert with_kinds.kinds == () and with_kinds.rules == without.rules


def test_history_says_each_drafts_kind_and_an_older_run_still_checks_sound(tmp_path, cli):
    code, _, err = cli("simulate", "--topics", bundled.starter_topics(), "--persona", bundled.persona("many-hats"),
                       "--epochs", "1", "--out", tmp_path / "run")
    assert code == 0, err
    header, *rows = (tmp_path / "run" / "history.csv").read_text().splitlines()
    assert header.endswith(",kind") and {row.rsplit(",", 1)[1] for row in rows} == {"recipe", "habit", "how-to"}
    run = RunStore.open(tmp_path / "run")
    assert {r.kind for r in run.draft_records} == {"recipe", "habit", "how-to"} and problems(run) == []
    older = [line.rsplit(",", 1)[0] for line in [header, *rows]]  # history.csv as a run before kinds wrote it
    (tmp_path / "run" / "history.csv").write_text("\n".join(older) + "\n")
    assert problems(RunStore.open(tmp_path / "run")) == []


def test_writebot_write_takes_a_kind_and_says_when_the_guide_has_never_seen_it(tmp_path, cli):
    guide = tmp_path / "guide"
    KINDED.save(guide)
    code, out, err = cli("write", guide, "--title", "Lemon Cake", "--point", "It is done when it is golden.",
                         "--kind", "recipe")
    assert code == 0 and "Serves two." in out and "no rules for kind" not in err
    code, out, err = cli("write", guide, "--title", "Ode", "--point", "It is spring.", "--kind", "poem")
    assert code == 0 and "Serves two." not in out and "no rules for kind 'poem'" in err
    code, _, err = cli("write", guide, "--title", "Ode", "--point", "x", "--kind", "Big Poems!")
    assert code == 2 and "a kind is a short label" in err


def test_writebot_edit_reads_the_topics_kind(tmp_path, cli):
    draft = tmp_path / "d.md"
    draft.write_text("# Keeping A Sourdough Starter Alive\n\nIt's easy to keep a starter alive if you feed it.\n")
    code, out, _ = cli("edit", "--persona", bundled.persona("many-hats"), "--topics", bundled.starter_topics(),
                       "--topic-id", "sourdough-starter", draft)
    assert code == 0 and "\n\nServes two.\n\n" in out and "It is easy" in out and "Bon appetit." in out


def test_the_report_and_the_tracker_show_the_cost_per_kind(tmp_path, cli):
    code, _, err = cli("simulate", "--topics", bundled.starter_topics(), "--persona", bundled.persona("many-hats"),
                       "--epochs", "1", "--out", tmp_path / "run")
    assert code == 0, err
    code, out, _ = cli("report", tmp_path / "run")
    table = out.split("per kind of post (mean per post):\n", 1)[1].splitlines()
    assert code == 0 and [row.split()[0] for row in table[2:5]] == ["habit", "how-to", "recipe"]
    before, after = float(table[4].split()[2]), float(table[4].split()[3])  # recipe: val words, epoch 0 and 1
    assert after < before and (tmp_path / "run" / "cost_per_kind.png").exists()
    from writebot.report import summary_tables
    from writebot.tracking import epoch_metrics

    run = RunStore.open(tmp_path / "run")
    assert any("Per kind of post" in caption for caption, _ in summary_tables(run))
    metrics = epoch_metrics(run, 1)
    assert {"val_word_edit_distance_recipe", "val_word_edit_distance_habit"} <= set(metrics)
    assert metrics["val_word_edit_distance_recipe"] == after


def test_the_claude_optimizer_is_told_how_sections_work_and_sees_the_drafts_grouped_by_kind(sim):
    engine = build_engine("claude", llm=LLM(DEFAULT_MODEL))
    start = Pipeline.load(bundled.starter_pipeline())
    topics = [t for t in load_topics(bundled.starter_topics()) if t.split == "train"]
    user = PersonaUser(load_persona(bundled.persona("many-hats")))
    offline = build_engine("rules")
    pairs = [Evidence(t, 0, d := offline.write(start, t), (), user.review(t, d).ground_truth) for t in topics]
    prompt = engine._update_prompt(start, pairs, [])
    assert '"## Rules for <kind>"' in prompt
    assert "habit (5 reviewed), how-to (8 reviewed), recipe (3 reviewed)" in prompt
    kinds = [line.split(": ", 1)[1] for line in prompt.splitlines() if line.startswith("Kind of post: ")]
    assert kinds == sorted(kinds) and set(kinds) == {"habit", "how-to", "recipe"}  # grouped, every kind shown
    plain = engine._update_prompt(start, [Evidence(Topic(e.topic.id, e.topic.title, e.topic.points), 0, e.draft,
                                                   (), e.ground_truth) for e in pairs], [])
    assert "Rules for" not in plain and "Kind of post" not in plain


def test_lint_reads_the_kind_sections():
    from writebot.text.lint import CONTRADICTION, UNUSED_KIND, lint

    assert lint(KINDED) == []  # a kind's rules that decide what the general ones decide override them: no finding
    assert [f.kind for f in lint(KINDED, kinds=["recipe"])] == []  # story has an example
    odd = KINDED.with_file("STYLE.md", GUIDE + "\n## Rules for poem\n\n- Use contractions (don't, it's, we're, "
                                               "can't, ...).\n- Avoid contractions: write \"do not\", \"it is\", "
                                               "\"we are\", \"cannot\", ...\n")
    found = lint(odd, kinds=["recipe", "story"])
    assert [f.kind for f in found] == [UNUSED_KIND, CONTRADICTION]
    assert "'## Rules for poem': no topic and no example is of kind 'poem'" in found[0].message
    assert "in '## Rules for poem'" in found[1].message


def test_lint_flags_a_general_rule_only_one_kinds_edits_ask_for():
    from writebot.text.lint import ONE_KIND, Source, lint

    guide = GUIDE.replace('- Replace "utilize" with "use".', '- Replace "in order to" with "to".\n'
                                                             '- Replace "utilize" with "use".')
    pipeline = KINDED.with_file("STYLE.md", guide)
    base = "# T{n}\n\nHello.\n\nWe utilize it in order to learn.\n"
    recipe = "# T{n}\n\nServes two.\n\nWe use it to learn.\n"

    def sources(story_body: str) -> list[Source]:
        recipes = [Source(base.format(n=n), None, recipe.format(n=n), "recipe", f"r{n}") for n in range(4)]
        stories = [Source(base.format(n=n), None, f"# T{n}\n\nOnce upon a time,\n\n{story_body}\n", "story", f"s{n}")
                   for n in range(4)]
        return recipes + stories

    # the story posts keep "in order to" (they undo the general rule on every post): the rule is the recipes'
    found = [f for f in lint(pipeline, sources("We use it in order to learn.")) if f.kind == ONE_KIND]
    assert len(found) == 1 and found[0].line == guide.splitlines().index('- Replace "in order to" with "to".') + 1
    assert "only the recipe posts' edits ask for it" in found[0].message
    assert "move it to '## Rules for recipe'" in found[0].message
    # both kinds write "to": a rule of every post, and "utilize" -> "use", which both want, is never flagged
    assert [f for f in lint(pipeline, sources("We use it to learn.")) if f.kind == ONE_KIND] == []
    # posts of one kind only tell nothing of the others; nor do sources without a ground truth (dead rules only)
    assert [f for f in lint(pipeline, sources("We use it in order to learn.")[:4]) if f.kind == ONE_KIND] == []
    assert [f for f in lint(pipeline, [Source(s.text) for s in sources("")]) if f.kind == ONE_KIND] == []
    # a general rule every other kind's section overrides changes nothing there: no finding
    opener = GUIDE.replace('- Replace "utilize" with "use".', "- Open with the line: Serves two.")
    lines = [Source("# T\n\nWe use it.\n", None, "# T\n\nServes two.\n\nWe use it.\n", "recipe", f"r{n}")
             for n in range(4)]
    lines += [Source("# T\n\nWe use it.\n", None, "# T\n\nOnce upon a time,\n\nWe use it.\n", "story", f"s{n}")
              for n in range(4)]
    assert [f for f in lint(KINDED.with_file("STYLE.md", opener), lines) if f.kind == ONE_KIND] == []


def test_the_runs_lint_reads_each_topics_latest_ground_truth_and_kind():
    from writebot.text.lint import Source, run_sources

    records = [DraftRecord(topic_id=t.id, topic=t.to_dict(), kind=t.kind, epoch=e, split="train", version="v",
                           draft=f"d{e}", feedback=[], ground_truth=f"{t.id} {e}")
               for e in (0, 1) for t in (RECIPE, STORY)]
    base = run_sources(records, lambda epoch: (), lambda topic: f"base {topic.id}")
    assert base == [Source("base cake", None, "cake 1", "recipe", "cake"), Source("base bike", None, "bike 1", "story",
                                                                                  "bike")]
    drafts = run_sources(records, lambda epoch: (f"rule {epoch}",), None)
    assert drafts[-1] == Source("d1", frozenset({"rule 1"}), "bike 1", "story", "bike")


def test_the_retrieve_baseline_writes_each_post_with_the_rules_of_its_nearest_reviewed_briefs():
    """CIPHER offline: one post's preference inferred and kept with its brief; a new post takes the rules most of
    its nearest briefs hold. It knows no kinds."""
    from writebot.engines.retrieve import K, memory, retrieved

    persona = load_persona(bundled.persona("many-hats"))
    user, engine = PersonaUser(persona), build_engine("rules-retrieve")
    start = Pipeline.load(bundled.starter_pipeline())
    topics = load_topics(bundled.starter_topics())
    pairs = [Evidence(t, 0, d := engine.write(start, t), (), user.review(t, d).ground_truth)
             for t in topics if t.split == "train"]
    learned = engine.update(start, pairs).pipeline
    assert set(memory(learned)) == {e.topic.id for e in pairs} and learned.style == start.style
    bread = next(t for t in topics if t.id == "bread-loaf")  # a val recipe: its nearest briefs decide
    rules = retrieved(learned, bread)
    assert K == 3 and rules and engine.write(learned, bread) != engine.write(start, bread)
    assert engine.update(learned, pairs).pipeline == learned  # a context is inferred once per pair


def test_the_widgets_show_the_posts_kind_and_the_section_an_update_changes():
    from writebot.engines.base import Update
    from writebot.notebook.widgets import FeedbackEditor, UpdateReview
    from writebot.notebook.workbench import Proposal
    from writebot.text.pipeline import hunks

    editor = FeedbackEditor("Lemon Cake", "# Lemon Cake\n\nMix.\n", lambda *a: "", points=("Mix.",), kind="recipe")
    assert "kind of post: recipe" in editor.children[0].value
    assert "kind of post" not in FeedbackEditor("X", "# X\n\nY.\n", lambda *a: "").children[0].value
    changed = KINDED.with_file("STYLE.md", GUIDE.replace("Serves two.", "Serves four."))
    review = UpdateReview(Proposal(KINDED, Update(changed, "recipes serve four"), hunks(KINDED, changed)),
                          lambda accepted: None)
    shown = "".join(child.value for row in review.children for child in getattr(row, "children", [])
                    if isinstance(getattr(child, "value", None), str))
    assert "STYLE.md (line" in shown and "under ## Rules for recipe" in shown


def test_an_example_of_a_kind_is_held_to_the_general_rules_then_its_kinds():
    from writebot.text.lint import EXAMPLE, lint

    ok = KINDED.with_file("examples/recipe/cake.md", "# Cake\n\nServes two.\n\nMix it.\n")
    assert [f for f in lint(ok) if f.kind == EXAMPLE and "cake" in f.message] == []
    off = KINDED.with_file("examples/recipe/cake.md", "# Cake\n\nServes two.\n\nIt's mixed.\n")
    found = [f.message for f in lint(off) if f.kind == EXAMPLE and "cake" in f.message]
    assert found and "Avoid contractions" in found[0]


def test_an_export_keeps_the_sections_and_says_which_applies_to_which_kind(tmp_path):
    from writebot.report.export import export

    export(KINDED, "skill", tmp_path / "skill" / "my-voice")
    export(KINDED, "claude-code", tmp_path / "cc")
    skill = (tmp_path / "skill" / "my-voice" / "SKILL.md").read_text()
    memory = (tmp_path / "cc" / "CLAUDE.md").read_text()
    for text in (" ".join(skill.split()), " ".join(memory.split())):
        assert "a voice per kind of post (recipe, story)" in text and '"## Rules for <kind>" section' in text
    assert "## Rules for recipe" in (tmp_path / "skill" / "my-voice" / "references" / "STYLE.md").read_text()
    export(Pipeline.load(bundled.starter_pipeline()), "skill", tmp_path / "plain" / "my-voice")
    assert "voice per kind" not in (tmp_path / "plain" / "my-voice" / "SKILL.md").read_text()


def test_the_workbench_dashboard_shows_the_cost_per_kind(tmp_path):
    """Notebook 02: once a draft of a kinded topic is submitted, the dashboard shows the learning curve, the table
    per kind and its curve."""
    from unittest import mock

    from writebot.notebook.widgets import TrainingApp
    from writebot.notebook.workbench import Workbench

    shown = []
    with mock.patch("writebot.notebook.widgets.display", side_effect=lambda *a: shown.extend(a)):
        app = TrainingApp(Workbench.open(tmp_path / "run", engine="rules"))
        app.editor.feedback.value = 'Say "use", not "utilize".'
        app.editor.suggest.click()
        app.editor.submit.click()
    tables = [x for x in shown if type(x).__name__ == "DataFrame"]
    assert tables and tables[-1].index.name == "kind" and "recipe" in tables[-1].index
    assert sum(type(x).__name__ == "Figure" for x in shown) >= 2
