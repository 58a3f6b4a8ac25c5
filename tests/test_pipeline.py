"""Pipelines (load, validate, snapshot, diff, hash), STYLE.md's parts, and the metrics."""

import pytest

from writebot import bundled
from writebot.compare.metrics import char_edit_distance, similarity, word_edit_distance
from writebot.errors import InputError
from writebot.text.pipeline import Pipeline, Style, diff
from writebot.text.rule_language import Replace

STYLE = """# Style

Be kind.

## Rules

- Replace "utilize" with "use".
- Keep a light touch; nothing preachy.

## Notes

- Felt long.

## Voice

Warm, never cute.
"""


def test_style_parts_and_round_trip():
    style = Style.parse(STYLE)
    assert style.prose == "# Style\n\nBe kind.\n"
    assert style.rules == ('Replace "utilize" with "use".', "Keep a light touch; nothing preachy.")
    assert style.notes == ("Felt long.",)
    assert style.parsed_rules() == [Replace("utilize", "use")]  # prose rules are kept for Claude, not parsed
    assert Style.parse(style.render()) == style
    assert "## Voice\n\nWarm, never cute." in style.render()


def test_load_snapshot_and_hash(tmp_path):
    pipeline = Pipeline.load(bundled.starter_pipeline())
    assert {"STYLE.md", "steps/01_outline.md", "steps/02_draft.md", "examples/houseplants.md"} <= set(pipeline.files)
    pipeline.save(tmp_path / "copy")
    (tmp_path / "copy" / ".hidden").write_text("editor junk")
    copy = Pipeline.load(tmp_path / "copy")
    assert copy == pipeline and copy.version_hash == pipeline.version_hash
    changed = copy.with_file("examples/new.md", "# New\n")
    assert changed.version_hash != pipeline.version_hash


def test_diff_is_per_file_and_names_added_and_removed_files():
    a = Pipeline({"STYLE.md": "one\ntwo\n", "steps/a.md": "x\n", "old.md": "gone\n"})
    b = Pipeline({"STYLE.md": "one\nthree\n", "steps/a.md": "x\n", "new.md": "hi\n"})
    changes = diff(a, b)
    assert set(changes) == {"STYLE.md", "old.md", "new.md"}
    assert "-two\n+three\n" in changes["STYLE.md"]
    assert "+++ /dev/null" in changes["old.md"] and "--- /dev/null" in changes["new.md"]
    assert diff(a, a) == {}


@pytest.mark.parametrize("files, message", [
    ({"steps/a.md": "x"}, "no STYLE.md"),
    ({"STYLE.md": "x"}, "no step prompts"),
])
def test_invalid_pipelines_are_input_errors(tmp_path, files, message):
    Pipeline(files).save(tmp_path / "p")
    with pytest.raises(InputError, match=message):
        Pipeline.load(tmp_path / "p")


def test_metrics():
    assert similarity("same text", "same text") == 1.0
    assert 0 < similarity("the cat sat", "the dog sat") < 1
    assert word_edit_distance("the cat sat down", "the dog sat") == 2
    assert word_edit_distance("a  b\n\nc", "a b c") == 0  # words, not white space
    assert char_edit_distance("kitten", "sitting") == 3


def test_the_starter_pipelines_texts_agree_on_how_many_points_a_section_holds():
    """STYLE.md, step 1 and the offline writer's voice say the same: one or two points to a section."""
    import yaml

    from writebot import bundled
    from writebot.text.pipeline import Pipeline

    from .conftest import ROOT

    starter = Pipeline.load(bundled.starter_pipeline())
    prose = " ".join(starter.style.prose.split())
    outline = " ".join(next(t for p, t in starter.steps.items() if "outline" in p).split())
    assert "one or two points to a section" in prose and "one section per one or two points" in outline
    voice = yaml.safe_load((ROOT / "writebot" / "engines" / "rules_voice.yaml").read_text())
    assert voice["points_per_section"] == 2
