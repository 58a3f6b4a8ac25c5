"""Simulated users. A persona (docs/FORMATS.md §3) edits a draft into its ground truth and says what it disliked.

Only the trainer holds a user; the learner receives the resulting drafts, feedback and ground truths, never this.
"""

from __future__ import annotations

from writebot.users.base import Review, User
from writebot.users.claude_user import ClaudeUser, review_problem
from writebot.users.persona import (
    Persona,
    PersonaUser,
    load_persona,
    one_off_edits,
    parse_persona,
    persona_edit,
    put_back,
    unit,
    unused_edits,
)

__all__ = ["ClaudeUser", "Persona", "PersonaUser", "Review", "User", "load_persona", "one_off_edits", "parse_persona",
           "persona_edit", "put_back", "review_problem", "unit", "unused_edits"]
