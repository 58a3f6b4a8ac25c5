"""The benchmark scripts still run (tiny sizes; their figures are printed, never asserted here)."""

import subprocess
import sys

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow  # every benchmark script runs in a process of its own


@pytest.mark.parametrize("script, args, expect", [
    ("speed.py", ["60"], "µs/topic"),
    ("learning.py", ["--epochs", "1", "--passes", "1", "--generated", "1"], "share of oracle"),
    ("faithfulness.py", ["--epochs", "1", "--generated", "1"], "partial-sentence swaps"),
    ("contexts.py", ["--topics", "9", "--epochs", "1", "--passes", "1"], "per kind, online: cumulative share"),
    ("tracking.py", ["--repeat", "1"], "median overhead of tracking"),
    ("claude_stub.py", ["--latency", "0.01", "--drafts", "4", "--repeat", "1"], "cache-read share"),
    ("soak.py", ["--kills", "2", "--topics", "60", "--epochs", "1"], "identical to a clean run"),
    ("soak.py", ["--claude", "--kills", "2", "--epochs", "1"], "identical to a clean run"),
    ("active.py", ["--seeds", "1", "--generated", "1", "--persona-seeds", "1", "--passes", "1"],
     "seconds to rank 1,000 backlog topics"),
])
def test_bench_script_runs(script, args, expect):
    result = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], capture_output=True, text=True,
                            timeout=300)  # active.py: about 80 s on a 2-core machine
    assert result.returncode == 0, result.stderr[-2000:]
    assert expect in result.stdout


def test_the_copy_edit_bench_writes_every_posts_for_a_person_to_read(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "copy_edit.py"), "--epochs", "1", "--out",
                             str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    from writebot import bundled

    assert "most repeated sentence" in result.stdout
    assert len(list(tmp_path.glob("*/*.md"))) == len(bundled.personas()) * 24


def test_the_soak_starts_a_run_again_when_the_kill_lands_before_run_json_exists(tmp_path, topics_file):
    """The race that failed once under load: a kill during start-up left no run to resume."""
    import importlib.util

    from writebot import bundled
    from writebot.store.run_folder import RunStore

    spec = importlib.util.spec_from_file_location("soak", ROOT / "bench" / "soak.py")
    soak = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(soak)
    out = tmp_path / "killed"
    command = [*soak.WRITEBOT, "simulate", "--topics", topics_file, "--persona", bundled.persona("formal-editor"),
               "--epochs", "1", "--out", str(out)]
    stats = soak.kill_and_resume(command, out, 2, lambda: (lambda: True))  # at once: before Python is even up
    assert stats["kills"] == 2
    assert RunStore.open(out).config["status"] == "complete"
