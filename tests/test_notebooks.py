"""The notebooks are stored clean: kernelspec metadata, a papermill parameters cell, and no outputs.
(Running them is nbval's job: `pytest --nbval-lax` collects notebooks/ with the rest of the suite.)"""

import json

import pytest

from .conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_five_notebooks_exist():
    assert [p.name for p in NOTEBOOKS] == ["01_quickstart.ipynb", "02_train_with_feedback.ipynb",
                                           "03_benchmark.ipynb", "04_inspect_run.ipynb", "05_write.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean_and_parameterised(path):
    book = json.loads(path.read_text())
    assert book["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in book["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code), "strip outputs before commit"
    assert sum("parameters" in c.get("metadata", {}).get("tags", []) for c in code) == 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_stay_thin(path):
    book = json.loads(path.read_text())
    source = "\n".join("".join(c["source"]) for c in book["cells"] if c["cell_type"] == "code")
    assert "def " not in source and "class " not in source, "logic belongs in the writebot package"
    assert "import writebot" in source or "from writebot" in source


def execute(name: str, tmp_path, env: dict[str, str], extra_cells: list[str] = ()):
    """Run a notebook in a fresh kernel (with `env`), `extra_cells` appended: the outputs, as text and HTML."""
    import os

    import nbformat
    from nbclient import NotebookClient

    book = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    book.cells += [nbformat.v4.new_code_cell(source) for source in extra_cells]
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        NotebookClient(book, timeout=180, resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    finally:
        for key, value in saved.items():
            os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)
    return "".join(o.get("text", "") + "".join(str(v) for v in o.get("data", {}).values())
                   for cell in book.cells for o in cell.get("outputs", []))


PERSON = '''start = workbench.epoch
editor = app.editor
editor.feedback.value = 'Say "use", not "utilize".\\nNo exclamation marks, please.'
editor.suggest.click()
editor.submit.click()
app.train.click()
app.review.apply.click()
assert workbench.epoch == start + 1, workbench.status()
print(workbench.status())
print("rules now:", *workbench.pipeline.style.rules, sep="\\n  - ")
'''


@pytest.mark.slow
def test_notebook_02_trains_when_a_person_uses_its_widgets(tmp_path):
    """The test plays the person (the notebook itself carries no test driver): feedback, a suggested revision,
    Submit, Train, Apply; then the next epoch has begun and the feedback became rules."""
    said = execute("02_train_with_feedback.ipynb", tmp_path, {"WRITEBOT_NB_RUN": str(tmp_path / "run")},
                   ["print('proposed:', app.topic.value, app.suggested.value)", PERSON,
                    "print('then proposed:', app.topic.value, app.suggested.value)"])
    assert "epoch 1: 0 drafts reviewed" in said
    assert 'Replace "utilize" with "use".' in said and 'Replace "!" with ".", even inside words.' in said
    first, then = (line for line in said.splitlines() if "proposed:" in line)
    assert "<b>Next:</b>" in first and "pick another below if you like" in first
    assert first.split()[1] != then.split()[2]  # a corrected topic is not proposed again


@pytest.mark.slow
def test_notebook_04_shows_the_last_update(tmp_path):
    from writebot.runs import replay_demo
    from writebot.store.run_folder import RunStore

    run = replay_demo(tmp_path / "demo")
    said = execute("04_inspect_run.ipynb", tmp_path, {"WRITEBOT_NB_INSPECT": str(run)})
    changed = [u.epoch for u in RunStore.open(run).update_records if u.kind != "gate" and u.diff]
    unchanged = [u.epoch for u in RunStore.open(run).update_records if u.kind != "gate" and not u.diff]
    assert changed and f"(update of epoch {changed[-1]})" in said  # the last update that changed a file
    assert not any(f"(update of epoch {e})" in said for e in changed[:-1] + unchanged)


def test_last_update_is_the_newest_update_not_a_gate_verdict():
    from writebot.report.analysis import last_update
    from writebot.store.formats import UpdateRecord

    class Run:
        update_records = [UpdateRecord(epoch=0, status="pending"), UpdateRecord(epoch=1, status="pending"),
                          UpdateRecord(epoch=0, kind="gate", status="accepted")]

    assert last_update(Run()) == UpdateRecord(epoch=1, status="pending")


WRITER = '''app.title.value = "Sharpening A Pencil"
app.points.value = "Hold the pencil at a low angle.\\nTurn it, do not press."
app.write.click()
print(app.status.value)
app.path.value = SAVE_TO
app.save.click()
print(app.status.value)
'''


@pytest.mark.slow
def test_notebook_05_writes_a_post_judges_it_and_saves_it(tmp_path, cli):
    """A blogger's week: the notebook writes its sample brief; the test types another title and points, Writes,
    and Saves (the notebook carries no test driver)."""
    assert cli("demo", "--out", tmp_path / "demo")[0] == 0
    target = tmp_path / "post.md"
    said = execute("05_write.ipynb", tmp_path, {"WRITEBOT_NB_WRITE": str(tmp_path / "demo")},
                   [f"SAVE_TO = {str(target)!r}", WRITER])
    assert "3/3 points kept" in said and "Hi friends," in said
    assert "2/2 points kept" in said and f"saved {target}" in said
    assert target.read_text().startswith("# Sharpening a pencil\n")


def test_notebook_04_markdown_is_written_for_the_reader_of_the_shared_page():
    """`writebot share` leaves code out: the markdown cells are what a reader of the page reads, so the notebook
    user's instructions live in the parameters cell's comment (left out of the page with the code)."""
    book = json.loads((ROOT / "notebooks" / "04_inspect_run.ipynb").read_text())
    shown = [c for c in book["cells"] if c["cell_type"] == "markdown"
             and "interactive" not in c.get("metadata", {}).get("tags", [])]
    text = "\n".join("".join(c["source"]) for c in shown)
    assert "RUN_DIR" not in text and "notebook" not in text.lower() and "Point " not in text
    parameters = next(c for c in book["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    assert "RUN_DIR" in "".join(parameters["source"]).split("import os")[0]  # told where the notebook user looks


@pytest.mark.slow
def test_notebook_01_shows_the_no_learning_baseline_beside_the_learner(tmp_path):
    said = execute("01_quickstart.ipynb", tmp_path, {})
    assert "the starting guide, never updated, would have needed" in said and "learning saved" in said
