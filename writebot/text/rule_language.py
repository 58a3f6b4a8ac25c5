"""The rule language shared by simulated users and the rules engine.

Each rule is one docs/FORMATS.md §3 edit. A persona applies them to make a ground truth; the rules engine writes them
into STYLE.md as one-line plain-English rules (`to_line`/`parse_rule`) and applies them to its drafts. The learner never
sees a persona: it rediscovers rules of these kinds from diffs alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from writebot.text.english import keeps_capital, starts_clause
from writebot.text.hygiene import breaks_grammar
from writebot.text.post import Post, is_heading, sentences

CONTRACTIONS: list[tuple[str, str]] = [
    ("do not", "don't"), ("does not", "doesn't"), ("did not", "didn't"), ("is not", "isn't"),
    ("are not", "aren't"), ("was not", "wasn't"), ("cannot", "can't"), ("will not", "won't"),
    ("would not", "wouldn't"), ("should not", "shouldn't"), ("could not", "couldn't"), ("it is", "it's"),
    ("that is", "that's"), ("there is", "there's"), ("I am", "I'm"), ("I have", "I've"), ("I will", "I'll"),
    ("you are", "you're"), ("you will", "you'll"), ("we are", "we're"), ("we have", "we've"),
    ("they are", "they're"), ("let us", "let's"),
]
CONTRACTED = {long.lower(): short for long, short in CONTRACTIONS}
EXPANDED = {short.lower(): long for long, short in CONTRACTIONS}
MINOR_WORDS = {"a", "an", "the", "and", "but", "or", "for", "nor", "on", "at", "to", "by", "of", "in", "with"}
HEADING_CASES = ("sentence", "title", "lower")

_APOS = "['\u2019]"


def _whole_word_pattern(old: str, whole_word: bool, any_apostrophe: bool = False) -> str:
    core = re.escape(old)
    if any_apostrophe:
        core = core.replace("'", _APOS)
    if whole_word and old[:1].isalnum():
        core = rf"(?<!\w)(?<!\w{_APOS})" + core
    if whole_word and old[-1:].isalnum():
        core = core + rf"(?!\w)(?!{_APOS}\w)"
    return core


def _capitalise(text: str) -> str:
    for i, ch in enumerate(text):
        if ch.isalpha():
            return text[:i] + ch.upper() + text[i + 1 :]
    return text


def _keep_case(matched: str, new: str) -> str:
    return _capitalise(new) if matched[:1].isupper() else new


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


def _unquote_all(text: str) -> list[str]:
    return [json.loads(q) for q in _QUOTED.findall(text)]


def _map_paragraphs(text: str, change) -> str:
    """Apply change(paragraph) -> paragraph | None (None drops it) to every non-heading block."""
    post = Post.parse(text)
    blocks, changed = [], False
    for i, block in enumerate(post.blocks):
        if (i == 0 and post.has_title) or is_heading(block):
            blocks.append(block)
            continue
        new = change(block)
        changed = changed or new != block
        if new:
            blocks.append(new)
    return Post(blocks, post.has_title).render() if changed else text


@dataclass(frozen=True)
class Replace:
    old: str
    new: str
    whole_word: bool = True
    kind = "replace"

    @cached_property
    def _regex(self) -> re.Pattern:
        return re.compile(_whole_word_pattern(self.old, self.whole_word), re.I)

    @cached_property
    def _guarded(self) -> bool:
        """A swap that writes words, an apostrophe or nothing may break a sentence; one that writes punctuation
        alone ("!" -> ".") never does."""
        return any(c.isalnum() or c in "'\u2019" for c in self.new) or not self.new.strip()

    def apply(self, text: str) -> str:
        if self.old.lower() not in text.lower():  # cheap test first: most texts lack most words
            return text
        if not self._guarded:
            return self._regex.sub(lambda m: _keep_case(m.group(0), self.new), text)
        out, pos = [], 0
        for m in self.matches(text):
            out += [text[pos : m.start()], _keep_case(m.group(0), self.new)]
            pos = m.end()
        return "".join(out) + text[pos:] if out else text

    def matches(self, text: str) -> Iterator[re.Match]:
        """Where apply replaces: every match, except where the swap would break the sentence around it
        ("a lot of" -> "many" before "the nerves": "many the nerves"; docs/FORMATS.md §3)."""
        if self.old.lower() not in text.lower():
            return iter(())
        if not self._guarded:
            return self._regex.finditer(text)
        return (m for m in self._regex.finditer(text) if not breaks_grammar(text, m.start(), m.end(),
                                                                             _keep_case(m.group(0), self.new)))

    def to_line(self) -> str:
        tail = ", even inside words" if not self.whole_word else ""
        return f"Replace {_quote(self.old)} with {_quote(self.new)}{tail}."


def short_line(block: str, greeting: bool) -> bool:
    """A greeting or a sign-off a person swaps for their own (docs/FORMATS.md §3): one line, at most 6 words, not
    a heading; a greeting also ends in `!`, `,`, `.` or `:`."""
    if "\n" in block or is_heading(block) or len(block.split()) > 6:
        return False
    return not greeting or block[-1:] in ("!", ",", ".", ":")


@dataclass(frozen=True)
class OpenWith:
    line: str
    kind = "open_with"

    def apply(self, text: str) -> str:
        post = Post.parse(text)
        body = post.body
        if body and body[0] == self.line:
            return text
        if body and short_line(body[0], greeting=True):  # swap the greeting: the post keeps one
            post.blocks[post.body_start] = self.line
        else:
            post.blocks.insert(post.body_start, self.line)
        return post.render()

    def to_line(self) -> str:
        return f"Open with the line: {self.line}"


@dataclass(frozen=True)
class CloseWith:
    line: str
    kind = "close_with"

    def apply(self, text: str) -> str:
        post = Post.parse(text)
        body = post.body
        if body and body[-1] == self.line:
            return text
        if body and short_line(body[-1], greeting=False):  # swap the sign-off: the post keeps one
            post.blocks[-1] = self.line
        else:
            post.blocks.append(self.line)
        return post.render()

    def to_line(self) -> str:
        return f"Close with the line: {self.line}"


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _whole_word_at(low: str, i: int, j: int) -> bool:
    """True when low[i:j] is not inside a longer word (an apostrophe between letters joins words)."""
    if i > 0 and (_is_word_char(low[i - 1]) or (low[i - 1] in "'\u2019" and i > 1 and _is_word_char(low[i - 2]))):
        return False
    n = len(low)
    return not (j < n and (_is_word_char(low[j]) or (low[j] in "'\u2019" and j + 1 < n and _is_word_char(low[j + 1]))))


_NEXT = re.compile(r"[ \t]*([.!?,;:]|$)|\s*[\"']?([\w']*)", re.M)  # a clause end, or the next word
_NOT_AFTER_HAVE = {"a", "an", "the", "to", "not", "no", "any", "some", "my", "your", "our", "their", "his", "her",
                   "its", "this", "that", "these", "those", "one", "two", "three", "many", "much", "enough"}


def _contracts_here(low: str, pair: str, end: int) -> bool:
    """Where a pair may contract (docs/FORMATS.md §3): never at the end of a clause ("Here it is.", "what it is,"),
    nor before "to" ("all there is to it"), "have" only as an auxiliary ("we have all been" yes; "I have a dog",
    "I have to" no), and "let us know" stays."""
    following = _NEXT.match(low, end)
    if following.group(1) is not None:  # a clause ends here
        return False
    after = following.group(2) or ""
    if after == "to" or (pair.endswith(" have") and after in _NOT_AFTER_HAVE):
        return False
    return not (pair == "let us" and after == "know")


@dataclass(frozen=True)
class Contractions:
    mode: str  # contract | expand
    kind = "contractions"

    def apply(self, text: str) -> str:
        # str.find over a lower-cased copy is much faster than one big case-insensitive regex alternation.
        table = CONTRACTED if self.mode == "contract" else EXPANDED
        low = text.lower().replace("\u2019", "'")
        hits = []
        for word in table:
            i = low.find(word)
            while i >= 0:
                j = i + len(word)
                if _whole_word_at(low, i, j) and (self.mode == "expand" or _contracts_here(low, word, j)):
                    hits.append((i, j, word))
                i = low.find(word, i + 1)
        if not hits:
            return text
        # overlapping pairs ("I will not"): the negation wins ("I won't", never "I'll not"), then the first one
        taken: list[tuple[int, int, str]] = []
        for hit in sorted(hits, key=lambda h: (not h[2].endswith(("not", "n't")), h[0])):
            if all(hit[1] <= i or hit[0] >= j for i, j, _ in taken):
                taken.append(hit)
        out, pos = [], 0
        for i, j, word in sorted(taken):
            out += [text[pos:i], _keep_case(text[i:j], table[word])]
            pos = j
        return "".join(out) + text[pos:]

    def to_line(self) -> str:
        if self.mode == "contract":
            return "Use contractions (don't, it's, we're, can't, ...)."
        return 'Avoid contractions: write "do not", "it is", "we are", "cannot", ...'


_I_WORD = re.compile(r"(?<![\w'’])i(?![\w])")


def heading_case(text: str, case: str) -> str:
    """A heading in a case (docs/FORMATS.md §3). Sentence and lower case keep names and words with capitals inside
    ("Mondays", "Japan", "G", "USB"; lower case writes "i"); title case capitalises the first and the last word
    whatever they are ("Stays On")."""
    words = text.split(" ")
    if case == "sentence":
        out = [word if not word.islower() and keeps_capital(word) else word.lower() for word in words]
        return _I_WORD.sub("I", _capitalise(" ".join(out)))
    if case == "lower":
        return " ".join(word if keeps_capital(word) and not _I_WORD.match(word.lower()) else word.lower()
                        for word in words)
    last = max((i for i, word in enumerate(words) if any(c.isalpha() for c in word)), default=0)
    out = []
    for i, word in enumerate(words):
        bare = re.sub(r"^\W+|\W+$", "", word).lower()
        out.append(word.lower() if 0 < i < last and bare in MINOR_WORDS else _capitalise(word))
    return " ".join(out)


_HEADING_LINE = re.compile(r"(?m)^(#+[ \t]*)(.*)$")


@dataclass(frozen=True)
class HeadingCase:
    case: str  # sentence | title | lower
    kind = "heading_case"

    def apply(self, text: str) -> str:
        return _HEADING_LINE.sub(lambda m: m.group(1) + heading_case(m.group(2), self.case), text)

    def to_line(self) -> str:
        return f"Write headings in {self.case} case."


_CONJUNCTION = re.compile(r", (?:and|but) ")


def split_points(sentence: str) -> list[int]:
    """Where a sentence may be split (docs/FORMATS.md §3): at ", and " / ", but " followed by a clause that can
    stand alone ("..., and wipe off the excess"), never before a noun phrase ("..., and spare batteries in a bag")."""
    return [m.start() for m in _CONJUNCTION.finditer(sentence) if starts_clause(sentence[m.end():])]


def split_long_sentence(sentence: str, limit: int) -> list[str]:
    """docs/FORMATS.md §3 max_sentence_words: split at the first split point while over the limit."""
    out = []
    while len(sentence.split()) > limit:
        cuts = split_points(sentence)
        if not cuts:
            break
        cut = cuts[0]
        out.append(sentence[:cut] + ".")
        sentence = _capitalise(sentence[cut + 6 :])
    out.append(sentence)
    return out


@dataclass(frozen=True)
class MaxSentenceWords:
    limit: int
    kind = "max_sentence_words"

    def _paragraph(self, paragraph: str) -> str:
        if (", and " not in paragraph and ", but " not in paragraph) or len(paragraph.split()) <= self.limit:
            return paragraph
        parts = sentences(paragraph)
        if not any(len(s.split()) > self.limit and (", and " in s or ", but " in s) for s in parts):
            return paragraph
        return " ".join(piece for s in parts for piece in split_long_sentence(s, self.limit))

    def apply(self, text: str) -> str:
        if ", and " not in text and ", but " not in text:
            return text
        return _map_paragraphs(text, self._paragraph)

    def to_line(self) -> str:
        return f'Split sentences longer than {self.limit} words at ", and" or ", but".'


@dataclass(frozen=True)
class DropSentencesWith:
    phrases: tuple[str, ...] = field(default_factory=tuple)
    kind = "drop_sentences_with"

    @cached_property
    def _lowered(self) -> tuple[str, ...]:
        return tuple(p.lower() for p in self.phrases)

    def drops(self, text: str) -> bool:
        """True for a sentence (or any text) holding one of the phrases, in any case."""
        low = text.lower()
        return any(p in low for p in self._lowered)

    def _paragraph(self, paragraph: str) -> str:
        if not self.drops(paragraph):
            return paragraph
        parts = sentences(paragraph)
        kept = [s for s in parts if not self.drops(s)]
        return paragraph if len(kept) == len(parts) else " ".join(kept)

    def apply(self, text: str) -> str:
        if not self.drops(text):
            return text
        return _map_paragraphs(text, self._paragraph)

    def to_line(self) -> str:
        return "Drop any sentence containing " + " or ".join(_quote(p) for p in self.phrases) + "."


Rule = Replace | OpenWith | CloseWith | Contractions | HeadingCase | MaxSentenceWords | DropSentencesWith
RULE_KINDS = ("replace", "open_with", "close_with", "contractions", "heading_case", "max_sentence_words",
              "drop_sentences_with")


SLOT_NAMES = {"open_with": "opening line", "close_with": "closing line", "contractions": "contractions",
              "heading_case": "heading case", "max_sentence_words": "sentence length"}


def slot(rule: Rule) -> tuple[str, ...] | None:
    """What a rule decides, when a guide should decide it once: the opening line, the closing line, contractions on
    or off, the heading case, the sentence length, or what one word becomes. None: rules of the kind add up (drops)."""
    if isinstance(rule, Replace):
        return ("replace", rule.old.lower())
    return None if isinstance(rule, DropSentencesWith) else (rule.kind,)


def slot_name(rule: Rule) -> str:
    if isinstance(rule, Replace):
        return f"what {_quote(rule.old.lower())} becomes"
    return SLOT_NAMES.get(rule.kind, rule.kind)


def contradicts(a: Rule, b: Rule) -> bool:
    """True when a guide holding both rules tells the writer two opposite things: the same slot decided twice, or
    a replacement and its reverse ("A" -> "B" with "B" -> "A")."""
    if a == b:
        return False
    if slot(a) is not None and slot(a) == slot(b):
        return True
    return (isinstance(a, Replace) and isinstance(b, Replace) and a.old.lower() == b.new.lower()
            and b.old.lower() == a.new.lower())


def subsumes(rule: Rule, other: Rule) -> bool:
    """True when `rule`, a rule of a class (contractions, say), does what the word swap `other` does: `other` is
    one instance of it ("Replace "do not" with "don't"" under "Use contractions")."""
    if isinstance(rule, Replace) or not isinstance(other, Replace) or not other.whole_word:
        return False
    # inside a sentence, as the swap fires: a class rule may leave a phrase alone at a clause end ("Here it is.")
    probe = f"{other.old} go"
    return rule.apply(probe).lower() == f"{other.new} go".lower() != probe.lower()


def undoes(rule: Rule, kept: Rule) -> bool:
    """True when the word swap `rule` takes back, in one context, what the wider swap `kept` does ("can use" ->
    "can utilize" beside "utilize" -> "use"): it fits the posts where the user skipped `kept`, and a user who skips
    a rule now and then leaves the words alone, never writes them back."""
    if not (isinstance(rule, Replace) and isinstance(kept, Replace)):
        return False
    a, b = rule.old.lower().split(), rule.new.lower().split()
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    j = 0
    while j < min(len(a), len(b)) - i and a[-1 - j] == b[-1 - j]:
        j += 1
    removed, added = a[i:len(a) - j], b[i:len(b) - j]
    if not removed or not added or (i == 0 and j == 0):  # no context around the change: a swap of its own
        return False
    new, old = kept.new.lower().split(), kept.old.lower().split()
    return any(new[k:k + len(removed)] == removed and old[k:k + len(added)] == added for k in range(len(new)))


def apply_rules(text: str, rules: list[Rule]) -> str:
    for rule in rules:
        text = rule.apply(text)
    return text


_LINE_PATTERNS: list[tuple[re.Pattern, object]] = [
    (re.compile(r'^replace\s+("(?:[^"\\]|\\.)*")\s+with\s+("(?:[^"\\]|\\.)*")(,\s*even inside words)?\.?$', re.I),
     lambda m: Replace(json.loads(m[1]), json.loads(m[2]), whole_word=not m[3])),
    (re.compile(r"^open with the line:\s?(.+)$", re.I), lambda m: OpenWith(m[1].strip())),
    (re.compile(r"^close with the line:\s?(.+)$", re.I), lambda m: CloseWith(m[1].strip())),
    (re.compile(r"^use contractions\b", re.I), lambda m: Contractions("contract")),
    (re.compile(r"^avoid contractions\b", re.I), lambda m: Contractions("expand")),
    (re.compile(r"^write headings in (sentence|title|lower) case\.?$", re.I), lambda m: HeadingCase(m[1].lower())),
    (re.compile(r"^split sentences longer than (\d+) words\b", re.I), lambda m: MaxSentenceWords(int(m[1]))),
    (re.compile(r"^drop any sentence containing (.+)$", re.I),
     lambda m: DropSentencesWith(tuple(_unquote_all(m[1]))) if _unquote_all(m[1]) else None),
]


def parse_rule(line: str) -> Rule | None:
    """The rule a STYLE.md line states, or None when the line is prose only Claude can follow."""
    line = line.strip()
    for pattern, build in _LINE_PATTERNS:
        m = pattern.match(line)
        if m:
            try:
                return build(m)
            except (ValueError, json.JSONDecodeError):
                return None
    return None
