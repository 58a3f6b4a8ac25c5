"""docs/FORMATS.md §3: every persona edit, its edge cases, `say` and max_feedback, and persona validation."""

import pytest

from writebot import bundled
from writebot.engines.writer import skeleton
from writebot.errors import InputError
from writebot.testing.personas import generate_personas
from writebot.testing.topics import generate_topics
from writebot.text.hygiene import damage
from writebot.text.post import sentences
from writebot.text.rule_language import (
    CloseWith,
    Contractions,
    DropSentencesWith,
    HeadingCase,
    MaxSentenceWords,
    OpenWith,
    Replace,
)
from writebot.text.topics import load_topics
from writebot.users import load_persona, parse_persona, persona_edit

from .conftest import dedent

POST = dedent("""
    # Why I Utilize Lists

    Hello there!

    I utilize lists daily. Utilized tools help. UTILIZE them!

    ## The Main Idea

    Thanks!
""")


def test_sentences_end_at_marks_followed_by_space_or_paragraph_end():
    assert sentences("One. Two! Three? Four") == ["One.", "Two!", "Three?", "Four"]
    assert sentences("Version 2.0 is out. Next") == ["Version 2.0 is out.", "Next"]
    assert sentences("Wait... really?! Yes.") == ["Wait...", "really?!", "Yes."]


def test_replace_is_case_insensitive_whole_word_and_keeps_a_capital():
    out = Replace("utilize", "use").apply(POST)
    assert "# Why I Use Lists" in out
    assert "I use lists daily." in out
    assert "Utilized tools help." in out  # inside a longer word: untouched
    assert "Use them!" in out  # matched text starts with a capital, so does the replacement


def test_replace_whole_word_respects_apostrophe_words_and_false_replaces_inside():
    assert Replace("don", "do").apply("I don't know Don.") == "I don't know Do."
    assert Replace("!", ".", whole_word=False).apply("Hi! Wow!!") == "Hi. Wow.."
    assert Replace("cat", "dog", whole_word=False).apply("Concatenate a cat") == "Condogenate a dog"


def test_open_with_swaps_a_greeting_for_the_line():
    out = OpenWith("Hi friends,").apply(POST)
    assert out.split("\n\n")[:3] == ["# Why I Utilize Lists", "Hi friends,", "I utilize lists daily. Utilized tools "
                                       "help. UTILIZE them!"]  # "Hello there!" was a greeting: swapped, not kept
    assert OpenWith("Hi friends,").apply(out) == out
    assert OpenWith("Hello there!").apply(POST) == POST  # already the line: nothing changes


@pytest.mark.parametrize("first, swapped", [
    ("Hello there!", True), ("Good morning, everyone,", True), ("Dear readers:", True),
    ("Welcome back to the blog, friends.", True),  # 6 words, ends in "."
    ("Welcome back to the blog, my dear friends.", False),  # 7 words: a paragraph, not a greeting
    ("Hello there", False),  # a greeting ends in ! , . or :
    ("Hello there?", False),
    ("Hello there!\nSecond line.", False),  # more than one line
])
def test_open_with_swaps_only_a_short_greeting(first, swapped):
    post = f"# Title\n\n{first}\n\nThe body of the post is here.\n"
    blocks = OpenWith("Hi friends,").apply(post).split("\n\n")
    assert blocks[1] == "Hi friends," and (blocks[2] != first) == swapped
    assert OpenWith("Hey").apply("No title here.\n") == "Hey\n"  # "No title here." is a greeting: swapped
    assert OpenWith("Hey").apply("No title here at all, as you see.\n") == \
        "Hey\n\nNo title here at all, as you see.\n"


def test_a_heading_is_never_swapped():
    post = "# Title\n\n## A short heading\n\nBody here.\n\n## Closing\n"
    assert OpenWith("Hi,").apply(post) == "# Title\n\nHi,\n\n## A short heading\n\nBody here.\n\n## Closing\n"
    assert CloseWith("Bye.").apply(post).endswith("## Closing\n\nBye.\n")


def test_close_with_swaps_a_sign_off_for_the_line():
    out = CloseWith("Thanks for reading!").apply(POST)
    assert out.endswith("## The Main Idea\n\nThanks for reading!\n")  # "Thanks!" was a sign-off: swapped
    assert CloseWith("Thanks for reading!").apply(out) == out
    assert CloseWith("Thanks!").apply(POST) == POST


@pytest.mark.parametrize("last, swapped", [
    ("Cheers, Sam", True), ("See you next week", True),  # a sign-off needs no closing mark
    ("That is all there is to it, really.", False),  # 8 words
    ("Bye\nSam", False),
])
def test_close_with_swaps_only_a_short_sign_off(last, swapped):
    post = f"# Title\n\nThe body of the post is here, at some length.\n\n{last}\n"
    blocks = CloseWith("Thanks for reading.").apply(post).split("\n\n")
    assert blocks[-1] == "Thanks for reading.\n" and (blocks[-2] != last) == swapped


def test_contractions_both_ways_keep_case_and_whole_words():
    text = "Do not go. It is fine, I am sure we cannot fail. Let us see. Undo nothing; donot."
    contracted = Contractions("contract").apply(text)
    assert contracted == "Don't go. It's fine, I'm sure we can't fail. Let's see. Undo nothing; donot."
    assert Contractions("expand").apply(contracted) == text
    assert Contractions("expand").apply("They\u2019re here and WON'T leave.") == "They are here and Will not leave."


@pytest.mark.parametrize("case, title, section", [
    ("sentence", "# Why I utilize lists", "## The main idea"),
    ("title", "# Why I Utilize Lists", "## The Main Idea"),
    ("lower", "# why i utilize lists", "## the main idea"),
])
def test_heading_case_changes_only_heading_lines(case, title, section):
    out = HeadingCase(case).apply(POST)
    assert out.splitlines()[0] == title
    assert section in out
    assert "I utilize lists daily." in out


def test_title_case_keeps_minor_words_lower_unless_first():
    assert HeadingCase("title").apply("# the art of war in a day\n") == "# The Art of War in a Day\n"


def test_max_sentence_words_splits_at_first_conjunction_while_too_long():
    text = "we grind the beans at home, and we pour the water slowly, but we never rush the bloom.\n"
    assert MaxSentenceWords(6).apply(text) == (
        "we grind the beans at home. We pour the water slowly. We never rush the bloom.\n")
    assert MaxSentenceWords(20).apply(text) == text
    assert MaxSentenceWords(3).apply("a b c d e f g.\n") == "a b c d e f g.\n"  # nothing to split at
    # the rest is checked again: "we pour ... bloom." has 11 words, so with limit 11 it stays whole
    assert MaxSentenceWords(11).apply(text) == (
        "we grind the beans at home. We pour the water slowly, but we never rush the bloom.\n")


@pytest.mark.parametrize("sentence, split", [
    ("Pack a head torch for everyone, and spare batteries in a dry bag.", False),  # a noun phrase: a fragment
    ("Bring a rag, a brush, and a bottle of chain lube for the road.", False),  # the end of a list
    ("Add one drop of lube per link, and wipe off the excess with a clean rag.", True),  # an instruction
    ("It is normal to feel tired in the last month, but rest days matter more than extra miles.", True),
    ("Say the word once, and reward the moment its back touches the floor.", True),
])
def test_a_split_never_leaves_a_fragment(sentence, split):
    """docs/FORMATS.md §3: a sentence is split at ", and" / ", but" only before a clause that can stand alone."""
    out = MaxSentenceWords(6).apply(sentence + "\n")
    assert (out != sentence + "\n") is split
    assert damage("# T\n\n" + out) == []


def test_contractions_never_write_what_english_does_not():
    """docs/FORMATS.md §3: not at a clause end, not before "to" ("all there is to it"), the negation wins an
    overlap, "have" only as an auxiliary, and "let us know" stays."""
    contract = Contractions("contract")
    assert contract.apply("That is all there is to it. It is what it is. Here it is!") == (
        "That's all there is to it. It's what it is. Here it is!")
    assert contract.apply("I will not skip it, and it is not hard.") == "I won't skip it, and it isn't hard."
    assert contract.apply("We have all been there. I have a dog. I have to go. Let us know. Let us start.") == (
        "We've all been there. I have a dog. I have to go. Let us know. Let's start.")
    assert damage("# T\n\n" + contract.apply("That is all there is to it, it is what it is.") + "\n") == []


def test_heading_case_keeps_names_and_title_case_ends_on_a_capital():
    assert HeadingCase("sentence").apply("# Inbox Zero On Mondays With A USB Stick\n") == (
        "# Inbox zero on Mondays with a USB stick\n")
    assert HeadingCase("title").apply("# sewing on a button that stays on\n") == (
        "# Sewing on a Button That Stays On\n")
    # lower case keeps names too (issue 23: "## start with g, c and d", "ten days in japan" read as damage)
    assert HeadingCase("lower").apply("# Inbox Zero On Mondays\n") == "# inbox zero on Mondays\n"
    assert HeadingCase("lower").apply("## Start With G, C And D In Japan\n") == "## start with G, C and D in Japan\n"


def test_a_swap_is_not_made_where_it_would_break_the_sentence():
    swap = Replace("a lot of", "many")
    assert swap.apply("A lot of the nerves fade, and a lot of plants lean.") == (
        "A lot of the nerves fade, and many plants lean.")


def test_no_bundled_or_generated_persona_writes_a_broken_sentence():
    """A simulated person never writes a broken sentence: every persona's ground truth of the offline writer's
    draft of every bundled and generated topic is free of the damage writebot.text.hygiene.damage finds."""
    topics = load_topics(bundled.starter_topics()) + generate_topics(40, seed=3)
    personas = [load_persona(p) for p in bundled.personas()] + generate_personas(12, seed=1)
    broken = [(p.name, t.id, found) for p in personas for t in topics
              for found in [damage(persona_edit(p, skeleton(t), t.id)[0])] if found]
    assert broken == []


def test_drop_sentences_with_removes_sentences_and_emptied_paragraphs():
    text = "# T\n\nIn my opinion, yes. Keep me.\n\nTO BE HONEST, no.\n\nLast.\n"
    out = DropSentencesWith(("In my opinion", "To be honest")).apply(text)
    assert out == "# T\n\nKeep me.\n\nLast.\n"


def test_say_only_for_edits_that_changed_and_at_most_max_feedback(write_yaml):
    persona = parse_persona({
        "name": "p", "max_feedback": 2,
        "edits": [
            {"replace": {"old": "absent", "new": "x"}, "say": "never said"},
            {"replace": {"old": "utilize", "new": "use"}, "say": "first"},
            {"close_with": "Bye.", "say": "second"},
            {"contractions": "contract", "say": "third (over the limit)"},
        ],
    }, "p.yaml")
    ground_truth, said = persona_edit(persona, "# T\n\nI utilize it. It is good, and this post goes on a while.\n")
    assert said == ["first", "second"]
    assert ground_truth == "# T\n\nI use it. It's good, and this post goes on a while.\n\nBye.\n"


def test_edits_apply_in_order():
    first = parse_persona({"name": "a", "edits": [{"replace": {"old": "!", "new": ".", "whole_word": False}},
                                                   {"close_with": "Bye!"}]}, "a.yaml")
    second = parse_persona({"name": "b", "edits": [{"close_with": "Bye!"},
                                                    {"replace": {"old": "!", "new": ".", "whole_word": False}}]},
                           "b.yaml")
    body = "Hi! This paragraph is long enough not to be a sign-off!"
    assert persona_edit(first, f"# T\n\n{body}\n")[0] == f"# T\n\n{body.replace('!', '.')}\n\nBye!\n"
    assert persona_edit(second, f"# T\n\n{body}\n")[0] == f"# T\n\n{body.replace('!', '.')}\n\nBye.\n"


def test_bundled_personas_load_and_together_use_every_edit():
    from writebot import bundled
    from writebot.text.rule_language import RULE_KINDS

    kinds = {rule.kind for path in bundled.personas() for rule, _ in load_persona(path).edits}
    assert len(bundled.personas()) >= 4
    assert kinds == set(RULE_KINDS)


@pytest.mark.parametrize("data, message", [
    ({"name": "p", "edits": [{"shout": True}]}, "unknown edit 'shout'"),
    ({"name": "p", "edits": [{"replace": "utilize"}]}, "'replace' must be a mapping"),
    ({"name": "p", "edits": [{"replace": {"old": "a"}}]}, "'new' must be text"),
    ({"name": "p", "edits": [{"contractions": "sometimes"}]}, "contract or expand"),
    ({"name": "p", "edits": [{"heading_case": "upper"}]}, "sentence, title or lower"),
    ({"name": "p", "edits": [{"max_sentence_words": 0}]}, "at least 1"),
    ({"name": "p", "edits": [{"max_sentence_words": "ten"}]}, "must be a whole number"),
    ({"name": "p", "edits": [{"drop_sentences_with": []}]}, "empty list"),
    ({"name": "p", "edits": [{"open_with": "x", "close_with": "y"}]}, "exactly one edit"),
    ({"edits": []}, "missing 'name'"),
    ({"name": "p", "max_feedback": -1, "edits": []}, "0 or more"),
    (["not", "a", "mapping"], "must be a mapping"),
])
def test_bad_persona_is_an_input_error_naming_file_and_place(data, message):
    with pytest.raises(InputError, match=message) as info:
        parse_persona(data, "personas/bad.yaml")
    assert str(info.value).startswith("personas/bad.yaml:")


# -- docs/FORMATS.md §3b: inconsistent users -----------------------------------------------------------------
def u(key: str) -> float:
    """The spec's u(key), written out here on its own."""
    import hashlib

    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) / 2**32


def test_consistency_applies_each_edit_on_the_share_of_posts_the_topic_id_picks():
    persona = parse_persona({"name": "noisy", "consistency": 0.5, "edits": [
        {"replace": {"old": "utilize", "new": "use"}, "say": "Say use."},
        {"replace": {"old": "daily", "new": "every day"}, "say": "Say every day."}]}, "p.yaml")
    draft = "# T\n\nI utilize lists daily, and this paragraph is long enough to stay.\n"
    applied = {0: 0, 1: 0}
    for topic in [f"topic-{i}" for i in range(40)]:
        truth, said = persona_edit(persona, draft, topic)
        first, second = u(f"noisy|{topic}|0") < 0.5, u(f"noisy|{topic}|1") < 0.5
        assert ("I use lists" in truth) == first and ("every day" in truth) == second
        assert said == [s for s, on in (("Say use.", first), ("Say every day.", second)) if on]
        applied[0] += first
        applied[1] += second
    assert 0 < applied[0] < 40 and 0 < applied[1] < 40  # both skipped on some posts and kept on others


def test_one_off_edits_capitalise_words_picked_by_name_topic_and_number():
    import hashlib

    persona = parse_persona({"name": "whim", "one_off": 2, "edits": []}, "p.yaml")
    draft = ("# A Wonderful Checklist\n\nWonderful checklist helps everyone. Planning matters, checklist.\n\n"
             "## Planning Ahead\n\nUNIQUE words, naïve wording, planning 2024.\n")
    # body words made only of ASCII letters, 6 or more, not all capitals, first appearance first (headings and the
    # title are not body; "everyone.", "matters," and "wording," carry punctuation; "naïve" is not ASCII; "UNIQUE" is
    # capitals; a word is a white-space separated token)
    candidates = ["Wonderful", "checklist", "Planning", "planning"]
    expected = draft
    body_start = draft.index("Wonderful checklist")
    for j in range(2):
        word = candidates.pop(int(hashlib.sha256(f"whim|t1|one_off|{j}".encode()).hexdigest()[:8], 16)
                              % len(candidates))
        at = next(i for i in range(body_start, len(expected)) if expected.startswith(word, i)
                  and not expected[i - 1].isalpha() and not expected[i + len(word)].isalpha()
                  and not expected[expected.rfind("\n", 0, i) + 1:].startswith("#"))
        expected = expected[:at] + word.upper() + expected[at + len(word):]
    assert persona_edit(persona, draft, "t1") == (expected, [])
    assert persona_edit(persona, draft, "t1") != persona_edit(persona, draft, "t2")


def test_one_off_edits_stop_when_no_candidate_is_left():
    persona = parse_persona({"name": "whim", "one_off": 5, "edits": []}, "p.yaml")
    truth, _ = persona_edit(persona, "# T\n\nShort words only, plus one longish term.\n", "x")
    assert truth == "# T\n\nShort words only, plus one LONGISH term.\n"


def test_writebot_edit_takes_the_topic_id(cli, tmp_path, write_yaml):
    persona = write_yaml("p.yaml", {"name": "noisy", "consistency": 0.5, "edits": [
        {"replace": {"old": "utilize", "new": "use"}}]})
    draft = tmp_path / "d.md"
    draft.write_text("# T\n\nWe utilize it here, in a paragraph long enough to stay.\n")
    outs = {t: cli("edit", "--persona", persona, "--topic-id", t, draft)[1] for t in ("a", "b", "c", "d", "e")}
    for topic, out in outs.items():
        assert ("We use it" in out) == (u(f"noisy|{topic}|0") < 0.5)
    assert cli("edit", "--persona", persona, draft)[1] == outs.get("draft", cli(
        "edit", "--persona", persona, "--topic-id", "draft", draft)[1])


@pytest.mark.parametrize("extra, message", [
    ({"consistency": 1.5}, "'consistency' must be between 0 and 1"),
    ({"consistency": True}, "'consistency' must be a number"),
    ({"one_off": -1}, "'one_off' must be 0 or more"),
    ({"one_off": 1.5}, "'one_off' must be a whole number"),
])
def test_noisy_persona_keys_are_validated(extra, message):
    with pytest.raises(InputError, match=message):
        parse_persona({"name": "p", "edits": [{"contractions": "contract"}], **extra}, "p.yaml")


def test_two_noisy_personas_are_bundled():
    from writebot import bundled

    noisy = [load_persona(p) for p in bundled.personas() if load_persona(p).consistency < 1]
    assert len(noisy) >= 2 and all(p.one_off > 0 for p in noisy)


def test_an_edit_that_never_fires_in_a_run_is_said_once_at_the_end(tmp_path, cli):
    persona = tmp_path / "p.yaml"
    persona.write_text(dedent("""
        name: late-drop
        edits:
          - contractions: expand
          - drop_sentences_with: ["Don't worry"]
          - replace: {old: utilize, new: use}
    """))
    code, _, err = cli("simulate", "--persona", persona, "--topics", bundled.starter_topics(), "--epochs", "1",
                       "--out", tmp_path / "run")
    notes = [line for line in err.splitlines() if line.startswith("writebot: note: ")]
    assert code == 0 and len(notes) == 1, err  # the drop comes after "Don't" became "Do not": it never fires
    assert "edits[1] (Drop any sentence containing \"Don't worry\".) changed none of the run's" in notes[0]
    assert "whether an edit before it already rewrites that" in notes[0]
