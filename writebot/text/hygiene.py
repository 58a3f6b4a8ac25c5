"""Is a post well formed? Sentences start with a capital, no doubled or stray spaces or punctuation, no empty
paragraphs, headings intact (docs/FORMATS.md §6). `violations` finds what is wrong; `repair` mends it, and leaves a
well-formed post exactly as it was, so the offline writer can run it after every rule set.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from writebot.text.post import Post, is_heading, is_normal

# A sentence ends at . ! ? followed by white space, except after an abbreviation ("e.g.", "etc.", "A.", "Dr.").
_ABBREVIATIONS = {"etc", "vs", "mr", "mrs", "ms", "dr", "st", "no", "approx", "cf", "fig", "jr", "sr"}
_END = re.compile(r"(\S+)([.!?])\s+")
_LIST_ITEM = re.compile(r"^(?:[-*+]|\d+[.)])\s")
_OPENERS = "\"'“‘(["
_HEADING = re.compile(r"^#{1,6} \S")

_DOUBLE_SPACE = re.compile(r"(?<=\S) {2,}(?=\S)")
_SPACE_BEFORE = re.compile(r"(?<=\S)[ \t]+([,;:.!?])(?!\.\.)")
_NO_SPACE_AFTER = re.compile(r"([,;])(?=[A-Za-z])")
_DOUBLED = [  # (pattern, what it is mended to)
    (re.compile(r"([,;:])\s*([.!?])"), r"\2"),  # ",." -> "."
    (re.compile(r"(?<!\.[A-Za-z])(?<!\betc)(?<!\bvs)\.[,;:]"), "."),  # ".," -> "." (but "e.g.," is fine)
    (re.compile(r"([!?])[,;:]"), r"\1"),  # "?:" -> "?"
    (re.compile(r"([,;:])\s*[,;:]"), r"\1"),  # ",," or ", ;" -> ","
    (re.compile(r"(?<![.])\.\.(?![.])"), "."),  # ".." but not "..."
    (re.compile(r"\.([!?])"), r"\1"),  # ".?" -> "?"
    (re.compile(r"([!?])\.(?![.])"), r"\1"),  # "!." -> "!"
]
_LEADING_PUNCTUATION = re.compile(r"^[\s,;:.!?]+")
_LEADING_JUNK = re.compile(r"^[\s,;:.!?#]+")
_WORDLESS = re.compile(r"^[\W_]*$")


def _sentence_starts(paragraph: str) -> list[int]:
    """Indices of the first character of each sentence of a paragraph (list items are left alone)."""
    starts = [0]
    for m in _END.finditer(paragraph):
        word = m.group(1).lstrip(_OPENERS)
        if m.group(2) == "." and ("." in word or len(word) == 1 or word.lower() in _ABBREVIATIONS):
            continue
        starts.append(m.end())
    out = []
    for i in starts:
        line_start = paragraph.rfind("\n", 0, i) + 1
        if line_start == i and _LIST_ITEM.match(paragraph[i:]):
            continue
        while i < len(paragraph) and paragraph[i] in _OPENERS:
            i += 1
        if i < len(paragraph):
            out.append(i)
    return out


def violations(text: str) -> list[str]:
    """What is wrong with a post, one short line each (empty: well formed)."""
    found = []
    post = Post.parse(text)
    if text.strip() and not post.has_title:
        found.append("no '# ' title")
    for n, block in enumerate(post.blocks):
        where = f"block {n + 1}"
        if _WORDLESS.match(block):
            found.append(f"{where}: empty paragraph {block!r}")
            continue
        for line in block.split("\n"):
            if line != line.strip():
                found.append(f"{where}: space at the edge of a line: {line!r}")
            if _DOUBLE_SPACE.search(line):
                found.append(f"{where}: doubled space: {line!r}")
        if is_heading(block):
            if not _HEADING.match(block) or "\n" in block:
                found.append(f"{where}: broken heading {block!r}")
            continue
        if m := _SPACE_BEFORE.search(block):
            found.append(f"{where}: space before {m.group(1)!r}: {block[max(0, m.start() - 20):m.end() + 10]!r}")
        if m := _NO_SPACE_AFTER.search(block):
            found.append(f"{where}: no space after {m.group(1)!r}: {block[max(0, m.start() - 20):m.end() + 10]!r}")
        for pattern, _ in _DOUBLED:
            if m := pattern.search(block):
                found.append(f"{where}: stray punctuation {m.group(0)!r}")
        if _LEADING_PUNCTUATION.match(block):
            found.append(f"{where}: starts with punctuation: {block[:30]!r}")
        for i in _sentence_starts(block):
            if block[i].islower():
                found.append(f"{where}: sentence starts with a small letter: {block[i:i + 30]!r}")
    return found


def _capitalise_sentences(paragraph: str) -> str:
    chars = list(paragraph)
    for i in _sentence_starts(paragraph):
        if chars[i].islower():
            chars[i] = chars[i].upper()
    return "".join(chars)


def _mend_paragraph(block: str) -> str:
    block = "\n".join(line.strip() for line in block.split("\n"))
    for _ in range(4):  # "b , ,." needs more than one pass
        before = block
        block = _LEADING_JUNK.sub("", block)  # and what is left must not turn into a heading
        block = _NO_SPACE_AFTER.sub(r"\1 ", _SPACE_BEFORE.sub(r"\1", _DOUBLE_SPACE.sub(" ", block)))
        for pattern, mended in _DOUBLED:
            block = pattern.sub(mended, block)
        if block == before:
            break
    return _capitalise_sentences(block)


# Anything repair might change; a normal post with none of these is well formed and comes back at once (the
# learner mends every candidate's output, so this path must be fast). A test checks it agrees with the full pass.
_PUNCTUATION = re.compile(r"[,;:.!?]")


def _punctuation_pair(text: str) -> bool:
    """Punctuation after a space or after punctuation, or a comma or semicolon right before a letter (a loop over
    the few punctuation marks is faster than one regex over every space)."""
    for m in _PUNCTUATION.finditer(text):
        i = m.start()
        if i and text[i - 1] in " ,;:.!?":
            return True
        after = text[i + 1 : i + 2]
        if text[i] in ",;" and after.isascii() and after.isalpha():
            return True
    return False
_SMALL_AFTER_END = re.compile(r"[.!?]\s+[\"'“‘(\[]*[a-z]")
_ODD_BLOCK_START = re.compile(r"\n\n[^A-Z#\"'“‘(\[]|\n\n[\"'“‘(\[]+[^A-Z]")
_ODD_HEADING = re.compile(r"\n#+(?:[^# ]| ?\n| ?$| \s)")


def _plainly_well_formed(text: str) -> bool:
    return (text[:2] == "# " and text[2:3] not in (" ", "\n", "") and is_normal(text) and "  " not in text
            and not _punctuation_pair(text) and not _SMALL_AFTER_END.search(text)
            and not _ODD_BLOCK_START.search(text) and not _ODD_HEADING.search(text))


def repair(text: str) -> str:
    """The post with what `violations` finds mended; a well-formed post comes back unchanged."""
    return text if _plainly_well_formed(text) else full_repair(text)


def shown_cost(text: str, truth_words: list[str]) -> int:
    """The words the user edits in what the writer shows (the text mended) to reach `truth_words`: the cost the
    rules learner selects by (engines/selection) and lint reads a rule's gain with (text/lint)."""
    return Levenshtein.distance(repair(text).split(), truth_words)


def full_repair(text: str) -> str:
    """repair without the fast path."""
    post = Post.parse(text)
    blocks = []
    for block in post.blocks:
        if is_heading(block):
            heading = re.sub(r"^(#{1,6})\s*", r"\1 ", _DOUBLE_SPACE.sub(" ", " ".join(block.split())))
            if not _WORDLESS.match(heading.lstrip("#")):
                blocks.append(heading)
            continue
        block = _mend_paragraph(block)
        if not _WORDLESS.match(block):
            blocks.append(block)
    return Post(blocks, post.has_title).render()


# Damage that punctuation repair cannot see: grammar a rule broke (docs/FORMATS.md §6). Each pattern is a kind of
# sentence the rules used to write; `damage` finds them in any text, for tests and bench/faithfulness.py.
_PRONOUN_CONTRACTIONS = r"(?:it|that|there|i|you|we|they|let)['\u2019](?:s|m|re|ve|ll)"
_DAMAGE = [
    ("contraction at a clause end", re.compile(rf"(?i)\b{_PRONOUN_CONTRACTIONS}[ \t]*(?:[.!?,;:]|$)", re.M)),
    ("contraction before a negation", re.compile(r"(?i)\b\w+['\u2019](?:ll|ve|d) not\b")),
    ("contraction before 'to'", re.compile(r"(?i)\bthere['\u2019]s to\b")),
    ("quantifier before a determiner", re.compile(
        r"(?i)\b(?:many|much|few|several)\s+(?:the|my|your|our|their|his|her|its|this|that|these|those)\b")),
    ("a word twice", re.compile(r"(?i)\b(?!(?:that|had)\b)([a-z]+)\s+\1\b")),
]
_MINOR = {"a", "an", "the", "and", "but", "or", "for", "nor", "on", "at", "to", "by", "of", "in", "with"}


def _heading_damage(heading: str) -> str | None:
    """A name lower-cased by sentence case (all lower case is a style of its own), or title case that leaves the last
    word small."""
    from writebot.text.english import lexicon

    words = heading.lstrip("#").split()
    names = lexicon()["proper_nouns"] - {"march"}
    for word in words[1:] if words and words[0][:1].isupper() else []:  # an all lower-case heading is a style
        bare = re.sub(r"\W+$", "", word)
        if bare.islower() and (bare in names or (bare.endswith("s") and bare[:-1] in names)):
            return f"a name in lower case: {heading!r}"
    major = [w for w in words if w.lower() not in _MINOR]
    if len(words) > 2 and major and all(w[:1].isupper() for w in major) and words[-1] in _MINOR:
        return f"a title-case heading ending in a small word: {heading!r}"
    return None


def _damage_count(text: str) -> int:
    return sum(len(pattern.findall(text)) for _, pattern in _DAMAGE)


_QUANTIFIERS = {"many", "much", "few", "several"}
_EDGE = "\"'“”‘’()[]"


@lru_cache(maxsize=4096)
def _ends(new: str) -> tuple[str, str, bool]:
    """The first and last word of what a swap writes, lower case, and whether it holds an apostrophe."""
    words = [w.strip(_EDGE + ",;:.!?").lower() for w in new.split()]
    words = [w for w in words if w]
    return (words[0] if words else "", words[-1] if words else "", "'" in new or "\u2019" in new)


def breaks_grammar(text: str, start: int, end: int, new: str) -> bool:
    """True when writing `new` over text[start:end] would damage the sentence around it (a `damage` pattern that was
    not there before): the guard every word swap passes, so no rule writes "many the nerves"."""
    first, last, apostrophe = _ends(new)
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    left = text[max(line_start, start - 40) : start]
    right = text[end : min(end + 40, len(text) if line_end < 0 else line_end)]
    # only a few things a swap writes can make a pattern: an apostrophe, a quantifier, a word its neighbour repeats
    if not apostrophe and last not in _QUANTIFIERS:
        # the words on either side, when only white space stands between them and the swap
        before = left.split()[-1].lower() if left[-1:].isspace() and left.strip() else ""
        after = right.split(None, 1)[0].lower() if right[:1].isspace() and right.strip() else ""
        if before not in _QUANTIFIERS and not (first and first == before) and not (last and last == after) \
                and not (not first and before and before == after):
            return False
    return _damage_count(left + new + right) > _damage_count(left + text[start:end] + right)


def damage(text: str) -> list[str]:
    """Sentences a rule broke in ways a reader sees and punctuation repair does not: a contraction where English
    has none ("Here it's."), "many the", a word written twice, a name lower-cased in a heading. One line each."""
    found = []
    for block in Post.parse(text).blocks:
        if is_heading(block):
            problem = _heading_damage(block)
            if problem:
                found.append(problem)
            continue
        for kind, pattern in _DAMAGE:
            for m in pattern.finditer(block):
                found.append(f"{kind}: {block[max(0, m.start() - 25):m.end() + 15]!r}")
    return found
