"""Settings for the whole suite, notebooks included (their kernels inherit this process's environment)."""

import os
import tempfile

# notebook 02 opens a fresh run folder per test session
os.environ.setdefault("WRITEBOT_NB_RUN", os.path.join(tempfile.mkdtemp(prefix="writebot-nb-"), "workbench"))
os.environ.pop("ANTHROPIC_API_KEY", None)  # the suite never talks to the real API
