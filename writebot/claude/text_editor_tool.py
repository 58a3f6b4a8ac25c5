"""Anthropic's text editor tool (text_editor_20250728), served over an in-memory copy of a pipeline.

Claude edits the pipeline the way Claude Code edits a project. Every path must resolve inside the pipeline folder
(shown to Claude as /pipeline); anything else is refused with a tool error and nothing is written. STYLE.md has a
size budget: an edit that would take it over is refused, so the guide stays curated.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from writebot.errors import ToolError
from writebot.text.pipeline import STYLE, without_comments

ROOT = "/pipeline"
TOOL = {"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"}


def resolve(path: object) -> str:
    """The pipeline-relative path for a tool path, or ToolError if it points outside the pipeline."""
    if not isinstance(path, str) or not path.strip():
        raise ToolError("'path' must be a non-empty string")
    p = PurePosixPath(path.strip())
    if p.is_absolute():
        try:
            p = p.relative_to(ROOT)
        except ValueError:
            raise ToolError(f"{path}: outside the pipeline; every path must be under {ROOT}") from None
    if any(part in ("..", "") for part in p.parts) or "\\" in path or "\0" in path:
        raise ToolError(f"{path}: '..' and odd characters are not allowed; use paths under {ROOT}")
    return p.as_posix() if p.parts else "."


class PipelineEditor:
    """Executes text editor commands against `files` (path -> text); edits stay in memory until landed."""

    def __init__(self, files: dict[str, str], style_budget: int):
        self.files = dict(files)
        self.style_budget = style_budget
        self.edits = 0

    def run(self, command_input: object) -> tuple[str, bool]:
        """(tool result text, is_error). Never raises for bad input: Claude is told what was wrong."""
        try:
            if not isinstance(command_input, dict):
                raise ToolError("tool input must be an object with a 'command'")
            command = command_input.get("command")
            handler = {"view": self.view, "create": self.create, "str_replace": self.str_replace,
                       "insert": self.insert}.get(command)
            if handler is None:
                raise ToolError(f"unknown command {command!r}; use view, create, str_replace or insert")
            return handler(command_input), False
        except ToolError as exc:
            return f"Error: {exc}", True

    def _text(self, args: dict, key: str, required: bool = True) -> str:
        value = args.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            raise ToolError(f"'{key}' must be a string")
        return value

    def _existing(self, args: dict) -> str:
        path = resolve(args.get("path"))
        if path not in self.files:
            raise ToolError(f"{ROOT}/{path}: no such file; use view on {ROOT} to list files")
        return path

    def _store(self, path: str, text: str) -> str:
        if path == STYLE and len(without_comments(text)) > self.style_budget:
            raise ToolError(f"STYLE.md would be {len(without_comments(text))} characters (comments left out), over "
                            f"its budget of {self.style_budget}; "
                            "make it shorter (merge or drop rules) and try again")
        self.files[path] = text
        self.edits += 1
        if path == STYLE:  # the one count the prompt and the budget use: comments do not count
            return (f"{ROOT}/{path} saved ({len(without_comments(text))} of {self.style_budget} characters; HTML "
                    "comments do not count).")
        return f"{ROOT}/{path} saved ({len(text)} characters)."

    def view(self, args: dict) -> str:
        path = resolve(args.get("path", ROOT))
        if path == "." or not any(p == path for p in self.files):
            prefix = "" if path == "." else path.rstrip("/") + "/"
            listing = sorted(p for p in self.files if p.startswith(prefix))
            if not listing:
                raise ToolError(f"{ROOT}/{path}: no such file or folder")
            return "\n".join(f"{ROOT}/{p}" for p in listing)
        lines = self.files[path].splitlines()
        if not lines:  # an empty tool result would be a blank text block, which the API refuses
            return f"({ROOT}/{path} is empty)"
        start, end = 1, len(lines)
        span = args.get("view_range")
        if span is not None:
            if not (isinstance(span, list) and len(span) == 2 and all(isinstance(n, int) for n in span)):
                raise ToolError("'view_range' must be [start, end] (end -1 for the last line)")
            start, end = span[0], len(lines) if span[1] == -1 else span[1]
            if not 1 <= start <= max(end, 1) <= max(len(lines), 1):
                raise ToolError(f"'view_range' {span} is outside 1..{len(lines)}")
        return "\n".join(f"{n}: {lines[n - 1]}" for n in range(start, end + 1))

    def create(self, args: dict) -> str:
        path = resolve(args.get("path"))
        if path == ".":
            raise ToolError("create needs a file path")
        return self._store(path, self._text(args, "file_text"))

    def str_replace(self, args: dict) -> str:
        path = self._existing(args)
        old, new = self._text(args, "old_str"), self._text(args, "new_str", required=False)
        count = self.files[path].count(old) if old else 0
        if count != 1:
            raise ToolError(f"old_str occurs {count} times in {ROOT}/{path}; it must match exactly once "
                            "(include more surrounding text)")
        return self._store(path, self.files[path].replace(old, new, 1))

    def insert(self, args: dict) -> str:
        path = self._existing(args)
        line = args.get("insert_line")
        text = args.get("insert_text", args.get("new_str"))
        if not isinstance(line, int) or isinstance(line, bool):
            raise ToolError("'insert_line' must be a whole number (0 inserts at the top)")
        if not isinstance(text, str):
            raise ToolError("'insert_text' must be a string")
        lines = self.files[path].splitlines(keepends=True)
        if not 0 <= line <= len(lines):
            raise ToolError(f"'insert_line' {line} is outside 0..{len(lines)}")
        if lines and not lines[-1].endswith("\n") and line == len(lines):
            lines[-1] += "\n"
        block = text if text.endswith("\n") else text + "\n"
        return self._store(path, "".join(lines[:line]) + block + "".join(lines[line:]))
