"""Which post to correct next (docs/FORMATS.md §1 --select, notebook 02): order, random and active selection; val
every N rounds; the person's effort in the record; notebook 02's proposal with its reason."""


import pandas as pd
import pytest

from writebot import bundled
from writebot.engines.writer import skeleton
from writebot.loop.next_topic import Chooser
from writebot.loop.registry import build_engine
from writebot.runs import RunOptions, continue_run, start_run
from writebot.store.formats import DraftRecord
from writebot.store.run_folder import RunStore
from writebot.text.pipeline import Pipeline
from writebot.text.topics import Topic, load_topics

from .conftest import KilledAfterUpdates

START = Pipeline.load(bundled.starter_pipeline())


def brief(topic_id, *points):
    return Topic(topic_id, f"About {topic_id.title()}", points, None, "train")


def corrected(topic, draft, truth, epoch=0, feedback=()):
    return DraftRecord(epoch=epoch, topic_id=topic.id, split="train", version="v", topic=topic.to_dict(), draft=draft,
                       ground_truth=truth, feedback=list(feedback))


def records_of(run_dir):
    return RunStore.open(run_dir).draft_records


def test_order_and_random_keep_to_the_file_and_the_seed():
    topics = [brief(f"t{i}", "A point.") for i in range(6)]
    assert Chooser("order").pick(topics[2:], [], START).topic.id == "t2"
    firsts = {Chooser("random", seed).pick(topics, [], START, 0, topics).topic.id for seed in range(8)}
    assert len(firsts) > 1  # the seed matters
    one = [Chooser("random", 3).pick(topics[k:], [], START, 1, topics).topic.id for k in range(3)]
    assert one == [Chooser("random", 3).pick(topics[k:], [], START, 1, topics).topic.id for k in range(3)]


def test_active_picks_the_post_that_tests_a_swap_seen_on_one_post_and_says_so():
    """The user swapped "bicycle" for "bike" on one post: a rule the learner cannot keep on one post's word. Of the
    backlog, only the topic whose draft says "bicycle" can confirm it; active picks it, whatever its place."""
    engine = build_engine("rules")
    first = brief("first", "Oil the bicycle chain every week.", "Keep the rag clean.")
    seen = engine.write(START, first)
    records = [corrected(first, seen, seen.replace("bicycle", "bike"))]
    backlog = [brief("plain", "Sleep well before the race.", "Drink water."),
               brief("other", "Stretch after running.", "Rest on Sundays."),
               brief("tester", "Clean the bicycle after rain.", "Drink water.")]
    chooser = Chooser("active", 0, skeleton, engine.write)
    ranked = chooser.rank(backlog, records, START)
    assert ranked[0].topic.id == "tester"
    assert ranked[0].why.startswith("tests 1 rule your corrections suggest but do not settle (1 seen on only one "
                                    'post): Replace "bicycle" with "bike".')
    assert Chooser("order").pick(backlog, records, START).topic.id == "plain"
    # once the guide has the rule, nothing is left to test there
    style = START.style
    learned = START.with_style(style.__class__(style.prose, (*style.rules, 'Replace "bicycle" with "bike".'),
                                               style.notes, style.tail))
    assert not any("bicycle" in pick.why for pick in chooser.rank(backlog, records, learned))


def test_with_claude_the_brief_stands_in_and_the_reason_says_so():
    first = brief("first", "Oil the bicycle chain.")
    records = [corrected(first, "# T\n\nOil the bicycle chain.\n", "# T\n\nOil the bike chain.\n")]
    backlog = [brief("plain", "Drink water."), brief("tester", "Clean the bicycle.")]
    pick = Chooser("active").pick(backlog, records, START)
    assert pick.topic.id == "tester" and "judged on the brief" in pick.why


def test_ranking_a_thousand_topic_backlog_is_quick_enough_to_wait_for():
    """(The figure is bench/active.py's; this only guards against an order of magnitude.)"""
    import time

    from writebot.testing.topics import generate_topics

    engine = build_engine("rules")
    backlog = generate_topics(1000, seed=3)
    draft = engine.write(START, backlog[0])
    records = [corrected(backlog[0], draft, draft.replace("Utilize", "Use").replace("!", "."))]
    started = time.perf_counter()
    ranked = Chooser("active", 0, skeleton, engine.write).rank(backlog[1:], records, START)
    assert len(ranked) == 999 and time.perf_counter() - started < 5


@pytest.mark.slow
@pytest.mark.parametrize("select", ["order", "random", "active"])
def test_each_pass_drafts_every_train_topic_once_with_val_every_n_rounds(tmp_path, cli, topics_file, select):
    code, _, err = cli("simulate", "--topics", topics_file, "--persona", bundled.persona("noisy-casual"),
                       "--online", "--epochs", "2", "--select", select, "--val-every", "2", "--out", tmp_path / "r")
    assert code == 0, err
    records = records_of(tmp_path / "r")
    train = sorted((r for r in records if r.split == "train"), key=lambda r: r.epoch)
    topics = [t.id for t in load_topics(topics_file) if t.split == "train"]
    assert [r.epoch for r in train] == list(range(2 * len(topics)))  # one train topic a round
    for n in range(2):
        assert sorted(r.topic_id for r in train[n * len(topics):(n + 1) * len(topics)]) == sorted(topics)
    rounds = 2 * len(topics)
    assert sorted({r.epoch for r in records if r.split == "val"}) == [*range(0, rounds, 2), rounds]
    config = RunStore.open(tmp_path / "r").config
    assert (config["select"], config["val_every"]) == (select, 2)
    assert all(r.effort_seconds is None and r.effort_words is None for r in records)  # nobody typed
    assert (tmp_path / "r" / "val_by_posts.png").stat().st_size > 10_000
    if select == "order":
        assert [r.topic_id for r in train[:len(topics)]] == topics


def test_active_selection_resumes_as_it_would_have_gone_on(tmp_path, topics_file):
    options = RunOptions(online=True, epochs=1, select="active", val_every=3)
    persona = bundled.persona("noisy-casual")
    with start_run(tmp_path / "a", topics_file, persona, bundled.starter_pipeline(), options, "test") as run:
        continue_run(run)
    with start_run(tmp_path / "b", topics_file, persona, bundled.starter_pipeline(), options, "test") as run:
        with pytest.raises(KeyboardInterrupt):
            _train_until(run, KilledAfterUpdates(3))
    with RunStore.open_for_writing(tmp_path / "b", "resume") as run:
        continue_run(run)
    a, b = (sorted((r.epoch, r.topic_id, r.word_edit_distance) for r in records_of(tmp_path / x))
            for x in "ab")
    assert a == b


def _train_until(run, callbacks):
    from writebot.loop.next_topic import Chooser
    from writebot.loop.trainer import Online, train
    from writebot.users import PersonaUser, load_persona

    engine = build_engine("rules")
    train(run, engine, PersonaUser(load_persona(run.input_path("persona.yaml"))),
          load_topics(run.input_path("topics.yaml")), run.load_version(0), 1, callbacks,
          online=Online("active", 3, 0), chooser=Chooser("active", 0, skeleton, engine.write))


@pytest.mark.parametrize("args, flag", [(["--select", "active"], "--select"), (["--val-every", "2"], "--val-every")])
def test_selection_belongs_to_an_online_run(cli, tmp_path, topics_file, args, flag):
    code, _, err = cli("simulate", "--topics", topics_file, "--persona", bundled.persona("warm-casual"), *args,
                       "--out", tmp_path / "r")
    assert code == 2 and f"{flag} belongs to an online run" in err and not (tmp_path / "r").exists()


@pytest.mark.slow
def test_a_person_s_effort_is_recorded_and_reported_and_the_next_topic_proposed(tmp_path, cli):
    from writebot.notebook.workbench import Workbench
    from writebot.users.effort import Effort

    workbench = Workbench.open(tmp_path / "hand", engine="rules")
    pick = workbench.next_topic()
    assert pick.topic in workbench.topics and pick.why
    draft = workbench.draft(pick.topic)
    workbench.submit(pick.topic, draft, "Plain words.", draft.replace("!", "."), Effort(42.5, 9))
    proposal = workbench.propose()
    workbench.apply(proposal, {h.id for h in proposal.hunks})
    after = workbench.next_topic()
    assert after.topic.id != pick.topic.id  # a topic never corrected comes first
    workbench.close()
    [record] = records_of(tmp_path / "hand")
    assert (record.effort_seconds, record.effort_words) == (42.5, 9)
    history = pd.read_csv(tmp_path / "hand" / "history.csv")
    assert list(history[["effort_seconds", "effort_words"]].iloc[0]) == [42.5, 9]
    update = RunStore.open(tmp_path / "hand").update_records[-1]
    assert update.hunks_reviewed == len(proposal.hunks) > 0
    code, out, _ = cli("report", tmp_path / "hand")
    header, _, first = out.splitlines()[:3]
    assert "seconds" in header and "typed" in header and "42" in first and "9.0" in first
    assert "the person's time from the draft shown to Submit" in out
