"""A post as docs/FORMATS.md §3 sees it: `# Title`, blank line, blocks (paragraphs or `## ` headings) split by
blank lines.

A sentence ends at `.`, `!` or `?` followed by white space or the end of its paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BLANK = re.compile(r"\n[ \t]*\n")
# A sentence: as little as possible up to a terminal mark followed by white space or the end; or the rest.
_SENTENCE = re.compile(r"\S.*?(?:[.!?](?=\s|$)|$)", re.S)


@dataclass
class Post:
    """A post split into blocks. blocks[0] is the title when has_title."""

    blocks: list[str]
    has_title: bool

    @classmethod
    def parse(cls, text: str) -> Post:
        if is_normal(text):  # the common case inside the engine: a plain split gives the same blocks
            blocks = text[:-1].split("\n\n")
            return cls(blocks, blocks[0].startswith("# "))
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        text = text.strip()
        blocks = [b.strip() for b in _BLANK.split(text)] if text else []
        if "" in blocks:
            blocks = [b for b in blocks if b]
        has_title = bool(blocks) and blocks[0].startswith("# ")
        return cls(blocks, has_title)

    def render(self) -> str:
        return "\n\n".join(self.blocks) + "\n" if self.blocks else ""

    @property
    def body_start(self) -> int:
        return 1 if self.has_title else 0

    @property
    def body(self) -> list[str]:
        return self.blocks[self.body_start :]


def is_normal(text: str) -> bool:
    """True if text is already in canonical form (what render() makes), checked with a few fast scans."""
    return (
        text[-1:] == "\n" and not text[-2:-1].isspace() and not text[:1].isspace() and "\r" not in text
        and "\n\n\n" not in text and "\n " not in text and " \n" not in text and "\n\t" not in text
        and "\t\n" not in text
    )


def normalize(text: str) -> str:
    """The canonical form of a post: blocks joined by one blank line, one trailing newline."""
    return Post.parse(text).render()


def is_heading(block: str) -> bool:
    return block.startswith("#")


def sentences(paragraph: str) -> list[str]:
    """The sentences of a paragraph, in order, without the white space between them."""
    return [m.group(0).strip() for m in _SENTENCE.finditer(paragraph) if m.group(0).strip()]

