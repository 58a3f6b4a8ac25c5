"""docs/FORMATS.md §3: every persona edit, its edge cases, `say` and max_feedback, and persona validation."""

import pytest

from writebot.errors import InputError
from writebot.post import sentences
from writebot.rule_language import (
    CloseWith,
    Contractions,
    DropSentencesWith,
    HeadingCase,
    MaxSentenceWords,
    OpenWith,
    Replace,
)
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
    text = "one two three four five, and six seven eight nine ten, but eleven twelve thirteen fourteen.\n"
    assert MaxSentenceWords(6).apply(text) == (
        "one two three four five. Six seven eight nine ten. Eleven twelve thirteen fourteen.\n")
    assert MaxSentenceWords(20).apply(text) == text
    assert MaxSentenceWords(3).apply("a b c d e f g.\n") == "a b c d e f g.\n"  # nothing to split at
    # the rest is checked again: "six ... fourteen." has 10 words, so with limit 10 it stays whole
    assert MaxSentenceWords(10).apply(text) == (
        "one two three four five. Six seven eight nine ten, but eleven twelve thirteen fourteen.\n")


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
    from writebot.rule_language import RULE_KINDS

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
