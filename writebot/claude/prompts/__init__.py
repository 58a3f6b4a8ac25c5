"""Prompt templates live as .md files in writebot/claude/prompts/; this module only loads and fills them."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def template(name: str) -> str:
    return resources.files(__name__).joinpath(f"{name}.md").read_text("utf-8")


def render(name: str, **values: object) -> str:
    return template(name).format(**values).strip() + "\n"
