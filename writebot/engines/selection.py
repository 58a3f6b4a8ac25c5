"""Choosing rules: a candidate is kept only if it lowers the total word edit cost over all pairs so far.

Costs are exact. To stay fast on thousands of pairs, a candidate is first screened on a fixed sample of pairs and
only a candidate that helps there is checked on every pair; outputs of every rule prefix are cached, so trying a
rule at position k re-applies only the rules after k.
"""

from __future__ import annotations

from dataclasses import dataclass

from writebot.text.hygiene import repair, shown_cost
from writebot.text.rule_language import Rule, contradicts, subsumes

SCREEN_SIZE = 48


class Evaluator:
    """Total word edit cost of a rule list over (skeleton, ground truth) pairs, with prefix caches."""

    def __init__(self, skeletons: list[str], truths: list[str], rules: list[Rule]):
        self.skeletons = skeletons
        self.truth_words = [t.split() for t in truths]
        self.rules: list[Rule] = []
        self.prefix = [[s] for s in skeletons]  # prefix[p][k]: pair p's text after the first k rules
        self.costs = [self._cost(p, s) for p, s in enumerate(skeletons)]
        self.total = sum(self.costs)
        self._pending: tuple | None = None
        self.reset(rules)

    def _cost(self, p: int, text: str) -> int:
        """The words the user edits in what the writer would show: the text after the rules, mended."""
        return shown_cost(text, self.truth_words[p])

    def outputs(self) -> list[str]:
        return [repair(outs[-1]) for outs in self.prefix]

    def _run(self, rules: list[Rule], keep: bool) -> int:
        """Total cost of `rules`, re-applying only what differs from the current list; keep=True also remembers
        the new per-pair texts so that reset(rules) need not compute them again."""
        n = len(self.rules)
        k = 0
        while k < min(len(rules), n) and rules[k] == self.rules[k]:
            k += 1
        # If the new list ends with the current list's last j rules, a pair whose text equals the cached text
        # where that shared tail starts is unchanged from there on: skip the rest of its rules.
        j = 0
        while j < min(len(rules) - k, n - k) and rules[-1 - j] == self.rules[-1 - j]:
            j += 1
        head, tail = rules[k : len(rules) - j], rules[len(rules) - j :]
        total, prefix, costs = 0, [], []
        for p, outs in enumerate(self.prefix):
            texts = [outs[k]]
            for rule in head:
                texts.append(rule.apply(texts[-1]))
            if texts[-1] == outs[n - j]:
                cost = self.costs[p]
                new = outs[: k + 1] + texts[1:] + outs[n - j + 1 :] if keep else None
            else:
                for rule in tail:
                    texts.append(rule.apply(texts[-1]))
                cost = self.costs[p] if texts[-1] == outs[n] else self._cost(p, texts[-1])
                new = outs[: k + 1] + texts[1:] if keep else None
            total += cost
            if keep:
                prefix.append(new)
                costs.append(cost)
        if keep:
            self._pending = (list(rules), prefix, costs, total)
        return total

    def cost_of(self, rules: list[Rule]) -> int:
        return self._run(rules, keep=False)

    def verify(self, rules: list[Rule]) -> int:
        """cost_of, remembering the result for a following reset(rules) and for pending_costs()."""
        return self._run(rules, keep=True)

    def subset(self, indices: list[int]) -> Evaluator:
        """The evaluator of these pairs only, with the current rules and their cached texts (nothing re-applied)."""
        part = object.__new__(Evaluator)
        part.skeletons = [self.skeletons[i] for i in indices]
        part.truth_words = [self.truth_words[i] for i in indices]
        part.rules = list(self.rules)
        part.prefix = [self.prefix[i] for i in indices]  # never changed in place: _run builds new lists
        part.costs = [self.costs[i] for i in indices]
        part.total = sum(part.costs)
        part._pending = None
        return part

    def pending_costs(self) -> list[int]:
        """Per pair, the cost of the list last verified."""
        return self._pending[2]

    def reset(self, rules: list[Rule]) -> None:
        """Make `rules` the current list."""
        if self._pending is None or self._pending[0] != list(rules):
            self._run(rules, keep=True)
        self.rules, self.prefix, self.costs, self.total = self._pending
        self._pending = None


# Where a new rule of each kind usually belongs: removals first, word swaps, grammar, headings, then the edges.
ORDER = {"drop_sentences_with": 0, "replace": 1, "contractions": 2, "max_sentence_words": 3, "heading_case": 4,
         "open_with": 5, "close_with": 6}


def variants(rules: list[Rule], rule: Rule) -> list[list[Rule]]:
    """Ways to bring `rule` into the list. A rule that contradicts others (docs/FORMATS.md §5: the same slot, or a
    reverse replacement) takes the place of the first of them and the rest go: the guide says each thing once.
    Otherwise it goes in at the start, at its usual place by kind, or at the end, or, for a class rule, in the place
    of the word swaps it covers. (Trying every position costs O(n^2) rule applications per pair.)"""
    clash = [i for i, r in enumerate(rules) if contradicts(r, rule)]
    if clash:
        return [[rule if i == clash[0] else r for i, r in enumerate(rules) if i == clash[0] or i not in clash]]
    usual = sum(1 for r in rules if ORDER[r.kind] <= ORDER[rule.kind])
    # ties keep the first: the end, cheapest to apply
    out = [rules[:pos] + [rule] + rules[pos:] for pos in dict.fromkeys((len(rules), usual, 0))]
    covered = [i for i, r in enumerate(rules) if subsumes(rule, r)]
    if covered:  # a class rule also takes the place of the word swaps it covers: one rule instead of many
        out.append([rule if i == covered[0] else r for i, r in enumerate(rules) if i == covered[0] or i not in covered])
    return out


def screen_sample(keys: list[str]) -> list[int]:
    """Indices of the newest pair per key (topic), spread evenly, at most SCREEN_SIZE of them."""
    newest: dict[str, int] = {}
    for i, key in enumerate(keys):
        newest[key] = i
    idx = sorted(newest.values())
    step = max(1, -(-len(idx) // SCREEN_SIZE))
    return idx[::step][:SCREEN_SIZE]


@dataclass(frozen=True)
class Spread:
    """How a change's gain spreads over the posts (topics) of the pairs: what tells a style from a one-off."""

    helped: int  # topics whose pairs cost fewer words with it
    hurt: int  # topics whose pairs cost more
    held_out: int  # words saved on each topic by a rule mined from the other topics (leave one topic out), summed

    @classmethod
    def of(cls, before: list[int], after: list[int], keys: list[str], mined: frozenset[str] = frozenset()) -> Spread:
        gains: dict[str, int] = {}
        for b, a, key in zip(before, after, keys, strict=True):
            gains[key] = gains.get(key, 0) + b - a
        held_out = sum(g for key, g in gains.items() if not mined or mined - {key})
        return cls(sum(g > 0 for g in gains.values()), sum(g < 0 for g in gains.values()), held_out)

    def general(self, min_helped: int, margin: int = 1) -> bool:
        """A rule the user follows: it lowers the cost of the topics it was not mined from (held out: a rule mined
        from one post alone must pay off on the others), helps on at least `min_helped` posts (2: an edit of one
        post is a one-off, not a style) and on no fewer posts than it hurts (a user who skips a rule now and then
        leaves it out but never undoes it: a post where they acted tells more than one where they did not)."""
        return self.held_out > 0 and self.helped >= min_helped and self.helped >= margin * self.hurt


@dataclass
class Choice:
    rules: list[Rule]
    cost: int
    spread: Spread


class Selector:
    """Greedy forward selection with an exact check over all pairs."""

    def __init__(self, skeletons: list[str], truths: list[str], rules: list[Rule], keys: list[str]):
        self._start(Evaluator(skeletons, truths, rules), keys)

    def _start(self, full: Evaluator, keys: list[str]) -> None:
        self.keys = keys
        self.margin = 1  # a kind's own rule (engines/by_kind.py) must help `margin` times the posts it hurts
        self.full = full
        idx = screen_sample(keys)
        self.sampled = len(idx) < len(keys)
        self.index = idx if self.sampled else list(range(len(keys)))
        self.screen = full.subset(idx) if self.sampled else full

    def subset(self, indices: list[int], rules: list[Rule]) -> Selector:
        """A selector over these pairs only, holding `rules`: the texts this one has cached are reused, and only
        what `rules` changes from its current rules is applied again (engines/by_kind.py fits each kind so)."""
        part = object.__new__(Selector)
        full = self.full.subset(indices)
        full.reset(rules)
        part._start(full, [self.keys[i] for i in indices])
        return part

    @property
    def rules(self) -> list[Rule]:
        return self.full.rules

    @property
    def total(self) -> int:
        return self.full.total

    def best(self, candidates: list[list[Rule]], probe: list[Rule] | None = None,
             min_helped: int = 2, mined: frozenset[str] = frozenset()) -> Choice | None:
        """The candidate list with the lowest total cost if it beats the current rules over all pairs, and its
        gain is general (Spread.general) on them: on the pairs it was mined from and on all the others. Else None.
        probe: a cheap-to-evaluate list; if it does not help on the sample, give up at once."""
        known = {}
        if probe is not None:
            known[tuple(probe)] = self.screen.cost_of(probe)
            if known[tuple(probe)] >= self.screen.total:
                return None
        scored = sorted((known[tuple(c)] if tuple(c) in known else self.screen.cost_of(c), i)
                        for i, c in enumerate(candidates))
        if not scored or scored[0][0] >= self.screen.total:
            return None
        for screen_cost, i in scored[:3]:
            if screen_cost >= self.screen.total:
                break
            cost = self.full.verify(candidates[i])
            if cost >= self.full.total:
                continue
            spread = Spread.of(self.full.costs, self.full.pending_costs(), self.keys, mined)
            if spread.general(min_helped, self.margin):
                return Choice(candidates[i], cost, spread)
        return None

    def accept(self, rules: list[Rule]) -> None:
        self.full.reset(rules)
        if self.sampled:
            self.screen.reset(rules)

    def no_worse(self, rules: list[Rule]) -> bool:
        """True if `rules` costs no more than the current list over all pairs (screened first)."""
        if self.screen.cost_of(rules) > self.screen.total:
            return False
        return self.full.verify(rules) <= self.full.total if self.sampled else True
