"""The learnable text: a pipeline folder (STYLE.md, step prompts, examples) loaded, validated, snapshotted, diffed.

STYLE.md is prose, then a `## Rules` section of one-line rules in plain English (both engines read them), then an
optional `## Notes` section of feedback the rules engine could not turn into a rule (kept for the Claude engine).
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from writebot.errors import InputError
from writebot.files import read_text, write_tree_atomic
from writebot.text.rule_language import Rule, parse_rule

STYLE = "STYLE.md"
STEPS = "steps"
EXAMPLES = "examples"
SECTION = re.compile(r"(?m)^## +(.+?)\s*$")
_COMMENT = re.compile(r"<!--.*?-->\n?", re.S)
KIND_SECTION = re.compile(r"(?i)rules for +(.+)")  # docs/FORMATS.md §11 (text/kinds.py reads it too)


def without_comments(text: str) -> str:
    """STYLE.md as the writer reads it: HTML comments (notes for the people and the optimizer who edit the guide)
    are left out; they do not count against its size budget either."""
    return _COMMENT.sub("", text)


@dataclass(frozen=True)
class Style:
    """STYLE.md split into its parts; render() gives the file back."""

    prose: str
    rules: tuple[str, ...]
    notes: tuple[str, ...] = ()
    tail: str = ""  # sections after Rules/Notes that we keep verbatim
    kinds: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (kind, its rules): `## Rules for <kind>` (FORMATS §11)

    @classmethod
    def parse(cls, text: str) -> Style:
        parts = SECTION.split(text)
        prose, rules, notes, tail, kinds = parts[0], [], [], [], {}
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            key = name.strip().lower()
            items = [line[2:].strip() for line in body.splitlines() if line.startswith(("- ", "* "))]
            kind = KIND_SECTION.fullmatch(name.strip())
            if key in ("rules", "notes"):
                (rules if key == "rules" else notes).extend(items)
            elif kind:
                kinds.setdefault(kind[1].strip().lower(), []).extend(items)
            else:
                tail.append(f"## {name}\n{body}")
        return cls(prose.rstrip() + "\n", tuple(rules), tuple(notes), "".join(tail).strip(),
                   tuple((k, tuple(v)) for k, v in kinds.items()))

    def rules_for(self, kind: str | None) -> tuple[str, ...]:
        """The rule lines a post of `kind` is written with: the general ones, then its kind's (which win)."""
        return self.rules + dict(self.kinds).get(kind, ()) if kind else self.rules

    def with_kinds(self, kinds: dict[str, tuple[str, ...]]) -> Style:
        return Style(self.prose, self.rules, self.notes, self.tail,
                     tuple((k, tuple(v)) for k, v in sorted(kinds.items()) if v))

    def render(self) -> str:
        out = self.prose.rstrip() + "\n\n## Rules\n\n"
        out += "".join(f"- {r}\n" for r in self.rules) if self.rules else "(none yet)\n"
        for kind, rules in self.kinds:
            out += f"\n## Rules for {kind}\n\n" + "".join(f"- {r}\n" for r in rules)
        if self.notes:
            out += "\n## Notes\n\n" + "".join(f"- {n}\n" for n in self.notes)
        if self.tail:
            out += "\n" + self.tail + "\n"
        return out

    def parsed_rules(self, kind: str | None = None) -> list[Rule]:
        return [r for r in (parse_rule(line) for line in self.rules_for(kind)) if r is not None]


@dataclass(frozen=True)
class Pipeline:
    """A pipeline version: relative POSIX path -> file text. Immutable; updates make new versions."""

    files: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path | str) -> Pipeline:
        root = Path(root)
        if not root.is_dir():
            raise InputError(f"{root}: pipeline folder not found; pass a folder holding STYLE.md, steps/ and examples/")
        files = {}
        real_root = root.resolve()
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if path.is_symlink() and not path.resolve().is_relative_to(real_root):
                raise InputError(f"{path}: a symlink that points outside the pipeline folder; replace it with "
                                 "the file itself")
            if path.is_file() and not any(part.startswith(".") for part in rel.parts):
                files[rel.as_posix()] = read_text(path, "pipeline file")
        pipeline = cls(files)
        pipeline.validate(root)
        return pipeline

    def validate(self, where: Path | str = "pipeline") -> None:
        if STYLE not in self.files:
            raise InputError(f"{where}: pipeline has no STYLE.md; add one (prose, then a '## Rules' list)")
        if not self.steps:
            raise InputError(f"{where}: pipeline has no step prompts; add at least one steps/*.md file")

    def save(self, root: Path | str) -> None:
        write_tree_atomic(root, self.files)

    @property
    def style(self) -> Style:
        return Style.parse(self.files[STYLE])

    @property
    def steps(self) -> dict[str, str]:
        return {p: t for p, t in sorted(self.files.items()) if p.startswith(STEPS + "/") and p.endswith(".md")}

    @property
    def examples(self) -> dict[str, str]:
        return {p: t for p, t in sorted(self.files.items()) if p.startswith(EXAMPLES + "/")}

    @property
    def version_hash(self) -> str:
        digest = hashlib.sha256()
        for path, text in sorted(self.files.items()):
            digest.update(path.encode() + b"\0" + text.encode() + b"\0")
        return digest.hexdigest()[:16]

    def with_file(self, path: str, text: str) -> Pipeline:
        return Pipeline({**self.files, path: text})

    def with_style(self, style: Style) -> Pipeline:
        return self.with_file(STYLE, style.render())


def diff(old: Pipeline, new: Pipeline) -> dict[str, str]:
    """Unified diff per changed file (added and removed files included); unchanged files are left out."""
    out = {}
    for path in sorted(set(old.files) | set(new.files)):
        a, b = old.files.get(path), new.files.get(path)
        if a == b:
            continue
        lines = difflib.unified_diff(
            (a or "").splitlines(keepends=True), (b or "").splitlines(keepends=True),
            fromfile=f"a/{path}" if a is not None else "/dev/null",
            tofile=f"b/{path}" if b is not None else "/dev/null",
        )
        out[path] = "".join(lines)
    return out


@dataclass(frozen=True)
class Hunk:
    """One change to one file: lines old[a1:a2] become new[b1:b2]. `id` is stable within a proposal."""

    id: str
    path: str
    old: tuple[str, ...]
    new: tuple[str, ...]
    a: tuple[int, int]

    def unified(self) -> str:
        return "".join(f"-{line}" for line in self.old) + "".join(f"+{line}" for line in self.new)


def changed_runs(a: list[str], b: list[str]):
    """The runs of lines that differ between a and b, as difflib opcodes (tag, a1, a2, b1, b2)."""
    return [op for op in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes() if op[0] != "equal"]


def hunks(old: Pipeline, new: Pipeline) -> list[Hunk]:
    """Every change from old to new as independent hunks, file by file (an added or removed file is one hunk)."""
    out = []
    for path in sorted(set(old.files) | set(new.files)):
        a = (old.files.get(path) or "").splitlines(keepends=True)
        b = (new.files.get(path) or "").splitlines(keepends=True)
        for n, (_, a1, a2, b1, b2) in enumerate(changed_runs(a, b)):
            out.append(Hunk(f"{path}#{n}", path, tuple(a[a1:a2]), tuple(b[b1:b2]), (a1, a2)))
    return out


def apply_hunks(old: Pipeline, new: Pipeline, accepted: set[str]) -> Pipeline:
    """old with only the accepted hunks of old -> new applied."""
    files = dict(old.files)
    by_path: dict[str, list[Hunk]] = {}
    for hunk in hunks(old, new):
        by_path.setdefault(hunk.path, []).append(hunk)
    for path, changes in by_path.items():
        a = (old.files.get(path) or "").splitlines(keepends=True)
        out, pos = [], 0
        for hunk in changes:
            out += a[pos : hunk.a[0]] + list(hunk.new if hunk.id in accepted else hunk.old)
            pos = hunk.a[1]
        text = "".join(out + a[pos:])
        if path not in old.files and not text:
            continue
        if path in old.files and path not in new.files and f"{path}#0" in accepted and not text:
            files.pop(path, None)
            continue
        files[path] = text
    return Pipeline(files)
