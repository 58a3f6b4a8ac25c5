"""The benchmark scripts still run (tiny sizes; their figures are printed, never asserted here)."""

import subprocess
import sys

import pytest

from .conftest import ROOT


@pytest.mark.parametrize("script, args, expect", [
    ("speed.py", ["60"], "µs/topic"),
    ("learning.py", ["--epochs", "1", "--passes", "1", "--generated", "1"], "share of oracle"),
    ("faithfulness.py", ["--epochs", "1", "--generated", "1"], "partial-sentence swaps"),
    ("tracking.py", ["--repeat", "1"], "median overhead of tracking"),
    ("claude_stub.py", ["--latency", "0.01", "--drafts", "4", "--repeat", "1"], "cache-read share"),
    ("soak.py", ["--kills", "2", "--topics", "60", "--epochs", "1"], "identical to a clean run"),
    ("soak.py", ["--claude", "--kills", "2", "--epochs", "1"], "identical to a clean run"),
])
def test_bench_script_runs(script, args, expect):
    result = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert expect in result.stdout
