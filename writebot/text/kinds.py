"""Kinds of post (docs/FORMATS.md §11): a topic may say its kind (`kind: recipe`); STYLE.md holds the rules of every
post under `## Rules` and a kind's own under `## Rules for <kind>`, which come after the general ones and win; an
example belongs to a kind when it sits in `examples/<kind>/`. Every room asks this module what a post of a kind
reads, so no room needs an `if kind` of its own.
"""

from __future__ import annotations

from writebot.text.pipeline import EXAMPLES, KIND_SECTION, Pipeline

# A rule is one kind's when the posts of all other kinds together plainly do not want it: it makes at least this
# many of them cost more, and KIND_MARGIN times as many as it makes cost less (a user who skips a rule now and then
# leaves it out of a few posts of every kind: that is no kind's rule). A kind's own rule is read off few posts, where
# skipped rules weigh more: the learner also holds it to help KIND_MARGIN times the posts it hurts.
KIND_MARGIN, KIND_HURT = 3, 3


def one_kind(spreads: dict[str | None, tuple[int, int]]) -> str | None:
    """The one kind a rule belongs to, given per kind (None: posts of no kind) the posts it (helps, hurts): the
    only kind whose posts it helps more than it hurts, where the other kinds' posts plainly do not want it. The
    rules learner moves such a rule to the kind's section (engines/by_kind.py); lint flags one left general."""
    asking = [k for k, (helped, hurt) in spreads.items() if helped > hurt]
    if len(asking) != 1 or asking[0] is None:
        return None
    helped = sum(h for k, (h, _) in spreads.items() if k != asking[0])
    hurt = sum(h for k, (_, h) in spreads.items() if k != asking[0])
    return asking[0] if hurt >= max(KIND_HURT, KIND_MARGIN * helped) else None


def example_kind(path: str) -> str | None:
    """The kind an example post belongs to: `examples/<kind>/<name>.md`; None for `examples/<name>.md`."""
    parts = path.split("/")
    return parts[1] if len(parts) == 3 and parts[0] == EXAMPLES else None


def style_for(text: str, kind: str | None) -> str:
    """STYLE.md as a post of `kind` reads it: every line but those of the sections written for other kinds (the
    text as it is, byte for byte, for a guide with no kind sections)."""
    out, skipping = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("## "):
            found = KIND_SECTION.fullmatch(line[3:].strip())
            skipping = bool(found) and found[1].strip().lower() != kind
        if not skipping:
            out.append(line)
    return "".join(out)


def examples_for(pipeline: Pipeline, kind: str | None) -> dict[str, str]:
    """The example posts a post of `kind` is shown: its kind's and the general ones (written for no kind); where
    the kind has none of its own (or the post has no kind), all of them."""
    own = {p: t for p, t in pipeline.examples.items() if kind and example_kind(p) == kind}
    if not own:
        return pipeline.examples
    return {p: t for p, t in pipeline.examples.items() if example_kind(p) in (None, kind)}


def known_kinds(pipeline: Pipeline) -> set[str]:
    """The kinds the guide knows: a section of rules, or examples of their own."""
    return {k for k, _ in pipeline.style.kinds} | {k for p in pipeline.examples if (k := example_kind(p))}


def unseen(pipeline: Pipeline, kind: str | None) -> str | None:
    """The line to say when a post's kind is one the guide has never seen (None when it knows it, or no kind)."""
    if not kind or kind in known_kinds(pipeline):
        return None
    known = ", ".join(sorted(known_kinds(pipeline))) or "none yet"
    return (f"the guide has no rules for kind '{kind}' (it knows: {known}); the post is written with the general "
            "rules only")
