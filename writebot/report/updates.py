"""What each update changed and why, as HTML (notebook 04, the share page)."""

from __future__ import annotations

from writebot.report.words import _unit
from writebot.store.formats import UpdateRecord, UpdateSummary
from writebot.store.run_folder import RunStore


def _unified_html(text: str) -> str:
    """A unified diff for a reader: added lines green, removed lines red, each with its + or - in a gutter of its
    own, each hunk headed by the line it starts at in the new file; the file header left out; fully shown."""
    import html
    import re

    colours = {"+": "background:#ccf2d1;color:#0b4f1d", "-": "background:#f9d0d0;color:#7a1010", " ": ""}
    rows, header = [], True  # the file header: the lines before the first hunk
    for line in text.splitlines():
        hunk = re.match(r"@@ -\d+(?:,\d+)? \+(\d+)", line)
        header = header and not hunk
        if header:
            continue
        if hunk:
            rows.append(f"<div style='color:#777;font-style:italic;margin-top:4px'>line {hunk[1]}:</div>")
            continue
        mark, rest = (line[:1], line[1:]) if line[:1] in colours else (" ", line)
        rows.append(f"<div style='{colours[mark]}'><span style='display:inline-block;width:1.6em;color:#888;"
                    f"user-select:none'>{mark if mark != ' ' else ''}</span>{html.escape(rest) or '&nbsp;'}</div>")
    return ("<div style='font-family:ui-monospace,Menlo,monospace;font-size:12.5px;line-height:1.45;"
            "white-space:pre-wrap;border:1px solid #ddd;border-radius:6px;padding:6px 10px;margin:2px 0 10px'>"
            + "".join(rows) + "</div>")


def _rationale_html(text: str) -> str:
    """The optimizer's rationale; the rules learner's list of rule changes ("...; added: ...; replaced ...") as a
    list, one change a line."""
    import html
    import re

    parts = re.split(r"[;.] (?=(?:added|removed|replaced|rejected|left out)\b|the examples\b)", text)
    if len(parts) < 3:
        return f"<p style='margin:2px 0 6px'>{html.escape(text)}</p>"
    items = "".join(f"<li>{html.escape(part.rstrip(';'))}</li>" for part in parts[1:])
    return f"<p style='margin:2px 0 2px'>{html.escape(parts[0])}:</p><ul style='margin:0 0 6px'>{items}</ul>"


def _hunks_html(old: str, new: str, context: int = 2) -> str:
    """STYLE.md's change as the lines that changed, with `context` lines around them (added lines green, removed
    lines red); what did not change is left out, so the change is in sight."""
    import difflib

    return _unified_html("\n".join(difflib.unified_diff(old.splitlines(), new.splitlines(), n=context, lineterm="")))


def updates_section_html(run: RunStore) -> str:
    """What each update changed and why, for a reader (static HTML): per update its final verdict, the train words
    before and after, the optimizer's rationale (and why it was not kept), and the lines of STYLE.md it changed;
    a run of updates that changed nothing is one line."""
    import html

    from writebot.text.pipeline import STYLE

    unit, versions, entries = _unit(run), set(run.versions()), run.update_history()
    groups: list[list[UpdateSummary]] = []
    quiet = {e.epoch for e in entries if e.status == "unchanged" and not _budget(run.update_for(e.epoch))}
    for entry in entries:  # an update that left rules out for the budget did find something: it is shown
        if groups and entry.epoch in quiet and groups[-1][-1].epoch in quiet:
            groups[-1].append(entry)
        else:
            groups.append([entry])
    parts = []
    for group in groups:
        if len(group) > 1:
            parts.append(f"<h4 style='margin:14px 0 4px'>Updates after {unit}s {group[0].epoch}–"
                         f"{group[-1].epoch}: unchanged <span style='font-weight:400;color:#555'>({len(group)} "
                         "updates found nothing to change)</span></h4>")
            continue
        entry = group[0]
        epoch, status = entry.epoch, entry.status
        before, after = entry.train_cost_before, entry.train_cost_after
        words = f"{before} → {after} train words" if after is not None else f"{before} train words"
        parts.append(f"<h4 style='margin:14px 0 4px'>Update after {unit} {epoch}: {html.escape(status)} "
                     f"<span style='font-weight:400;color:#555'>({html.escape(words)})</span></h4>")
        parts.append(_rationale_html(entry.rationale or "(no rationale)"))
        verdict = run.verdict_for(epoch)
        if verdict and verdict.why:
            parts.append(f"<p style='margin:2px 0 6px'><b>Not kept:</b> {html.escape(verdict.why)}</p>")
        record = run.update_for(epoch)
        changed = record.diff if record else {}
        if _budget(record):
            parts.append(f"<p style='margin:2px 0 6px'><b>Held to the style budget:</b> "
                         f"{html.escape(record.budget)}</p>")
        if {epoch, epoch + 1} <= versions:
            old, new = (run.load_version(e).files.get(STYLE, "") for e in (epoch, epoch + 1))
            if old != new:
                parts.append(_hunks_html(old, new))
            elif changed.get(STYLE):
                parts.append("<p style='margin:2px 0;color:#555'>Proposed, not kept:</p>"
                             + _unified_html(changed[STYLE]))
            else:
                parts.append("<p style='color:#555;margin:2px 0'>STYLE.md unchanged</p>")
        others = sorted(p for p in changed if p != STYLE)
        if others:
            parts.append(f"<p style='color:#555;margin:2px 0 6px'>Also changed: {html.escape(', '.join(others))} "
                         "(the example posts, kept in line with the rules).</p>")
    return "\n".join(parts) or "<p>No update recorded yet.</p>"


def last_update_html(run: RunStore) -> str:
    """Every file the last update that changed any touched, as a line diff."""
    import html

    last = next((u for u in reversed(run.update_records) if not u.is_gate and u.diff), None)
    if last is None:
        return "<p>No update changed a file.</p>"
    verdict = (run.verdict_for(last.epoch) or last).status
    return "".join(f"<div><b>{html.escape(path)}</b> (update of {_unit(run)} {last.epoch}): "
                   f"{html.escape(verdict)}</div>" + _unified_html(change) for path, change in last.diff.items())


def _budget(record: UpdateRecord | None) -> str | None:
    """What an update left out for the style budget (or why Claude's proposal was refused), if anything."""
    return record.budget if record else None
