"""A simulated user played by Claude from the persona's description (PRELUDE's protocol)."""

from __future__ import annotations

import re

from writebot.errors import InputError
from writebot.text.post import normalize
from writebot.text.topics import Topic
from writebot.users.base import Review
from writebot.users.persona import Persona

_VERDICT = re.compile(r"<verdict>\s*(fits|revise)\s*</verdict>", re.I)
_FEEDBACK = re.compile(r"<feedback>(.*?)</feedback>", re.S | re.I)
_POST = re.compile(r"<post>\s*(.*?)\s*</post>", re.S | re.I)


def review_problem(response: dict) -> str | None:
    """Why a reviewer's answer cannot be used (None when it can): no verdict, or "revise" without a whole post. A
    revision cut before </post> must never pass for "fits" (ground truth = draft): that corrupts the training signal."""
    from writebot.claude.llm import text_of

    text = text_of(response)
    verdict = _VERDICT.search(text)
    if not verdict:
        return "no <verdict> in the answer"
    post = _POST.search(text)
    if verdict[1].lower() == "revise" and (not post or not post[1].strip()):
        return "verdict revise without a complete <post>...</post>"
    return None


class ClaudeUser:
    """A simulated user played by Claude from the persona's description (PRELUDE protocol): judge first, and if
    the draft does not fit, revise it and say in a sentence or two what was wrong. It sees the brief, told that its
    points are the author's own facts and experiences (as PRELUDE's user sees the source document): it puts back a
    lost point and takes out an invented one, so lost or invented content costs edits. An answer cut, refused or
    unusable twice raises a ModelStop (writebot.claude.llm): never a ground truth made of half an answer."""

    def __init__(self, persona: Persona, llm):
        if not persona.description:
            raise InputError(f"persona '{persona.name}' has no description; --user claude plays the description")
        self._persona = persona
        self.llm = llm
        self.name = persona.name

    async def areview(self, topic: Topic, draft: str) -> Review:
        from writebot.claude.llm import text_of
        from writebot.claude.prompts import render

        response = await self.llm.complete(
            "user", {"system": render("user_system", description=self._persona.description_for(topic.kind)),
                     "messages": [{"role": "user", "content": render(
                         "user_review", title=topic.title, audience=topic.audience or "general readers",
                         kind_line=f"Kind of post: {topic.kind}\n" if topic.kind else "",
                         points="\n".join(f"- {p}" for p in topic.points), draft=draft.strip())}]},
            check=review_problem)
        text = text_of(response)
        if _VERDICT.search(text)[1].lower() == "fits":
            return Review(normalize(draft), [], by=f"claude:{self.name}")
        feedback = _FEEDBACK.search(text)
        return Review(normalize(_POST.search(text)[1]), [feedback[1].strip()] if feedback else [],
                      by=f"claude:{self.name}")

    def review(self, topic: Topic, draft: str) -> Review:
        return self.llm.run(self.areview(topic, draft))

    async def aclose(self) -> None:
        await self.llm.aclose()
