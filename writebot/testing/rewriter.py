"""A stand-in reader that rewrites whole sentences, as a person (or Claude playing one) does, instead of making the
rule-shaped edits of a persona (docs/FORMATS.md §3): conditions become questions, hedges are softened or cut. A
learner that turns pieces of these rewrites into word swaps garbles text ("beans have you can avoid it"); tests and
bench/faithfulness.py train against it to show that the rules learner does not.

It keeps the User contract (writebot.users.User) and, like every user, is never shown to the learner.
"""

from __future__ import annotations

import re

from writebot.text.post import Post, is_heading, sentences
from writebot.text.topics import Topic
from writebot.users import Review

# (pattern over one sentence, replacement): each rewrites the sentence as a whole.
REWRITES: list[tuple[re.Pattern, str]] = [
    # "If you have ever wondered about X, this guide is for Y, and ..." -> "Have you ever wondered about X? This
    # guide is for Y!"
    (re.compile(r"^If you have ever ([^,]+), ([^,]+?)(?:, and .*)?[.!]$"), r"Have you ever \1? \2!"),
    # "Don't worry if X, and don't give up!" -> "If X, that's okay!"
    (re.compile(r"^Don't worry if ([^,]+), and don't give up!$"), r"If \1, that's okay!"),
    # "To be honest, X" -> "Honestly? X"
    (re.compile(r"^To be honest, (.+)$"), r"Honestly? \1"),
    # "In my opinion, X" -> "I think X"
    (re.compile(r"^In my opinion, (.+)$"), r"I think \1"),
    # "You do not need special X for this, and you can Y." -> "No special X needed: just Y."
    (re.compile(r"^You do not need (.+?) for this, and you can (?:utilize|use) (.+)\.$"), r"No \1 needed. Use \2."),
]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def rewrite_sentence(sentence: str) -> str:
    for pattern, replacement in REWRITES:
        if pattern.match(sentence):
            out = pattern.sub(replacement, sentence)
            return re.sub(r"([?!:.] )([a-z])", lambda m: m[1] + m[2].upper(), _capital(out))
    return sentence


def rewrite(text: str) -> str:
    """The post with every sentence a rewrite matches rewritten as a whole; headings and the title kept."""
    post = Post.parse(text)
    for i, block in enumerate(post.blocks):
        if (i == 0 and post.has_title) or is_heading(block):
            continue
        post.blocks[i] = " ".join(rewrite_sentence(s) for s in sentences(block))
    return post.render()


class RewritingReader:
    """A user (writebot.users.User) whose ground truth rewrites whole sentences; its feedback says so in words the
    rules engine cannot turn into a rule."""

    name = "rewriting-reader"

    def review(self, topic: Topic, draft: str) -> Review:
        truth = rewrite(draft)
        said = ["Talk to me: ask questions, and drop the hedging."] if truth != Post.parse(draft).render() else []
        return Review(truth, said, by=f"stand-in:{self.name}")

    async def areview(self, topic: Topic, draft: str) -> Review:
        return self.review(topic, draft)

    async def aclose(self) -> None:
        pass
