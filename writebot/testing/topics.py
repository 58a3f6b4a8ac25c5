"""Generated topic briefs for benchmarks and scale tests: deterministic for a given seed."""

from __future__ import annotations

import random

from writebot.text.topics import Topic

_SUBJECTS = ["a vegetable patch", "a home office", "a bread starter", "a road bike", "a reading habit",
             "a savings plan", "a family dinner", "a garden pond", "a morning routine", "a photo archive",
             "a kitchen knife", "a running plan", "a first aquarium", "a tidy garage", "a weekly meal plan"]
_VERBS = ["Keeping", "Starting", "Fixing", "Planning", "Cleaning", "Organising", "Improving", "Choosing"]
_POINTS = [
    "Utilize a checklist in order to remember every step.",
    "Do not rush the first week, because habits take time.",
    "It is easier to start small, and you can add more later.",
    "A lot of people forget to write down what worked!",
    "Set a timer for twenty minutes, but stop when it rings.",
    "Ask a friend to check your progress every Sunday.",
    "Keep the tools in one box, and label the box clearly.",
    "It is fine to skip a day when you are ill.",
    "Utilize the weekend to review the week.",
    "Do not buy expensive gear before you know you like it!",
]


def generate_topics(n: int, seed: int = 0, val_share: float = 0.25, kinds: tuple[str, ...] = ()) -> list[Topic]:
    """n briefs; with `kinds`, topic i is of kind i mod len(kinds) (no extra draw: the briefs are those of the same
    seed without kinds)."""
    rng = random.Random(seed)
    topics = []
    for i in range(n):
        title = f"{rng.choice(_VERBS)} {rng.choice(_SUBJECTS).title()}"
        points = tuple(rng.sample(_POINTS, rng.randint(2, 5)))
        split = "val" if rng.random() < val_share else "train"
        topics.append(Topic(f"topic-{i:05d}", title, points, None, split, kinds[i % len(kinds)] if kinds else None))
    return topics


def to_yaml(topics: list[Topic]) -> str:
    import yaml

    return yaml.safe_dump([t.to_dict() for t in topics], sort_keys=False, allow_unicode=True)
