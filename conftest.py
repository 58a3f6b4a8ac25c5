"""Settings for the whole suite, notebooks included (their kernels inherit this process's environment)."""

import os
import tempfile

# notebook 02 opens a fresh run folder per test session
os.environ.setdefault("WRITEBOT_NB_RUN", os.path.join(tempfile.mkdtemp(prefix="writebot-nb-"), "workbench"))
os.environ.pop("ANTHROPIC_API_KEY", None)  # the suite never talks to the real API


def pytest_collection_modifyitems(items):
    """Every notebook cell is slow: each notebook starts a Jupyter kernel (pytest -m "not slow" leaves them out)."""
    import pytest

    for item in items:
        if item.nodeid.split("::")[0].endswith(".ipynb"):
            item.add_marker(pytest.mark.slow)
