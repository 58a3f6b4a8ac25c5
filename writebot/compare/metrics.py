"""How far a draft is from its ground truth (docs/FORMATS.md §4), via rapidfuzz."""

from __future__ import annotations

from rapidfuzz.distance import Indel, Levenshtein


def similarity(draft: str, ground_truth: str) -> float:
    """rapidfuzz's normalized Indel similarity, 0..1."""
    return Indel.normalized_similarity(draft, ground_truth)


def word_edit_distance(draft: str, ground_truth: str) -> int:
    """Levenshtein distance over white-space separated words: the PRELUDE user-edit cost."""
    return Levenshtein.distance(draft.split(), ground_truth.split())


def char_edit_distance(draft: str, ground_truth: str) -> int:
    return Levenshtein.distance(draft, ground_truth)


def scores(draft: str, ground_truth: str) -> dict[str, float | int]:
    return {
        "similarity": round(similarity(draft, ground_truth), 6),
        "word_edit_distance": word_edit_distance(draft, ground_truth),
        "char_edit_distance": char_edit_distance(draft, ground_truth),
    }
