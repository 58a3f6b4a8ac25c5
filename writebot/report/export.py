"""A trained pipeline, taken elsewhere (docs/FORMATS.md §7):

- `claude-code`: a folder Claude Code writes posts in. `CLAUDE.md` (project memory, read at the start of every
  session) holds the guide and the steps, and imports each example with Claude Code's `@path` syntax (relative to
  the file; https://docs.anthropic.com/en/docs/claude-code/memory, "CLAUDE.md imports"); the pipeline's own files
  sit beside it.
- `skill`: an Agent Skill folder (https://agentskills.io/specification): `SKILL.md` with YAML front matter (`name`:
  1-64 lower-case letters, digits and single hyphens, the folder's own name; `description`: 1-1024 characters, what
  the skill does and when to use it; `metadata`: string to string), the guide and steps in `references/`, the
  examples in `assets/examples/`.
- `system-prompt`: one file, `system_prompt.md`: exactly the system prompt the Claude engine writes drafts with.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from writebot import __version__
from writebot.claude.prompts import render
from writebot.errors import InputError
from writebot.files import write_tree_atomic
from writebot.text.kinds import known_kinds
from writebot.text.pipeline import STYLE, Pipeline, without_comments

FORMATS = ("claude-code", "skill", "system-prompt")
SKILL_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SYSTEM_PROMPT = "system_prompt.md"


def _guide(pipeline: Pipeline) -> str:
    return without_comments(pipeline.files[STYLE]).strip()


def _kinds_note(pipeline: Pipeline, indent: str) -> str:
    """Which of the guide's sections applies to which kind of post (docs/FORMATS.md §11); "" for a guide with no
    kinds, so its export is as it was."""
    import textwrap

    kinds = sorted(known_kinds(pipeline))
    if not kinds:
        return ""
    text = render("export_kinds", kinds=", ".join(kinds)).strip()
    return "\n" + "\n".join(textwrap.wrap(text, 116, initial_indent=indent, subsequent_indent=indent))


def claude_code(pipeline: Pipeline) -> dict[str, str]:
    steps = "\n\n".join(_demote(t.strip()) for t in pipeline.steps.values())  # under "## The steps"
    examples = "\n".join(f"- @{p}" for p in pipeline.examples) or "(none yet)"
    memory = render("export_claude_code", style=_demote(_guide(pipeline)), steps=steps, examples=examples,
                    kinds=_kinds_note(pipeline, ""))
    # the pipeline's own files beside it, STYLE.md as the writer reads it (its comments are for whoever trains it)
    return {**pipeline.files, STYLE: _guide(pipeline) + "\n", "CLAUDE.md": memory}


def _demote(text: str, levels: int = 2) -> str:
    """Headings of an embedded file sit below the memory file's own (## and ###)."""
    return re.sub(r"^(#+) ", lambda m: "#" * min(6, len(m[1]) + levels) + " ", text, flags=re.M)


def skill(pipeline: Pipeline, name: str) -> dict[str, str]:
    if len(name) > 64 or not SKILL_NAME.match(name):
        raise InputError(f"{name!r}: an Agent Skill's folder is its name: 1-64 lower-case letters, digits and "
                         f"single hyphens (https://agentskills.io/specification); pass an --out folder named so")
    description = ("Writes blog posts in the voice its user trained with writebot, draft by draft: a style guide, "
                   "steps and example posts. Use when asked to write, draft or rewrite a blog post in this voice.")
    meta = {"generator": "writebot", "writebot-version": __version__, "pipeline-version": pipeline.version_hash}
    # every value a double-quoted (JSON) string: a name or hash of digits stays a string under any YAML parser
    front = "".join([f"name: {json.dumps(name)}\n", f"description: {json.dumps(description)}\n", "metadata:\n",
                     *(f"  {k}: {json.dumps(v)}\n" for k, v in meta.items())])
    files = {f"references/{STYLE}": _guide(pipeline) + "\n"}  # as the writer reads it
    # the steps name the guide as the writer knows it ("Read STYLE.md"); in the skill it sits in references/
    files |= {f"references/{p}": re.sub(r"(?<![\w/.])STYLE\.md", f"references/{STYLE}", t)
              for p, t in pipeline.steps.items()}
    files |= {f"assets/{p}": t for p, t in pipeline.examples.items()}
    steps = "\n".join(f"   - [references/{p}](references/{p})" for p in pipeline.steps)
    examples = "\n".join(f"   - [assets/{p}](assets/{p})" for p in pipeline.examples) or "   - (none yet)"
    files["SKILL.md"] = render("export_skill", front_matter=f"---\n{front}---\n",
                               title=name.replace("-", " ").capitalize(), steps=steps, examples=examples,
                               kinds=_kinds_note(pipeline, "   "))
    return files


def export(pipeline: Pipeline, fmt: str, out: Path) -> list[Path]:
    """Write the pipeline as `fmt` into the folder `out` (created, or replaced whole); the files written."""
    if fmt == "claude-code":
        files = claude_code(pipeline)
    elif fmt == "skill":
        files = skill(pipeline, out.resolve().name)
    elif fmt == "system-prompt":
        from writebot.engines.claude import system_prefix  # the Claude engine's (and the SDK's) import: on demand

        files = {SYSTEM_PROMPT: system_prefix(pipeline)}
    else:
        raise InputError(f"--format {fmt!r}: not a format; use one of {', '.join(FORMATS)}")
    write_tree_atomic(out, files)
    return [out / p for p in sorted(files)]
