"""Diff analysis: typed, located edit spans from a draft and its ground truth."""

from writebot.compare.changes import analyse

from .conftest import dedent

DRAFT = dedent("""
    # Keeping A Starter Alive

    Feed it twice a day! In my opinion, it is easy.

    ## Why This Matters

    Do not utilize bleach.
""")
TRUTH = dedent("""
    # Keeping a starter alive

    Hi friends,

    Feed it twice a day.

    ## Why this matters

    Don't use bleach.

    Thanks for reading!
""")


def spans_by_location():
    out = {}
    for span in analyse(DRAFT, TRUTH).spans:
        out.setdefault(span.location, []).append(span)
    return out


def test_spans_are_typed_by_operation_and_location():
    spans = spans_by_location()
    assert [(s.op, s.new) for s in spans["opening"]] == [("insert", "Hi friends,")]
    assert {s.old for s in spans["heading"]} == {"A Starter Alive", "This Matters"}
    assert all(s.op == "replace" for s in spans["heading"])
    assert [(s.op, s.old) for s in spans["whole_sentence"]] == [("delete", "In my opinion, it is easy.")]
    inside = {(s.op, s.old, s.new) for s in spans["sentence"]}
    assert inside == {("replace", "Do not utilize", "Don't use")}


def test_punctuation_and_word_edits_inside_a_sentence():
    analysis = analyse("# T\n\nGreat! Go now, please.\n", "# T\n\nGreat. Go now.\n")
    assert [(s.op, s.location, s.old, s.new) for s in analysis.spans] == [
        ("replace", "sentence", "!", "."), ("delete", "sentence", ", please", "")]


def test_closing_line_is_located_as_closing():
    analysis = analyse("# T\n\nBody text here.\n", "# T\n\nBody text here.\n\nBye now\n")
    assert [(s.op, s.location, s.new) for s in analysis.spans] == [("insert", "closing", "Bye now")]


def test_dropped_sentences_are_reported_whole():
    analysis = analyse(DRAFT, TRUTH)
    assert analysis.dropped_sentences() == ["In my opinion, it is easy."]


def test_identical_texts_have_no_spans():
    assert analyse(DRAFT, DRAFT).spans == []
