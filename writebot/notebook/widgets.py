"""ipywidgets editors for training by hand. No training logic here: every action calls writebot.notebook.workbench.

Stable CSS classes for tests and users' styling: wb-draft, wb-brief, wb-feedback, wb-ground-truth, wb-diff,
wb-submit, wb-accept-hunk, wb-content, wb-apply, wb-train, wb-status, wb-epoch.
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Callable

import ipywidgets as w
from IPython.display import clear_output, display

from writebot.errors import InputError, explain
from writebot.text.kinds import known_kinds, unseen
from writebot.text.pipeline import STYLE
from writebot.users.effort import EffortMeter

INS = "background:#ccf2d1;color:#0b4f1d;text-decoration:none;border-radius:2px;padding:0 1px"
DEL = "background:#f9d0d0;color:#7a1010;text-decoration:line-through;border-radius:2px;padding:0 1px"
BOX = ("font-family:ui-monospace,Menlo,monospace;font-size:13px;line-height:1.5;white-space:pre-wrap;"
       "border:1px solid #ddd;border-radius:6px;padding:8px 10px;background:#fcfcfc;max-height:320px;overflow:auto")


def _label(text: str) -> w.HTML:
    return w.HTML(f"<div style='font-weight:600;margin:8px 0 2px'>{text}</div>")


def diff_html(old: str, new: str) -> str:
    """Word-level diff of old -> new as HTML: insertions green, deletions red and struck through."""
    a, b = re.findall(r"\s+|[^\s]+", old), re.findall(r"\s+|[^\s]+", new)
    out = []
    for tag, a1, a2, b1, b2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag in ("delete", "replace"):
            out.append(f"<del style='{DEL}'>{html.escape(''.join(a[a1:a2]))}</del>")
        if tag in ("insert", "replace"):
            out.append(f"<ins style='{INS}'>{html.escape(''.join(b[b1:b2]))}</ins>")
        if tag == "equal":
            out.append(html.escape("".join(a[a1:a2])))
    changes = sum(tag != "equal" for tag, *_ in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes())
    head = "no changes yet" if not changes else f"{changes} change{'s' * (changes != 1)}"
    return f"<div style='color:#555;font-size:12px'>{head}</div><div style='{BOX}'>{''.join(out)}</div>"


def _lines_html(text: str) -> str:
    return f"<div style='{BOX}'>{html.escape(text)}</div>"


def section_at(text: str, line: int) -> str | None:
    """The `## ` heading a line of a file stands under (0-based `line`), e.g. "Rules for recipe"; None above any."""
    return next((row[3:].strip() for row in reversed(text.splitlines()[:line]) if row.startswith("## ")), None)


def _hunk_html(hunk, base: str = "") -> str:
    rows = [f"<div style='{DEL}'>- {html.escape(line.rstrip())}</div>" for line in hunk.old]
    rows += [f"<div style='{INS}'>+ {html.escape(line.rstrip())}</div>" for line in hunk.new]
    section = next((line[3:].strip() for line in hunk.new if line.startswith("## ")), None) or section_at(
        base, hunk.a[0] + 1)
    where = f", under ## {section}" if section else ""  # which kind's rules it changes (docs/FORMATS.md §11)
    return (f"<div style='font-size:12px;color:#555'>{html.escape(hunk.path)} (line {hunk.a[0] + 1}"
            f"{html.escape(where)})</div>"
            f"<div style='{BOX};max-height:200px'>{''.join(rows) or '(no lines)'}</div>")


def brief_html(points: list[str] | tuple[str, ...], verdicts: list[str] | tuple[str, ...] | None = None) -> str:
    """The brief's points, as the author wrote them, each marked with what the draft did to it (docs/FORMATS.md §10):
    the person checks the draft against the facts that are theirs."""
    marks = {"kept": ("#2a7a2a", "kept"), "dropped": ("#a00", "DROPPED"), "contradicted": ("#a00", "CONTRADICTED")}
    rows = []
    for n, point in enumerate(points):
        colour, word = marks.get(verdicts[n], ("#555", "")) if verdicts else ("#555", "")
        tag = f"<span style='color:{colour};font-size:11px;font-weight:600'>{word}</span> " if word else ""
        rows.append(f"<li>{tag}{html.escape(point)}</li>")
    return (f"<div style='{BOX};max-height:none;background:#f7f9ff'><b>Your brief</b> (your facts: put back what "
            f"the draft lost, take out what it invents)<ol style='margin:4px 0 0 0'>{''.join(rows)}</ol></div>")


class FeedbackEditor(w.VBox):
    """Read the draft beside its brief, say what is wrong, edit the ground truth (prefilled with the draft), watch the
    diff, Submit."""

    def __init__(self, title: str, draft: str, on_submit: Callable[..., str],
                 on_suggest: Callable[[str, str], str] | None = None, points: tuple[str, ...] = (),
                 verdicts: tuple[str, ...] | None = None, kind: str | None = None):
        """on_submit(feedback, ground_truth, effort): `effort` is what the review cost (writebot.users.effort), measured
        from this editor's first showing to Submit."""
        self.on_submit, self.on_suggest = on_submit, on_suggest
        self.meter = EffortMeter(draft)
        self._suggesting = False
        self.draft = w.Textarea(value=draft, disabled=True, layout=w.Layout(width="100%", height="200px"))
        self.draft.add_class("wb-draft")
        self.feedback = w.Textarea(placeholder='What would you change? e.g.  Say "use", not "utilize".  One comment '
                                   "per line.", layout=w.Layout(width="100%", height="70px"))
        self.feedback.add_class("wb-feedback")
        self.suggest = w.Button(description="Suggest a revision", icon="magic",
                                tooltip="Start the ground truth from a revision that follows your feedback",
                                layout=w.Layout(width="180px"))
        self.ground_truth = w.Textarea(value=draft, layout=w.Layout(width="100%", height="240px"))
        self.ground_truth.add_class("wb-ground-truth")
        self.diff = w.HTML(diff_html(draft, draft))
        self.diff.add_class("wb-diff")
        self.submit = w.Button(description="Submit", button_style="primary", icon="check",
                               tooltip="Save this feedback and ground truth to the run folder now")
        self.submit.add_class("wb-submit")
        self.message = w.HTML(layout=w.Layout(margin="0 0 0 12px"))
        self.ground_truth.observe(self._refresh, names="value")
        self.feedback.observe(lambda change: self.meter.typed(change["new"], feedback=True), names="value")
        self.submit.on_click(self._submit)
        self.suggest.on_click(self._suggest)
        self.brief = w.HTML(brief_html(points, verdicts) if points else "")
        self.brief.add_class("wb-brief")
        super().__init__([
            w.HTML(f"<h3 style='margin:4px 0'>{html.escape(title)}</h3>" + (
                f"<div class='wb-kind' style='color:#555;font-size:12px'>kind of post: {html.escape(kind)} (its "
                f"guide: the general rules, then ## Rules for {html.escape(kind)})</div>" if kind else "")),
            self.brief,
            _label("Draft (read-only)"), self.draft,
            _label("Your feedback"), self.feedback, self.suggest,
            _label("The post you wanted (edit it)"), self.ground_truth,
            _label("What you changed"), self.diff,
            w.HBox([self.submit, self.message], layout=w.Layout(align_items="center")),
        ], layout=w.Layout(width="100%", max_width="900px"))

    def _refresh(self, change=None) -> None:
        self.diff.value = diff_html(self.draft.value, self.ground_truth.value)
        self.meter.typed(self.ground_truth.value, machine=self._suggesting)

    def _suggest(self, _=None) -> None:
        revised = self.on_suggest(self.draft.value, self.feedback.value) if self.on_suggest else None
        if revised is not None:  # None: the suggestion failed, and the app's status line says why
            self._suggesting = True  # the machine's words, not the person's typing
            try:
                self.ground_truth.value = revised
            finally:
                self._suggesting = False

    def _submit(self, _=None) -> None:
        try:
            effort = self.meter.done(self.draft.value, self.ground_truth.value)
            self.message.value = html.escape(self.on_submit(self.feedback.value, self.ground_truth.value, effort))
            self.submit.disabled = True
        except InputError as exc:
            self.message.value = f"<span style='color:#a00'>{html.escape(str(exc))}</span>"


def _content_html(proposal) -> str:
    """What the whole proposal's drafts keep of the briefs, beside the drafts before (docs/FORMATS.md §10): the
    figures the trainer's gate reads; here the person decides."""
    content = proposal.content
    if content is None:
        return ("<div style='color:#555;margin-bottom:6px'>Content: judged on the next drafts (the Claude engine "
                "writes them with the new version; re-drafting now would cost a second set of calls).</div>")
    why = content.worse()
    words = f"; words you would edit: {proposal.replayed}" if proposal.replayed is not None else ""
    claims = ("" if content.claims_after is None else
              f"; claims added {content.claims_before} → {content.claims_after}")
    style = ("background:#fde8e8;border-left:4px solid #c00" if why else
             "background:#eef8ee;border-left:4px solid #2a7a2a")
    return (f"<div style='{style};padding:4px 8px;margin-bottom:6px'><b>Content</b> on the {content.topics} topics "
            f"you reviewed: points of your briefs lost {content.lost_before} → {content.lost_after}{claims}{words}"
            + (f"<br><b>The trainer's gate would not keep it:</b> {html.escape(why)}" if why else "") + "</div>")


def _lint_html(findings: list[str]) -> str:
    """The proposal's lint findings (docs/FORMATS.md §5), or a quiet line saying there are none."""
    if not findings:
        return "<div style='color:#2a7a2a;margin-bottom:6px'>Lint: no contradicting, dead or repeated rules.</div>"
    items = "".join(f"<li><code>{html.escape(f)}</code></li>" for f in findings)
    return (f"<div style='background:#fff4e5;border-left:4px solid #e69500;padding:4px 8px;margin-bottom:6px'>"
            f"<b>Lint: {len(findings)} finding{'s' * (len(findings) > 1)}</b> — uncheck the hunks that cause them"
            f"<ul style='margin:2px 0'>{items}</ul></div>")


class UpdateReview(w.VBox):
    """The proposed change to each pipeline file as hunks: accept or reject each, then Apply."""

    def __init__(self, proposal, on_apply: Callable[[set[str]], str]):
        self.proposal, self.on_apply = proposal, on_apply
        self.checks: dict[str, w.Checkbox] = {}
        rows = []
        for hunk in proposal.hunks:
            check = w.Checkbox(value=True, description="accept", indent=False, layout=w.Layout(width="90px"))
            check.add_class("wb-accept-hunk")
            self.checks[hunk.id] = check
            base = proposal.base.files.get(hunk.path, "")
            rows.append(w.HBox([check, w.HTML(_hunk_html(hunk, base), layout=w.Layout(width="100%"))]))
        self.apply = w.Button(description="Apply", button_style="success", icon="save",
                              tooltip="Save the accepted hunks as the next pipeline version")
        self.apply.add_class("wb-apply")
        self.message = w.HTML(layout=w.Layout(margin="0 0 0 12px"))
        self.apply.on_click(self._apply)
        rationale = html.escape(proposal.update.rationale or "")
        self.lint = w.HTML(_lint_html(proposal.lint))
        self.lint.add_class("wb-lint")
        self.content = w.HTML(_content_html(proposal))
        self.content.add_class("wb-content")
        super().__init__([
            w.HTML("<h3 style='margin:4px 0'>Proposed update</h3>"
                   f"<div style='color:#333;margin-bottom:6px'>{rationale}</div>"),
            self.content,
            self.lint,
            *(rows or [w.HTML("<i>No change proposed: the pipeline already fits your edits.</i>")]),
            w.HBox([self.apply, self.message], layout=w.Layout(align_items="center")),
        ], layout=w.Layout(width="100%", max_width="900px"))

    def accepted(self) -> set[str]:
        return {hunk_id for hunk_id, check in self.checks.items() if check.value}

    def _apply(self, _=None) -> None:
        self.message.value = html.escape(self.on_apply(self.accepted()))
        self.apply.disabled = True


class VersionBrowser(w.VBox):
    """An epoch slider: STYLE.md at that epoch and its diff to the previous one."""

    def __init__(self, run):
        self.run = run
        versions = run.versions()
        self.slider = w.IntSlider(value=versions[-1], min=versions[0], max=versions[-1], description="epoch",
                                  continuous_update=False)
        self.style, self.changes = w.HTML(), w.HTML()
        self.slider.observe(self._show, names="value")
        super().__init__([self.slider, _label("STYLE.md"), self.style, _label("Change from the previous epoch"),
                          self.changes], layout=w.Layout(width="100%", max_width="900px"))
        self._show()

    def _show(self, change=None) -> None:
        epoch = self.slider.value
        text = self.run.load_version(epoch).files[STYLE]
        before = self.run.load_version(epoch - 1).files[STYLE] if epoch - 1 in self.run.versions() else text
        self.style.value = _lines_html(text)
        self.changes.value = diff_html(before, text) if epoch else "<i>epoch 0 is the starting pipeline</i>"


class RunDashboard(w.VBox):
    """Epoch counter, status line and learning curves, redrawn by refresh()."""

    def __init__(self, run, status: Callable[[], str] | None = None):
        self.run, self.status_text = run, status
        self.epoch = w.HTML()
        self.epoch.add_class("wb-epoch")
        self.status = w.HTML(layout=w.Layout(margin="0 0 0 16px"))
        self.status.add_class("wb-status")
        self.plot = w.Output(layout=w.Layout(width="100%"))
        super().__init__([w.HBox([self.epoch, self.status], layout=w.Layout(align_items="center")),
                          self.plot], layout=w.Layout(width="100%", max_width="900px"))
        self.refresh()

    def refresh(self, message: str = "") -> None:
        from writebot.report import plots
        from writebot.report.analysis import kind_summary, load_history

        epoch = max(self.run.versions())
        self.epoch.value = (f"<span style='font-size:18px;font-weight:700;background:#eef3ff;border-radius:6px;"
                            f"padding:2px 10px'>Epoch {epoch}</span>")
        self.status.value = html.escape(message or (self.status_text() if self.status_text else ""))
        with self.plot:
            clear_output(wait=True)
            if (self.run.path / "history.csv").exists() and self.run.draft_records:
                history = load_history(self.run)
                fig = plots.learning_curve(history, figsize=(9, 3.2))
                display(fig)
                plots.plt.close(fig)
                by_kind = kind_summary(history)  # a voice per kind of post (docs/FORMATS.md §11)
                if by_kind is not None:
                    display(by_kind[0])
                    fig = plots.kind_curves(by_kind[1])
                    display(fig)
                    plots.plt.close(fig)


def attempt(call: Callable[[], object], report: Callable[[str], object]):
    """call(); bad input, an API error, an unusable answer or a disk error becomes one line for `report` (and None),
    read as the command line reads it (writebot.errors.explain)."""
    try:
        return call()
    except Exception as exc:
        explained = explain(exc)
        if explained is None:
            raise
        report(explained.message)
    return None


class TrainingApp(w.VBox):
    """Notebook 02's app: pick or type a topic, review the draft, Submit, Train (propose), review hunks, Apply."""

    def __init__(self, workbench):
        self.workbench = workbench
        self.topic = w.Dropdown(options=[(t.title, t.id) for t in workbench.topics], description="topic",
                                layout=w.Layout(width="520px"))
        self.suggested = w.HTML()  # the topic to correct next, and why
        self.suggested.add_class("wb-next")
        self.own_title = w.Text(placeholder="...or type a title", layout=w.Layout(width="520px"))
        self.own_points = w.Textarea(placeholder="and its points, one per line", layout=w.Layout(width="520px"))
        self.draft_button = w.Button(description="Draft", icon="pencil", tooltip="Write a draft for this topic")
        self.train = w.Button(description="Train", button_style="warning", icon="graduation-cap",
                              tooltip="Propose a pipeline update from everything you submitted")
        self.train.add_class("wb-train")
        self.editor_area, self.review_area = w.VBox(), w.VBox()
        self.dashboard = RunDashboard(workbench.run, workbench.status)
        self.draft_button.on_click(self._draft)
        self.train.on_click(self._train)
        self._suggest_next()
        super().__init__([
            w.HTML("<h2 style='margin:4px 0'>Train the bot with your feedback</h2>"),
            self.dashboard, self.suggested, self.topic, self.own_title, self.own_points, self.draft_button,
            self.editor_area, self.train, self.review_area,
        ], layout=w.Layout(width="100%", max_width="920px"))
        self._draft()

    @property
    def editor(self) -> FeedbackEditor | None:
        return self.editor_area.children[0] if self.editor_area.children else None

    @property
    def review(self) -> UpdateReview | None:
        return self.review_area.children[0] if self.review_area.children else None

    def _suggest_next(self) -> None:
        """Preselect the topic whose correction would teach the bot most, and say why; any other can be picked."""
        pick = None if self.workbench.read_only else self._attempt(self.workbench.next_topic)
        if pick is None:
            self.suggested.value = ""
            return
        self.topic.value = pick.topic.id
        self.suggested.value = (f"<div style='margin:4px 0'><b>Next:</b> {html.escape(pick.topic.title)} "
                                f"<span style='color:#555'>({html.escape(pick.why)}; pick another below if you "
                                "like)</span></div>")

    def _current_topic(self):
        from writebot.text.topics import topic_from_text

        if self.own_title.value.strip():
            return topic_from_text(self.own_title.value, self.own_points.value)
        return next(t for t in self.workbench.topics if t.id == self.topic.value)

    def _attempt(self, call: Callable[[], object]):
        """call(); bad input, an API error or an unusable answer becomes one line in the status line (and None)."""
        return attempt(call, self.dashboard.refresh)

    def _draft(self, _=None) -> None:
        topic = self._attempt(self._current_topic)
        draft = self._attempt(lambda: self.workbench.draft(topic)) if topic is not None else None
        if draft is None:
            return

        def submit(feedback: str, ground_truth: str, effort=None) -> str:
            record = self.workbench.submit(topic, draft, feedback, ground_truth, effort)
            self.dashboard.refresh(f"saved: {topic.title} ({record.word_edit_distance} words edited). "
                                   + self.workbench.status())
            self._suggest_next()
            return "saved to the run folder"

        def suggest(draft: str, feedback: str) -> str | None:
            return self._attempt(lambda: self.workbench.suggest_revision(draft, feedback))

        judge = self.workbench.judge
        verdicts = self._attempt(lambda: judge.judge(topic, draft).points) if judge else None
        self.editor_area.children = [FeedbackEditor(topic.title, draft, submit, suggest, topic.points, verdicts,
                                                     topic.kind)]

    def _train(self, _=None) -> None:
        proposal = self._attempt(self.workbench.propose)
        if proposal is None:
            return

        def apply(accepted: set[str]) -> str:
            self.workbench.apply(proposal, accepted)
            self.dashboard.refresh(f"epoch {self.workbench.epoch}: new pipeline version saved "
                                   f"({len(accepted)} of {len(proposal.hunks)} hunks accepted)")
            self._suggest_next()
            self._draft()
            return "applied"

        self.review_area.children = [UpdateReview(proposal, apply)]
        self.dashboard.refresh(f"update proposed: {len(proposal.hunks)} hunks to review")


class WritingApp(w.VBox):
    """Notebook 05: pick a version of a trained bot, type a title and points, Write, read the post beside its
    brief (each point marked kept or not: docs/FORMATS.md §10), Save. The logic is writebot.loop.writing's."""

    def __init__(self, source, engine: str | None = None, judge: str = "rules"):
        from pathlib import Path

        from writebot.loop.writing import engine_for, load_source
        from writebot.runs import RunOptions, wire
        from writebot.store.run_folder import RunStore
        from writebot.store.usage import UsageLog

        self.source = Path(source)
        versions = RunStore.open(self.source).versions() if (self.source / "run.json").is_file() else []
        last = RunStore.open(self.source).last_kept_version() if versions else None
        self.version = w.Dropdown(options=[(f"version {v}" + (" (last kept)" if v == last else ""), v)
                                           for v in versions] or [("the pipeline folder", None)],
                                  value=last, description="bot", layout=w.Layout(width="320px"))
        self.title = w.Text(placeholder="Title of this week's post", description="title",
                            layout=w.Layout(width="620px"))
        self.points = w.Textarea(placeholder="The points it must make, one per line", description="points",
                                 layout=w.Layout(width="620px", height="110px"))
        self.audience = w.Text(placeholder="(optional) who it is for", description="audience",
                               layout=w.Layout(width="620px"))
        self.kind = w.Combobox(placeholder="(optional) recipe, story, how-to, ...", description="kind",
                               options=sorted(known_kinds(load_source(self.source)[0])),
                               layout=w.Layout(width="620px"))
        self.write = w.Button(description="Write", button_style="primary", icon="pencil")
        self.write.add_class("wb-write")
        self.post = w.HTML()
        self.post.add_class("wb-post")
        self.brief = w.HTML()
        self.brief.add_class("wb-brief")
        self.path = w.Text(description="save as", layout=w.Layout(width="620px"))
        self.save = w.Button(description="Save", icon="save", disabled=True)
        self.save.add_class("wb-save")
        self.status = w.HTML()
        self.status.add_class("wb-status")
        self.usage = UsageLog(None)
        wired = wire(RunOptions(engine=engine or engine_for(self.source), judge=judge), self.usage)  # checked first
        self.engine, self.judge = wired.engine, wired.judge
        self.written = None
        self.write.on_click(self._write)
        self.save.on_click(self._save)
        super().__init__([
            w.HTML("<h2 style='margin:4px 0'>Write with your bot</h2>"),
            self.version, self.title, self.points, self.audience, self.kind, self.write, self.status, self.brief,
            _label("The post"), self.post, w.HBox([self.path, self.save]),
        ], layout=w.Layout(width="100%", max_width="900px"))

    def _write(self, _=None) -> None:
        from writebot.loop.writing import load_source, write_one
        from writebot.text.topics import topic_from_text

        def write():
            pipeline, name = load_source(self.source, version=self.version.value)
            topic = topic_from_text(self.title.value, self.points.value, self.audience.value, self.kind.value)
            return name, topic, write_one(self.engine, self.judge, pipeline, topic), unseen(pipeline, topic.kind)

        done = attempt(write, lambda message: setattr(
            self.status, "value", f"<span style='color:#a00'>{html.escape(message)}</span>"))
        if done is None:
            return
        name, topic, self.written, untaught = done
        self.brief.value = brief_html(topic.points, self.written.judgement.points)
        self.post.value = _lines_html(self.written.post)
        self.path.value = self.path.value or f"{topic.id}.md"
        self.save.disabled = False
        cost = f"; ${self.usage.cost:.4f} so far" if self.usage.rows else ""
        self.status.value = html.escape(f"written with {name}: {self.written.summary()}{cost}"
                                        + (f"; {untaught}" if untaught else ""))

    def _save(self, _=None) -> None:
        from pathlib import Path

        from writebot.files import write_atomic

        target = Path(self.path.value)
        if target.exists():
            self.status.value = (f"<span style='color:#a00'>{html.escape(str(target))} exists; choose another name"
                                 "</span>")
            return
        write_atomic(target, self.written.post)
        self.status.value = html.escape(f"saved {target}")
