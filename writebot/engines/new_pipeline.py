"""`writebot init`: a new pipeline from a description and example posts.

Offline (rules): the description becomes STYLE.md's prose, the examples are copied, and rules are mined from the
examples where they agree (heading case, contractions, a shared opening or closing line, exclamation marks, sentence
length). With Claude: Claude writes STYLE.md and the step prompts with the text editor tool.
"""

from __future__ import annotations

import re
from pathlib import Path

from writebot import bundled
from writebot.engines.base import Engine, PipelineMaker, ability
from writebot.errors import InputError
from writebot.files import read_text
from writebot.text.pipeline import Pipeline, Style
from writebot.text.post import Post, is_heading, sentences
from writebot.text.rule_language import (
    CONTRACTIONS,
    HEADING_CASES,
    CloseWith,
    Contractions,
    HeadingCase,
    MaxSentenceWords,
    OpenWith,
    Replace,
    Rule,
    heading_case,
)

MIN_SENTENCES = 8  # below this, the examples say too little to mine rules from


def load_examples(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        raise InputError(f"{folder}: examples folder not found; pass a folder of Markdown posts")
    files = {f"examples/{p.name}": read_text(p, "example post") for p in sorted(folder.glob("*.md"))}
    if not files:
        raise InputError(f"{folder}: no .md files; put at least one example post (Markdown) in the folder")
    return files


def mine_example_rules(posts: list[str]) -> list[Rule]:
    """Rules every example agrees on. Conservative: a rule needs agreement across all examples."""
    parsed = [Post.parse(p) for p in posts]
    rules: list[Rule] = []
    openings = {p.body[0] for p in parsed if p.body}
    if len(posts) > 1 and len(openings) == 1 and all(p.body for p in parsed):
        rules.append(OpenWith(openings.pop()))
    headings = [b.lstrip("#").strip() for p in parsed for b in p.blocks if is_heading(b)]
    fitting = [c for c in HEADING_CASES if headings and all(heading_case(h, c) == h for h in headings)]
    if len(fitting) == 1:
        rules.append(HeadingCase(fitting[0]))
    text = "\n".join(posts).lower().replace("\u2019", "'")
    longs = sum(len(re.findall(rf"(?<!\w){re.escape(a.lower())}(?!\w)", text)) for a, _ in CONTRACTIONS)
    shorts = sum(len(re.findall(rf"(?<!\w){re.escape(b.lower())}(?![\w'])", text)) for _, b in CONTRACTIONS)
    if shorts >= 3 and longs == 0:
        rules.append(Contractions("contract"))
    elif longs >= 3 and shorts == 0:
        rules.append(Contractions("expand"))
    body = [s for p in parsed for b in p.body if not is_heading(b) for s in sentences(b)]
    if len(body) >= MIN_SENTENCES:
        if "!" not in "".join(body):
            rules.append(Replace("!", ".", whole_word=False))
        longest = max(len(s.split()) for s in body)
        if longest <= 20:
            rules.append(MaxSentenceWords(longest))
    closings = {p.body[-1] for p in parsed if p.body}
    if len(posts) > 1 and len(closings) == 1 and all(p.body for p in parsed):
        rules.append(CloseWith(closings.pop()))
    return rules


def starter_steps() -> dict[str, str]:
    return Pipeline.load(bundled.starter_pipeline()).steps


def init_rules(description: str, examples: dict[str, str]) -> tuple[Pipeline, str]:
    rules = mine_example_rules(list(examples.values()))
    prose = f"# Style guide\n\n{description.strip()}\n"
    style = Style(prose, tuple(r.to_line() for r in rules))
    pipeline = Pipeline({"STYLE.md": style.render(), **starter_steps(), **examples})
    return pipeline, f"mined {len(rules)} rules from {len(examples)} examples"


def init_pipeline(description: str, examples_dir: Path, out: Path, engine: Engine) -> str:
    """Write a new pipeline folder at `out`, made by the engine; return a one-line summary."""
    if not description.strip():
        raise InputError("--description is empty; describe the voice you want in a sentence or two")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out}: already exists and is not empty; choose a new --out folder")
    maker: PipelineMaker | None = ability(engine, "init")
    if maker is None:
        raise InputError(f"the {engine.name} engine cannot make a new pipeline; use --engine rules (offline) or "
                         "claude")
    examples = load_examples(examples_dir)
    pipeline, summary = maker.new_pipeline(description, examples)
    pipeline.save(out)
    return summary
