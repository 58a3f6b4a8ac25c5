"""The notebooks are stored clean: kernelspec metadata, a papermill parameters cell, and no outputs.
(Running them is nbval's job: `pytest --nbval-lax` collects notebooks/ with the rest of the suite.)"""

import json

import pytest

from .conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_four_notebooks_exist():
    assert [p.name for p in NOTEBOOKS] == ["01_quickstart.ipynb", "02_train_with_feedback.ipynb",
                                           "03_benchmark.ipynb", "04_inspect_run.ipynb"]


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
