"""What a new user saw offline (issue 23): a user puts back the points a draft lost (FORMATS §3d), so a rule that
drops a point costs words and shows as lost; feedback that says "cut X; just say Y" is a replacement; a drop rule
the edits do not show is a note, not a rule; an update must not lose points on the topics seen before it."""

import pytest

from writebot import bundled
from writebot.compare.faithfulness import OfflineJudge
from writebot.engines.firings import firings
from writebot.loop.registry import build_engine
from writebot.runs import RunOptions, continue_run, start_run
from writebot.store.formats import DraftRecord
from writebot.text.pipeline import Pipeline
from writebot.text.rule_language import DropSentencesWith
from writebot.text.topics import Topic, load_topics
from writebot.users import PersonaUser, parse_persona, persona_edit, put_back

NEW_USER = {"name": "new-user", "description": "Plain and direct.", "edits": [
    {"replace": {"old": "in order to", "new": "to"}, "say": 'Cut "in order to"; just say "to".'},
    {"replace": {"old": "utilize", "new": "use"}, "say": 'Say "use", not "utilize".'},
    {"contractions": "expand"},
]}
TOPIC = Topic("starter", "Keeping A Sourdough Starter Alive",
              ("Feed it equal weights of flour and water twice a day.", "It is ready when it doubles in six hours."))


def test_the_user_puts_back_a_lost_point_before_the_sign_off_then_edits():
    draft = "# Keeping A Sourdough Starter Alive\n\nFeed it equal weights of flour and water twice a day.\n\nBye now.\n"
    back = put_back(TOPIC, draft)
    assert back.split("\n\n")[-2:] == ["It is ready when it doubles in six hours.", "Bye now.\n"]
    persona = parse_persona({"name": "p", "edits": [{"contractions": "contract"}]}, "p.yaml")
    truth, _ = persona_edit(persona, draft, TOPIC.id, TOPIC)
    assert "It's ready when it doubles in six hours." in truth  # put back first, then edited like the rest
    assert persona_edit(persona, draft, TOPIC.id)[0].count("doubles") == 0  # no brief: nothing to put back


def test_a_point_the_users_own_edits_drop_stays_out():
    persona = parse_persona({"name": "p", "edits": [{"drop_sentences_with": ["doubles"]}]}, "p.yaml")
    draft = "# Keeping A Sourdough Starter Alive\n\nFeed it equal weights of flour and water twice a day.\n"
    assert "doubles" not in persona_edit(persona, draft, TOPIC.id, TOPIC)[0]


def test_a_heading_alone_does_not_keep_a_point_and_the_user_puts_it_back():
    draft = "# Keeping A Sourdough Starter Alive\n\n## Feed it equal weights of flour and water\n\nFeed it whatever.\n"
    assert OfflineJudge().judge(TOPIC, draft).points == ("dropped", "dropped")
    assert "Feed it equal weights of flour and water twice a day." in put_back(TOPIC, draft)


def test_a_run_whose_guide_drops_a_point_records_it_as_lost_on_every_draft(tmp_path, write_yaml):
    """The starter guide plus a rule that drops the sentence of a point: the user puts the point back, so every
    draft that lost it says so (points_lost) and costs the words of the point."""
    pipeline = Pipeline.load(bundled.starter_pipeline())
    style = pipeline.files["STYLE.md"] + '- Drop any sentence containing "equal weights".\n'
    lossy = tmp_path / "lossy"
    pipeline.with_file("STYLE.md", style).save(lossy)
    topics = write_yaml("topics.yaml", [{"id": "starter", "title": TOPIC.title, "points": list(TOPIC.points),
                                         "split": "train"}, {**_bundled("houseplants"), "split": "val"}])
    persona = write_yaml("persona.yaml", {"name": "p", "edits": [{"contractions": "contract"}]})
    options = RunOptions(engine="rules-frozen", epochs=1)
    with start_run(tmp_path / "run", topics, persona, lossy, options, "simulate") as run:
        continue_run(run)
    starter = [r for r in run.draft_records if r.topic_id == "starter"]
    assert starter and all(r.points_lost == 1 and r.faithfulness.lost == [0] for r in starter)
    assert all("equal weights of flour and water twice a day" in r.ground_truth for r in starter)
    assert all(r.points_lost == 0 for r in run.draft_records if r.topic_id == "houseplants")


def _bundled(topic_id: str) -> dict:
    topic = next(t for t in load_topics(bundled.starter_topics()) if t.id == topic_id)
    return {k: v for k, v in topic.to_dict().items() if k != "split"}


@pytest.mark.slow
@pytest.mark.parametrize("online", [False, True])
def test_the_new_users_feedback_teaches_a_replacement_and_no_written_post_loses_a_point(tmp_path, write_yaml,
                                                                                        online):
    persona = write_yaml("persona.yaml", NEW_USER)
    options = RunOptions(epochs=2, online=online, select="active" if online else "order")
    with start_run(tmp_path / "run", bundled.starter_topics(), persona, bundled.starter_pipeline(), options,
                   "simulate") as run:
        continue_run(run)
    guides = [run.load_version(e).style for e in range(len(run.versions()))]
    assert not any("in order to" in line and "Drop" in line for style in guides for line in style.rules)
    assert 'Replace "in order to" with "to".' in guides[-1].rules
    engine, judge = build_engine("rules"), OfflineJudge()
    for topic in load_topics(bundled.starter_topics()):
        assert judge.judge(topic, engine.write(run.load_version(len(guides) - 1), topic)).points_kept == 1.0, topic.id


def test_a_drop_rule_is_not_confirmed_where_the_user_edited_the_sentence_instead():
    draft = "# T\n\nUse a log in order to see your progress. Keep going.\n"
    edited = "# T\n\nUse a log to see your progress. Keep going.\n"
    dropped = "# T\n\nKeep going.\n"
    rule = DropSentencesWith(("in order to",))
    assert firings(rule, [draft], [edited]).confirmed == 0
    assert firings(rule, [draft], [dropped]).confirmed == 1


def test_a_feedback_rule_the_edits_do_not_show_becomes_a_note():
    """The user asks to cut a phrase but never does: the drop rule the comment reads as is not learned; the
    comment is kept as a note."""
    engine = build_engine("rules")
    user = PersonaUser(parse_persona({"name": "p", "edits": [
        {"replace": {"old": "utilize", "new": "use"}, "say": 'Cut "in my opinion", please.'}]}, "p.yaml"))
    from .conftest import make_topics
    from .test_learner import EMPTY, collect

    evidence = collect(engine, EMPTY, user, [t for t in make_topics(8) if t.split == "train"])
    style = engine.update(EMPTY, evidence).pipeline.style
    assert not any("opinion" in line.lower() for line in style.rules), style.rules
    assert 'Cut "in my opinion", please.' in style.notes


def test_an_update_that_loses_a_point_on_an_earlier_topic_is_rolled_back():
    """Online, a round reviews one topic; the update must keep what the topics before it keep."""
    from writebot.compare.faithfulness import judge_review
    from writebot.loop.gate import Verdict, earlier_records, judge_immediate

    engine, judge = build_engine("rules"), OfflineJudge()
    start = Pipeline({"STYLE.md": "# S\n\n## Rules\n\n", "steps/01.md": "Draft.\n"})
    loses = start.with_file("STYLE.md", '# S\n\n## Rules\n\n- Drop any sentence containing "doubles".\n')
    other = Topic("other", "Watering Plants", ("Water only when the soil is dry.",))

    def record(topic, epoch):
        draft = engine.write(start, topic)
        return DraftRecord.model_validate({"topic": topic.to_dict(), "topic_id": topic.id, "epoch": epoch,
                                           "split": "train", "version": start.version_hash, "draft": draft,
                                           "feedback": [], "ground_truth": draft,
                                           **judge_review(judge, topic, draft, draft)})

    records = [record(TOPIC, 0), record(other, 1)]
    earlier = earlier_records(records, 1)
    assert [r.topic_id for r in earlier] == ["starter"]
    verdict, _, extra = judge_immediate(engine, judge, start, loses, [records[1]], 0, True)
    assert verdict == Verdict.ACCEPTED  # the round's own topic loses nothing
    verdict, _, extra = judge_immediate(engine, judge, start, loses, [records[1]], 0, True, earlier)
    assert verdict == Verdict.ROLLED_BACK and "lose 1 of the brief's points" in extra["why"]
