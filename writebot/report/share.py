"""`writebot share RUN --out page.html` (docs/FORMATS.md §9): notebook 04 executed on the run with papermill
(https://papermill.readthedocs.io/, `execute_notebook` with `parameters`), converted by nbconvert's HTMLExporter
(https://nbconvert.readthedocs.io/, `embed_images`, `exclude_input`, TagRemovePreprocessor) into one page that needs
nothing else: plots are embedded as data URIs, code cells and widgets (cells tagged `interactive`) are left out, and
no script or stylesheet is fetched from anywhere. The page is written only if no secret is in it: the value of
ANTHROPIC_API_KEY, or anything shaped like an Anthropic key (`sk-ant-…`). The run folder is only read.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

from writebot import bundled
from writebot.errors import InputError
from writebot.files import write_atomic
from writebot.store.run_folder import RunStore, refuse_output_inside

KEY_SHAPE = re.compile(r"sk-ant-[A-Za-z0-9_\-]{8,}")
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.I | re.S)
_REMOTE = re.compile(r"\bsrc=[\"']https?://|\bfrom\s+[\"']https?://|import\(\s*[\"']https?://|unpkg\.com|cdnjs\.", re.I)
_LINK = re.compile(r"<link\b[^>]*\bhref=[\"']https?://[^>]*>", re.I)
SHARE_TIMEOUT = 300  # seconds a cell of notebook 04 may take


def secrets_in(text: str) -> list[str]:
    """What in `text` looks like a secret, masked (never the secret itself)."""
    found = []
    key = os.environ.get("ANTHROPIC_API_KEY", "")
    if len(key) >= 8 and key in text:
        found.append("the value of ANTHROPIC_API_KEY")
    found += [f"an Anthropic API key ({m[:10]}…)" for m in KEY_SHAPE.findall(text)]
    return found


# A static page has nothing to scroll inside it: boxes the notebook caps in height (diffs, STYLE.md) show all they
# hold, so each update's change is in sight without scrolling a box.
STATIC_CSS = ("<style>/* writebot share: a static page */ .jp-OutputArea-output [style*='max-height'] "
              "{max-height: none !important; overflow: visible !important;}</style>")


def _import_converters() -> None:
    """Import papermill and nbconvert without rfc3987_syntax: jsonschema (which nbformat imports) loads it, when
    installed, only to check the "iri" formats of drafts 7 and later, which the notebook schema (draft 4) never
    uses, and it compiles 39 Lark grammars as it loads (about 0.9 s, a fifth of a share). Anything imported later
    still finds the package."""
    blocked = "rfc3987_syntax" not in sys.modules
    if blocked:
        sys.modules["rfc3987_syntax"] = None  # its import now raises ImportError
    try:
        import nbconvert  # noqa: F401
        import papermill  # noqa: F401
    finally:
        if blocked and sys.modules.get("rfc3987_syntax", ...) is None:
            del sys.modules["rfc3987_syntax"]


def execute(run_dir: Path, executed: Path) -> None:
    """Run notebook 04 on the run. The kernel's own chatter on stderr (its transport warning, say) is kept aside
    and shown only if the run fails."""
    _import_converters()
    import papermill

    with tempfile.TemporaryFile() as chatter:
        saved = os.dup(2)
        os.dup2(chatter.fileno(), 2)  # the kernel process inherits our stderr
        try:
            papermill.execute_notebook(str(bundled.inspect_notebook()), str(executed),
                                       parameters={"RUN_DIR": str(run_dir)}, kernel_name="python3",
                                       progress_bar=False, log_output=False, execution_timeout=SHARE_TIMEOUT,
                                       cwd=str(executed.parent))
        except BaseException:
            os.dup2(saved, 2)
            chatter.seek(0)
            sys.stderr.write(chatter.read().decode("utf-8", "replace")[-4000:])
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def to_html(executed: Path, title: str) -> str:
    """The executed notebook as one page: code, the parameters cell and interactive cells left out, images
    embedded, nothing fetched, every box shown whole (STATIC_CSS)."""
    _import_converters()
    import nbformat
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {"interactive", "parameters"}
    exporter = HTMLExporter(config=config, template_name="lab", embed_images=True, exclude_input=True,
                            exclude_input_prompt=True, exclude_output_prompt=True)
    book = nbformat.read(str(executed), as_version=4)
    book.metadata["title"] = title
    book.metadata.pop("widgets", None)  # the interactive cells' widget state: their cells are left out
    page, _ = exporter.from_notebook_node(book)
    return local_only(page).replace("</head>", STATIC_CSS + "\n</head>", 1)


def local_only(page: str) -> str:
    """The page without what it would fetch: scripts loaded from or importing a remote URL (require.js, MathJax,
    mermaid, the widget manager from CDNs) and remote stylesheets."""
    page = _SCRIPT.sub(lambda m: "" if _REMOTE.search(m.group(0)) else m.group(0), page)
    return _LINK.sub("", page)


def shareable(run_dir: Path | str) -> RunStore:
    """The run, opened read-only; InputError for a folder that is not a run or has nothing to show."""
    run = RunStore.open(run_dir)  # a damaged line is skipped and named on the page
    if not run.draft_records:
        raise InputError(f"{run.path}: no drafts recorded yet; nothing to share")
    return run


def share(run_dir: Path | str, out: Path | str) -> Path:
    """Write the run's page to `out`; InputError (nothing written) for a folder that is not a run, or a secret."""
    run = shareable(run_dir)
    refuse_output_inside(run.path, Path(out))
    with tempfile.TemporaryDirectory(prefix="writebot-share-") as tmp:
        executed = Path(tmp) / "04_inspect_run.ipynb"
        execute(run.path.resolve(), executed)
        page = to_html(executed, f"writebot run {run.path.resolve().name}")
    found = secrets_in(page)
    if found:
        raise InputError(f"{out}: not written: the page would contain {', '.join(found)}; remove it from the run "
                         f"folder's files (or unset the variable the notebook printed) and share again")
    out = Path(out)
    write_atomic(out, page.encode("utf-8"))
    return out
