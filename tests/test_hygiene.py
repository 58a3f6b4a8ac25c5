"""Rules never damage the text (docs/FORMATS.md §6): any rule set applied to any draft, then the offline writer's
repair pass, gives a well-formed post; repair leaves a well-formed post alone; candidate rules that only pay off by
mangling text are rejected. Drafts and rule sets are generated (hypothesis)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from writebot import bundled
from writebot.engines import Evidence
from writebot.engines.firings import MIN_CONFIRMED, confirmed_share, crosses_sentences, edge_punctuation, firings
from writebot.engines.learner import learn
from writebot.engines.rules import RulesEngine
from writebot.engines.writer import skeleton
from writebot.loop.registry import build_engine
from writebot.loop.trainer import train
from writebot.store.run_folder import RunStore
from writebot.testing.rewriter import RewritingReader
from writebot.testing.topics import generate_topics
from writebot.text.hygiene import _plainly_well_formed, damage, full_repair, repair, violations
from writebot.text.pipeline import Pipeline
from writebot.text.post import Post, sentences
from writebot.text.rule_language import (
    CloseWith,
    Contractions,
    DropSentencesWith,
    HeadingCase,
    MaxSentenceWords,
    OpenWith,
    Replace,
    apply_rules,
)
from writebot.text.topics import Topic, load_topics

WORDS = ["we", "you", "it", "is", "do", "not", "will", "use", "utilize", "beans", "if", "this", "the", "in", "my",
         "opinion", "honest", "to", "be", "grind", "coffee", "water", "every", "day", "a", "lot", "of", "I", "am",
         "e.g.", "3", "1.5", "don't", "it's", "can't", "and", "but", "so", "very", "really", "Hello", "friends"]
PUNCT = [".", "!", "?"]


@st.composite
def sentence(draw):
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=14))
    if draw(st.booleans()):  # a clause joined the way writers do
        words += [words.pop() + ",", draw(st.sampled_from(["and", "but"]))] + draw(
            st.lists(st.sampled_from(WORDS), min_size=1, max_size=8))
    text = " ".join(words)
    first = next((i for i, c in enumerate(text) if c.isalpha()), None)
    if first is None or text[:1].isdigit():
        text = "So " + text
    else:
        text = text[:first] + text[first].upper() + text[first + 1:]
    return text.rstrip(".,") + draw(st.sampled_from(PUNCT))


@st.composite
def draft(draw):
    title = "# " + draw(st.sampled_from(["Brewing Coffee", "A Better Week", "Keeping Beans Fresh"]))
    blocks = [title]
    if draw(st.booleans()):
        blocks.append(draw(st.sampled_from(["Hello, dear readers!", "Hi friends,", "Good morning:"])))
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            blocks.append("## " + draw(st.sampled_from(["What to do next", "Why this matters", "going further"])))
        blocks.append(" ".join(draw(st.lists(sentence(), min_size=1, max_size=4))))
    if draw(st.booleans()):
        blocks.append(draw(st.sampled_from(["Thanks for reading!", "Until next time, happy brewing!"])))
    return "\n\n".join(blocks) + "\n"


PHRASES = ["if you", ", this", "in my opinion", "in my opinion,", "to be honest", "the", "it is", "do not", ". we",
           "!", "?", ",", "very", "really", "I am", "e.g.", "a lot of", "utilize", "beans if", "1.5", "and"]
NEWS = ["", "have you", "? This", "many", ".", ",", "use", "it's", "we", "!", "Honestly", "I'm", "for example"]


def rule():
    return st.one_of(
        st.builds(Replace, st.sampled_from(PHRASES), st.sampled_from(NEWS), st.booleans()),
        st.builds(OpenWith, st.sampled_from(["Hi friends,", "Hello!", "hey", "G'day, all:"])),
        st.builds(CloseWith, st.sampled_from(["Thanks for reading.", "bye", "Cheers!"])),
        st.builds(Contractions, st.sampled_from(["contract", "expand"])),
        st.builds(HeadingCase, st.sampled_from(["sentence", "title", "lower"])),
        st.builds(MaxSentenceWords, st.integers(1, 30)),
        st.builds(DropSentencesWith, st.lists(st.sampled_from(PHRASES), min_size=1, max_size=3).map(tuple)),
    )


@pytest.mark.slow
@given(draft())
def test_a_well_formed_draft_is_left_exactly_as_it_is(text):
    assert violations(text) == []
    assert repair(text) == text and full_repair(text) == text


@pytest.mark.slow
@given(draft(), st.lists(rule(), max_size=8))
def test_any_rule_set_on_any_draft_then_repair_gives_a_well_formed_post(text, rules):
    out = repair(apply_rules(text, rules))
    assert violations(out) == [], (rules, out)
    assert out.startswith("# ") and repair(out) == out  # the title survives; repair is done in one pass
    headings = [line for line in out.splitlines() if line.startswith("#")]
    assert all(line.split(" ", 1)[0].strip("#") == "" and line.split(" ", 1)[1].strip() for line in headings)


@given(st.text(alphabet="# ab.,!?:;'\"\n-A", min_size=3, max_size=60))
def test_the_fast_path_agrees_with_the_full_repair(tail):
    text = "# T\n\n" + tail
    assert repair(text) == full_repair(text)
    if _plainly_well_formed(text):
        assert full_repair(text) == text and violations(text) == []
    assert violations(repair(text)) == [] and repair(repair(text)) == repair(text)


@given(st.lists(rule(), max_size=8), st.integers(0, 50))
def test_the_offline_writer_always_writes_a_well_formed_post(rules, seed):
    pipeline = Pipeline({"STYLE.md": "# Style\n\n## Rules\n\n" + "".join(f"- {r.to_line()}\n" for r in rules),
                         "steps/01_draft.md": "Draft.\n"})
    topic = generate_topics(1, seed=seed)[0]
    assert violations(RulesEngine().write(pipeline, topic)) == []


def test_the_issues_broken_examples_are_found_and_mended():
    broken = ("# Beans\n\nIn my opinion the beans matter.  many people skip this part.\n\n"
              "the dark mornings are the hardest part? This is hard ,right..\n\n,\n")
    found = violations(broken)
    assert any("doubled space" in f for f in found) and any("small letter" in f for f in found)
    assert any("space before" in f for f in found) and any("empty paragraph" in f for f in found)
    assert repair(broken) == ("# Beans\n\nIn my opinion the beans matter. Many people skip this part.\n\n"
                              "The dark mornings are the hardest part? This is hard, right.\n")


def test_abbreviations_and_numbers_do_not_end_a_sentence():
    text = "# T\n\nGrind e.g. the beans at 1.5 grams etc. before you start. Then brew.\n"
    assert violations(text) == [] and repair(text) == text


# -- candidates that only pay off by mangling text ------------------------------------------------------------
def test_swaps_that_move_a_sentence_boundary_or_reach_across_one_are_not_candidates():
    assert crosses_sentences(", this", "? This") and crosses_sentences("it. we", "it, we")
    assert edge_punctuation(", this") and edge_punctuation(". i am") and edge_punctuation("opinion,")
    assert not crosses_sentences("!", ".") and not edge_punctuation("!")  # a punctuation swap of its own
    assert not crosses_sentences("utilize", "use") and not edge_punctuation("in my opinion the")


def test_a_rule_the_truths_contradict_where_it_fires_is_unconfirmed():
    texts = ["# T\n\nIf you grind early, beans if you can stay fresh. Buy beans if you like them.\n"] * 2
    truths = ["# T\n\nHave you ground early, beans if you can stay fresh. Buy beans if you like them.\n"] * 2
    found = firings(Replace("if you", "have you"), texts, truths)
    # the opening "If you" did become "Have you"; the user left the other places alone
    assert (found.fired, found.confirmed, found.contradicted) == (6, 2, 0)
    assert confirmed_share(Replace("if you", "have you"), texts, truths) < MIN_CONFIRMED
    good = [t.replace("beans", "coffee") for t in texts]
    assert confirmed_share(Replace("beans", "coffee"), texts, good) == 1.0


def test_the_learner_considers_and_rejects_a_swap_that_would_mangle_the_same_words_elsewhere():
    """A reader rewrote each post's opening "If you" into a question; the same words mid-sentence stay. The swap
    "if you" -> "have you" is mined from every post, and kept would write "beans have you can"."""
    points = ("If you start now, you win.", "Beans if you can, and water if you must.",
              "Tea if you like, and milk if you want.")
    topics = [Topic(f"t{i}", f"Morning Coffee Part {i}", points, None, "train") for i in range(8)]
    pairs = [Evidence(t, 0, skeleton(t), (), skeleton(t).replace("If you start", "Have you start", 1))
             for t in topics]
    update = learn(Pipeline({"STYLE.md": "# S\n\n## Rules\n\n", "steps/01_draft.md": "D.\n"}), pairs)
    considered = {d["rule"]: d["action"] for d in update.details}
    assert considered.get('Replace "if you" with "have you".') == "rejected"
    draft = RulesEngine().write(update.pipeline, topics[0])
    assert "Beans if you can, and water if you must." in draft and violations(draft) == []


def _sentences(text: str) -> set[str]:
    return {s.lower() for block in Post.parse(text).body if not block.startswith("#") for s in sentences(block)}


def test_no_swap_is_learned_from_pieces_of_sentences_a_reader_rewrote_as_a_whole(tmp_path):
    """The issue's two cases: a reader that rewrites whole sentences ("If you have ever wondered about X, this guide
    is for you." -> "Have you ever wondered about X? This guide is for you!"; "Don't worry if it isn't perfect the
    first time, and don't give up!" -> "If it isn't perfect the first time, that's okay!") once taught the learner
    `Replace "if you" with "have you"` ("beans have you can avoid it") and `Replace "don't worry if" with "if"`.
    Every sentence the trained bot writes is now its own untrained sentence or one the reader wrote."""
    topics = load_topics(bundled.starter_topics())
    with RunStore.create(tmp_path / "run", {"engine": "rules"}, {}) as run:
        train(run, build_engine("rules"), RewritingReader(), topics, Pipeline.load(bundled.starter_pipeline()), 2)
    considered = {d["rule"]: d for u in run.update_records for d in u.details}
    pieces = [p for p in ('Replace "if you" with "have you".', 'Replace "don\'t worry if" with "if".')
              if p in considered]
    assert pieces  # the case arises (which of the two depends on how often the writer uses each sentence)
    for piece in pieces:
        assert considered[piece]["action"] == "rejected"
        assert "rewrote as a whole" in considered[piece]["why"]
    written = set().union(*(_sentences(r.ground_truth) for r in run.draft_records))
    for r in run.draft_records:
        if r.epoch == 2:
            own = _sentences(skeleton(Topic.from_dict(r.topic)))
            assert _sentences(r.draft) - own - written == set()
            assert damage(r.draft) == [] and violations(r.draft) == []
