"""The retrieval baseline (`--learner retrieve`), CIPHER offline (PRELUDE, Gao et al. 2024): after each reviewed
post, infer the preference of that one context, the rules that make its draft its ground truth, and keep it with
its brief; to write a post, retrieve the k briefs nearest to its brief and apply the rules most of them hold. It
knows no kinds of post: the nearest briefs stand in for them. It is the anchor the per-kind learner must beat.

The memory is text in the pipeline, like every parameter: `retrieve/<topic-id>.md` holds a brief and its rules.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

from rapidfuzz import fuzz

from writebot.compare.changes import analyse
from writebot.engines.base import Evidence, Update
from writebot.engines.mining import PRIORITY, Pool, mine, split_candidates
from writebot.engines.selection import Evaluator
from writebot.engines.writer import sections_of, skeleton
from writebot.text.directives import parse_feedback
from writebot.text.pipeline import Pipeline
from writebot.text.rule_language import Rule, parse_rule
from writebot.text.topics import Topic

MEMORY = "retrieve"
K = 3  # the nearest briefs a post's rules are retrieved from (CIPHER's k; bench/contexts.py)


def brief_text(topic: Topic) -> str:
    return " ".join([topic.title, *topic.points])


def infer(pair: Evidence, sections: bool) -> list[Rule]:
    """The preference of one context: rules, added greedily, each of which lowers the words this pair's user
    edited (one post: no rule needs a second post here; that is what retrieval averages out)."""
    base = skeleton(pair.topic, sections)
    pool = Pool()
    lo, hi = mine(pool, analyse(base, pair.ground_truth), pair.topic.id, pair.topic.id)
    split_candidates(pool, [(lo, hi, pair.topic.id, pair.topic.id)])
    for comment in pair.feedback:
        for rule in parse_feedback(comment):
            pool.add(rule, pair.topic.id, pair.topic.id, source="feedback")
    evaluator = Evaluator([base], [pair.ground_truth], [])
    rules: list[Rule] = []
    for candidate in sorted(pool.by_rule.values(), key=lambda c: (PRIORITY[c.rule.kind], -c.support,
                                                                   c.rule.to_line())):
        trial = [*rules, candidate.rule]
        if evaluator.cost_of(trial) < evaluator.total:
            evaluator.reset(trial)
            rules = trial
    return rules


def _memory_file(topic: Topic, epoch: int, rules: list[Rule]) -> str:
    lines = [f"# {topic.title}", "", f"epoch: {epoch}", "", "## Points", "", *(f"- {p}" for p in topic.points),
             "", "## Rules", "", *(f"- {r.to_line()}" for r in rules)]
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=4096)
def _read_memory(text: str) -> tuple[str, int, tuple[Rule, ...]]:
    title = text.split("\n", 1)[0].removeprefix("# ")
    epoch = int(text.split("epoch: ", 1)[1].split("\n", 1)[0])
    points = text.split("## Points\n", 1)[1].split("## Rules", 1)[0]
    rules = text.split("## Rules\n", 1)[1]
    found = tuple(r for r in (parse_rule(line[2:]) for line in rules.splitlines() if line.startswith("- ")) if r)
    brief = " ".join([title, *(line[2:] for line in points.splitlines() if line.startswith("- "))])
    return brief, epoch, found


def memory(pipeline: Pipeline) -> dict[str, tuple[str, int, tuple[Rule, ...]]]:
    """topic id -> (its brief, the epoch of the pair, its rules)."""
    return {path.split("/")[1].removesuffix(".md"): _read_memory(text) for path, text in pipeline.files.items()
            if path.startswith(MEMORY + "/")}


def retrieved(pipeline: Pipeline, topic: Topic, k: int = K) -> list[Rule]:
    """The rules most of the k briefs nearest to the topic's brief hold, in the order they first appear."""
    stored = memory(pipeline)
    if not stored:
        return []
    brief = brief_text(topic)
    nearest = sorted(stored.items(), key=lambda item: (-fuzz.token_set_ratio(brief, item[1][0]), item[0]))[:k]
    votes = Counter(rule for _, (_, _, rules) in nearest for rule in set(rules))
    order = [rule for _, (_, _, rules) in nearest for rule in rules]
    return [rule for rule in dict.fromkeys(order) if votes[rule] * 2 > len(nearest)]


def remember(pipeline: Pipeline, evidence: list[Evidence]) -> Update:
    """CIPHER's update: the preference of each context reviewed since it was last inferred, kept with its brief."""
    stored = memory(pipeline)
    sections = sections_of(pipeline)
    latest: dict[str, Evidence] = {}
    for pair in evidence:
        latest[pair.topic.id] = pair
    inferred = []
    for topic_id, pair in latest.items():
        if topic_id in stored and stored[topic_id][1] >= pair.epoch:
            continue
        rules = infer(pair, sections)
        pipeline = pipeline.with_file(f"{MEMORY}/{topic_id}.md", _memory_file(pair.topic, pair.epoch, rules))
        inferred.append(f"{topic_id}: {len(rules)} rule{'s' * (len(rules) != 1)}")
    return Update(pipeline, f"retrieval memory (CIPHER, k={K}): inferred the preference of {len(inferred)} "
                            f"context{'s' * (len(inferred) != 1)}" + (f" ({'; '.join(inferred)})" if inferred else ""))
