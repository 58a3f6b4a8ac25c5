"""Training by hand: a person drafts, gives feedback and edits ground truths; updates are reviewed hunk by hunk.

Everything lives in a run folder: a submission is recorded (append + fsync) the moment it is made, and opening the
same folder again resumes where it stopped. The widgets (writebot.notebook.widgets) only call this class.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from writebot import bundled
from writebot.compare.faithfulness import ContentCheck, judge_review
from writebot.engines import Update
from writebot.engines.base import GateKind, revise
from writebot.errors import InputError
from writebot.files import read_text
from writebot.loop.drafting import review_record
from writebot.loop.gate import Verdict, judge_by_hand, lint_findings, record_update, replay
from writebot.loop.next_topic import Chooser, Pick
from writebot.loop.registry import HUMAN, engine_kind, interactive_engine
from writebot.loop.trainer import evidence
from writebot.runs import RunOptions, run_config, wire
from writebot.store.formats import DraftRecord
from writebot.store.run_folder import RunStore, now
from writebot.text.pipeline import Hunk, Pipeline, apply_hunks, hunks
from writebot.text.post import normalize
from writebot.text.topics import Topic, load_topics
from writebot.tracking import Tracker, build_tracker, start_tracking
from writebot.tracking import require as require_tracker
from writebot.users import Review, load_persona
from writebot.users.effort import Effort


@dataclass
class Proposal:
    """A proposed update and its hunks, for review."""

    base: Pipeline
    update: Update
    hunks: list[Hunk]
    lint: list[str] = field(default_factory=list)  # docs/FORMATS.md §5 findings on the whole proposal
    content: ContentCheck | None = None  # what the whole proposal's drafts keep of the briefs (§10), when known
    replayed: int | None = None  # the words you would edit on the submitted topics with the whole proposal


class Workbench:
    """A person's training session on one run folder. It holds the folder's lock while it is open (close() lets go);
    a folder another process is writing opens read-only, and `read_only` says why."""

    def __init__(self, run: RunStore, topics: list[Topic], read_only: str | None = None):
        self.run = run
        self.topics = topics
        self.read_only = read_only
        options = RunOptions.from_config(run.config)
        self.tracker = Tracker() if read_only else build_tracker(options.track)  # the run's --track, if any
        self.tracker.open(run)
        persona_file = run.input_path("persona.yaml")  # a simulated run's, for the oracle baseline only
        persona = load_persona(persona_file) if persona_file.is_file() else None
        wired = None if read_only else wire(options, run.usage, persona)
        self.llm = wired.llm if wired else None
        self.engine = wired.engine if wired else None
        self.judge = wired.judge if wired else None
        kind = engine_kind(options.engine)
        self.chooser = Chooser("active", options.seed, kind.base_text,
                               None if kind.needs_llm or self.engine is None else self.engine.write)
        self._drafts: dict[tuple[int, str], str] = {}

    def close(self) -> None:
        """End the session: a run trained by hand is marked `closed` (notebook 02 reopens it), the tracker logs the
        run's files, and the folder's lock is let go. A read-only session changes nothing."""
        if not self.read_only and self.run.writable and self.run.config.get("user") == HUMAN:
            self.run.set_status("closed", closed=now())
        self.tracker.close(self.run, "complete")
        self.run.close()

    def _begin_change(self) -> None:
        """Refuse to change a folder opened read-only; else stamp the usage rows of what follows with the epoch."""
        if self.read_only:
            raise InputError(f"read-only: {self.read_only}")
        self.run.usage.epoch = self.epoch

    @classmethod
    def open(cls, run_dir: Path | str, pipeline_dir: Path | str | None = None, topics_file: Path | str | None = None,
             engine: str | None = None, track: str | None = None) -> Workbench:
        """Reopen the run at run_dir, or start one there (bundled starter pipeline and topics by default).
        track="mlflow": log the session's epochs to MLflow (a tracked run stays tracked)."""
        require_tracker(track)
        run_dir = Path(run_dir)
        if (run_dir / "run.json").exists():
            try:
                run = RunStore.open_for_writing(run_dir, "notebook workbench")
            except InputError as why:  # in use by another process, or a damaged line to look at first
                run = RunStore.open(run_dir)
                return cls(run, load_topics(run.input_path("topics.yaml")), read_only=str(why))
            start_tracking(run, track)
            if run.config.get("user") == HUMAN and run.config.get("status") != "running":
                run.set_status("running")  # until close(): a session that dies says so
        else:
            topics_file = Path(topics_file or bundled.starter_topics())
            pipeline_dir = pipeline_dir or bundled.starter_pipeline()
            pipeline = Pipeline.load(pipeline_dir)
            options = RunOptions(engine=engine or interactive_engine(), user=HUMAN, track=track)
            config = run_config(options, "workbench", pipeline, load_topics(topics_file), topics_file=str(topics_file),
                                pipeline_dir=str(pipeline_dir))
            run = RunStore.create(run_dir, config, {"topics.yaml": read_text(topics_file)}, "notebook workbench")
            run.save_version(0, pipeline)
        return cls(run, load_topics(run.input_path("topics.yaml")))

    # -- state --------------------------------------------------------------------------------------------
    @property
    def epoch(self) -> int:
        return max(self.run.versions())

    @property
    def pipeline(self) -> Pipeline:
        return self.run.load_version(self.epoch)

    def submitted(self, epoch: int | None = None) -> list[DraftRecord]:
        epoch = self.epoch if epoch is None else epoch
        return [r for r in self.run.draft_records if r.epoch == epoch]

    def status(self) -> str:
        if self.read_only:
            return f"read-only: {self.read_only}"
        done = self.submitted()
        return ("; ".join(self.run.repaired) + "; " if self.run.repaired else "") + (
                f"epoch {self.epoch}: {len(done)} draft{'s' * (len(done) != 1)} reviewed"
                + (f", {sum(r.word_edit_distance for r in done)} words edited" if done else "")
                + (f"; LLM cost so far ${self.run.usage_cost():.4f}" if self.llm else ""))

    def next_topic(self) -> Pick | None:
        """The topic to correct next, and why in one line: of the topics never corrected (else of those not corrected
        this epoch), the one whose correction would teach the learner most (writebot.loop.next_topic). None when every
        topic was corrected this epoch."""
        ever = {r.topic_id for r in self.run.draft_records}
        now = {r.topic_id for r in self.submitted()}
        backlog = [t for t in self.topics if t.id not in ever] or [t for t in self.topics if t.id not in now]
        return self.chooser.rank(backlog, self.run.draft_records, self.pipeline)[0] if backlog else None

    # -- one draft ----------------------------------------------------------------------------------------
    def draft(self, topic: Topic) -> str:
        self._begin_change()
        key = (self.epoch, topic.id)
        if key not in self._drafts:
            self._drafts[key] = self.engine.write(self.pipeline, topic)
        return self._drafts[key]

    def suggest_revision(self, draft: str, feedback: str) -> str:
        """A revised draft to start the ground truth from: the engine's revision following the feedback."""
        self._begin_change()
        return revise(self.engine, draft, feedback)

    def submit(self, topic: Topic, draft: str, feedback: str, ground_truth: str,
               effort: Effort | None = None) -> DraftRecord:
        """Record one reviewed draft at once (fsynced): nothing typed is lost if the kernel dies next. `effort`: what
        it cost the person (writebot.users.effort; the notebook's editor measures it)."""
        self._begin_change()
        comments = [line.strip() for line in feedback.splitlines() if line.strip()]
        truth = normalize(ground_truth)
        if not truth.strip():
            raise InputError("the post you wanted is empty; edit the draft into the post you want, then Submit")
        found = judge_review(self.judge, topic, draft, truth)
        # whatever its split in the topics file, a draft a person reviews is training: the person is the user
        record = review_record(Review(truth, comments, HUMAN), replace(topic, split="train"), draft,
                               self.epoch, self.pipeline, found, effort)
        self.run.record_draft(record)
        self.run.write_history()
        return record

    # -- the update ---------------------------------------------------------------------------------------
    def propose(self) -> Proposal:
        self._begin_change()
        if not self.submitted():
            raise InputError(f"no reviewed drafts in epoch {self.epoch} yet: submit feedback on a draft first")
        base = self.pipeline
        if not any(r.word_edit_distance or r.feedback for r in self.submitted()):
            update = Update(base, f"nothing to learn: the drafts you reviewed in epoch {self.epoch} needed no edits "
                                  "and got no feedback")
        else:
            update = self.engine.update(base, evidence(self.run.draft_records), self.run.update_history())
        content, replayed = None, None
        if self.engine.gate is GateKind.IMMEDIATE and update.pipeline != base:  # re-drafting is free offline
            replayed, content = replay(self.engine, self.judge, update.pipeline, self.submitted())
        return Proposal(base, update, hunks(base, update.pipeline), lint_findings(self.run, update.pipeline),
                        content, replayed)

    def apply(self, proposal: Proposal, accepted: set[str]) -> Pipeline:
        """Keep the accepted hunks, save the next version, record the update, and start the next epoch."""
        self._begin_change()
        new = apply_hunks(proposal.base, proposal.update.pipeline, accepted)
        new.validate("the reviewed pipeline")
        verdict = Verdict.FAILED if proposal.update.failed else judge_by_hand(proposal.hunks, accepted)
        epoch = self.epoch
        cost = sum(r.word_edit_distance for r in self.submitted(epoch))
        record_update(self.run, epoch, proposal.base, new, new, verdict, proposal.update, cost, None,
                      accepted_hunks=[h.id for h in proposal.hunks if h.id in accepted],
                      rejected_hunks=[h.id for h in proposal.hunks if h.id not in accepted],
                      hunks_reviewed=len(proposal.hunks))
        self.tracker.epoch(self.run, epoch)  # the epoch is done: its drafts, its version, its update
        return new
