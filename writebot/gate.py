"""Is an update kept? One vocabulary for the verdicts, the three ways to judge an update, and the one function that
records it (the trainer and the workbench both use it).

- immediate (engines with GateKind.IMMEDIATE, the rules engine): re-draft this epoch's train topics with the proposal;
  keep it unless that raises the words the user had to edit;
- deferred (GateKind.DEFERRED, Claude): the update is `pending` until the next epoch's drafts are reviewed; then the
  words edited on the topics reviewed in both epochs decide, in a separate `"kind": "gate"` record;
- by hand (notebook 02): the person accepts or rejects each hunk.
"""

from __future__ import annotations

from enum import StrEnum

from writebot import defaults
from writebot.engines.base import Engine, Evidence, Update
from writebot.lint import lint, run_sources
from writebot.metrics import word_edit_distance
from writebot.pipeline import Hunk, Pipeline, diff
from writebot.registry import ENGINES
from writebot.run_folder import RunStore, now


class Verdict(StrEnum):
    """An update's status in updates.jsonl (docs/FORMATS.md §4)."""

    ACCEPTED = "accepted"
    ROLLED_BACK = "rolled_back"
    UNCHANGED = "unchanged"  # the proposal changed nothing, or there was nothing to learn
    PENDING = "pending"  # a deferred gate's verdict comes with the next epoch
    FAILED = "failed"  # the optimizer could not finish; the pipeline stays
    PARTIAL = "partial"  # by hand: some hunks accepted
    REJECTED = "rejected"  # by hand: none accepted
    RECOVERED = "recovered"  # the record was lost after the next version was in use: that version is kept

    @property
    def keeps_base(self) -> bool:
        """The next version is the one the update started from."""
        return self in (Verdict.ROLLED_BACK, Verdict.FAILED)


def judge_immediate(engine: Engine, proposal: Pipeline, latest: list[Evidence], before: int,
                    changed: bool) -> tuple[Verdict, int]:
    """Re-draft the epoch's train topics with the proposal: (verdict, words the user would edit now)."""
    after = sum(word_edit_distance(engine.write(proposal, e.topic), e.ground_truth) for e in latest)
    return (Verdict.UNCHANGED if not changed else Verdict.ACCEPTED if after <= before else Verdict.ROLLED_BACK), after


def judge_by_hand(hunks: list[Hunk], accepted: set[str]) -> Verdict:
    kept = [h for h in hunks if h.id in accepted]
    if not hunks:
        return Verdict.UNCHANGED
    return Verdict.ACCEPTED if len(kept) == len(hunks) else Verdict.PARTIAL if kept else Verdict.REJECTED


def judge_deferred(run: RunStore, epoch: int) -> tuple[dict | None, bool]:
    """The verdict on the pending update of epoch-1, now that epoch `epoch`'s drafts are reviewed: (gate record or
    None, whether it was recorded just now). Costs are compared on the topics reviewed in both epochs: a topic
    refused in one of them would skew the sums."""
    update = run.update_for(epoch - 1) if epoch > 0 else None
    if not update or update["status"] != Verdict.PENDING:
        return None, False
    verdict = run.gate_for(epoch - 1)
    if verdict is not None:
        return verdict, False
    earlier, later = train_costs(run, epoch - 1), train_costs(run, epoch)
    both = earlier.keys() & later.keys()
    before, after = sum(earlier[t] for t in both), sum(later[t] for t in both)
    verdict = {"epoch": epoch - 1, "kind": "gate",
               "status": Verdict.ACCEPTED if after <= before else Verdict.ROLLED_BACK,
               "train_cost_before": before, "train_cost_after": after, "topics_compared": len(both), "time": now()}
    run.record_update(verdict)
    return verdict, True


def train_costs(run: RunStore, epoch: int) -> dict[str, int]:
    """Words edited per train topic reviewed in `epoch` (a refused topic has no entry)."""
    return {r["topic_id"]: r["word_edit_distance"] for r in run.records if r["epoch"] == epoch
            and r["split"] == "train"}


def lint_findings(run: RunStore, proposed: Pipeline, budget: int | None = None) -> list[str]:
    """The lint of a proposed version (docs/FORMATS.md §5), its dead-rule check on the run's recorded drafts; the
    budget is the run's unless given."""
    kind = ENGINES.get(run.config.get("engine", ""))
    sources = run_sources(run.records, lambda epoch: run.load_version(epoch).style.rules,
                          kind.base_text if kind else None)
    budget = budget or run.config.get("style_budget") or defaults.STYLE_BUDGET
    return [str(f) for f in lint(proposed, sources, budget)]


def record_update(run: RunStore, epoch: int, start: Pipeline, proposed: Pipeline, kept: Pipeline, verdict: Verdict,
                  update: Update, before: int, after: int | None, save: bool = True, lint: list[str] | None = None,
                  **extra) -> dict:
    """The one way an update is recorded: save the next version (`kept`), then append the record (so a crash in
    between redoes the update, and never records one whose version is missing). `lint`: the proposal's findings,
    when the caller already has them."""
    if lint is None:
        lint = lint_findings(run, proposed)
    if save:
        run.save_version(epoch + 1, kept)
    record = {"epoch": epoch, "status": verdict.value, "from_version": start.version_hash,
              "to_version": proposed.version_hash, "train_cost_before": before, "train_cost_after": after,
              "rationale": update.rationale, "diff": diff(start, proposed), "details": update.details,
              "lint": lint, **({"error": update.failed} if update.failed else {}), **extra, "time": now()}
    run.record_update(record)
    return record
