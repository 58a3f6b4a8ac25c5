"""Generated simulated users for benchmarks: noisy personas of the bundled kinds (docs/FORMATS.md §3, §3b), drawn
from edits that fire on the offline writer's drafts, one edit per slot so no persona contradicts itself.
Deterministic for a given seed: the same personas every run, none of them seen while the learner was built."""

from __future__ import annotations

import random

from writebot.text.rule_language import (
    CloseWith,
    Contractions,
    DropSentencesWith,
    HeadingCase,
    MaxSentenceWords,
    OpenWith,
    Replace,
    Rule,
)
from writebot.users import Persona

# Swaps that stay grammatical wherever they fire (a simulated person never writes a broken sentence: "a lot of" ->
# "many" would make "many the nerves", "start" -> "begin" "a fresh begin").
_SWAPS = {"utilize": ["use", "employ"], "in order to": ["to", "so as to"], "a lot of": ["lots of", "plenty of"],
          "difficult": ["tricky", "hard"], "because": ["since", "as"], "simple": ["plain"], "really": ["truly"]}
_OPENINGS = ["Hi friends,", "Hello, readers.", "Good morning, everyone.", "Hey team!", "Quick notes, no filler."]
_CLOSINGS = ["Thanks so much for reading.", "With kind regards, the editors.", "You've got this!", "See you next week.",
             "Happy making."]
_FILLER = ["In my opinion", "To be honest", "Trust me", "It is worth repeating"]


def _say(rule: Rule) -> str:
    """Feedback as a person might word it (the bundled personas' phrasing)."""
    if isinstance(rule, Replace):
        return f'Say "{rule.new}", not "{rule.old}".'
    if isinstance(rule, CloseWith):
        return f'End with "{rule.line}"'
    if isinstance(rule, MaxSentenceWords):
        return "Shorter sentences, please."
    if isinstance(rule, DropSentencesWith):
        return f'Skip the filler like "{rule.phrases[0]}".'
    return "Make it sound more like me."


def _edits(rng: random.Random) -> list[Rule]:
    slots: list[Rule] = [Replace(old, rng.choice(new)) for old, new in rng.sample(sorted(_SWAPS.items()), 2)]
    if rng.random() < 0.5:
        slots.append(Replace("!", ".", whole_word=False))
    slots += [OpenWith(rng.choice(_OPENINGS)), CloseWith(rng.choice(_CLOSINGS)),
              Contractions(rng.choice(["contract", "expand"])), HeadingCase(rng.choice(["sentence", "title", "lower"])),
              MaxSentenceWords(rng.randint(12, 25)), DropSentencesWith(tuple(rng.sample(_FILLER, rng.randint(1, 3))))]
    return rng.sample(slots, rng.randint(4, len(slots)))


def generate_personas(n: int, seed: int = 0) -> list[Persona]:
    """n noisy personas: 4-9 edits each, about half of them said in words, consistency 0.7-0.9, 1-3 one-off edits."""
    rng = random.Random(seed)
    personas = []
    for i in range(n):
        edits = [(rule, _say(rule) if rng.random() < 0.5 else None) for rule in _edits(rng)]
        personas.append(Persona(f"generated-{seed}-{i}", "A generated noisy persona (writebot.testing.personas).",
                                max_feedback=2, edits=edits, consistency=round(rng.uniform(0.7, 0.9), 2),
                                one_off=rng.randint(1, 3)))
    return personas
