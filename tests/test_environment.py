"""The project's own files install what it needs: pyproject and environment.yml agree; CI runs README's command."""

import re
import tomllib

import yaml

from .conftest import ROOT


def _name_spec(requirement: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    return m[1].lower().replace("_", "-"), m[2].replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_name_spec(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = dict(_name_spec(d) for d in env["dependencies"] if isinstance(d, str))
    conda.pop("python"), conda.pop("pip")
    assert conda == wanted
    assert {"jupyterlab", "ipywidgets", "pandas", "matplotlib", "anthropic", "nbval", "rapidfuzz"} <= set(wanted)


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```(?:bash|sh)\n(.*?)\n```", readme, re.S)
    test_command = next(c for c in commands if "pytest" in c)
    assert test_command in (ROOT / ".ci" / "run").read_text()
    assert any("writebot demo" in c and "pip install" in c for c in commands)


def test_code_is_ruff_clean():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "ruff", "check", "writebot", "tests", "bench", "dev"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_shows_what_the_demo_really_prints(cli, tmp_path):
    """The table and the learned rules in README's demo output are the demo's own (one opening, one closing rule)."""
    code, out, _ = cli("demo", "--out", tmp_path / "demo")
    assert code == 0
    readme = (ROOT / "README.md").read_text()
    shown = next(b for _, b in re.findall(r"(?m)^```(\w*)\n(.*?)^```", readme, re.S) if "STYLE.md rules at epoch" in b)
    printed = [line for line in out.splitlines() if line.startswith(("epoch ", "---", "    ", "  - ", "STYLE.md"))
               and not line.startswith("     ")]
    kept = [line for line in shown.splitlines() if line.strip()]
    assert kept == printed[: len(kept)]
    rules = [line for line in kept if line.startswith("  - ")]
    assert sum("Open with the line" in r for r in rules) == 1 and sum("Close with the line" in r for r in rules) == 1


def test_the_quick_tier_starts_no_kernel_no_browser_and_no_whole_training_in_a_subprocess():
    """Quick means no Jupyter kernel (the share fixtures execute notebook 04), no Chromium, and no `writebot demo`,
    `simulate`, `resume` or `share` run as a subprocess: a test that needs one is marked slow."""
    import ast

    from .conftest import ROOT

    heavy_fixtures = {"shared", "shared_online", "lab"}
    heavy_commands = {"demo", "simulate", "resume", "share"}
    quick_but_heavy = []
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        source = path.read_text()
        if "pytestmark = pytest.mark.slow" in source:
            continue
        for node in ast.parse(source).body:
            if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
                continue
            if any("slow" in ast.unparse(d) for d in node.decorator_list):
                continue
            uses = {a.arg for a in node.args.args} & heavy_fixtures
            runs = {c.value for call in ast.walk(node) if isinstance(call, ast.Call)
                    and ast.unparse(call.func) in ("writebot", "subprocess.run", "subprocess.Popen")
                    for c in ast.walk(call) if isinstance(c, ast.Constant) and c.value in heavy_commands}
            if uses or runs:
                quick_but_heavy.append(f"{path.name}::{node.name} ({', '.join(sorted(uses | runs))})")
    assert quick_but_heavy == [], "mark these slow:\n" + "\n".join(quick_but_heavy)
