"""Find the oldest anthropic SDK release that has everything writebot's Claude path relies on (a dev tool: it
downloads wheels from the package index, so run it on a machine that reaches PyPI, never in tests).

    python dev/sdk_floor.py                 # the probes per release, and the first release that has them all
    python dev/sdk_floor.py --verify 1.9.0  # the Claude tests, in a fresh venv with that release (slow)

Probes: the default model id in ModelParam, output_config.effort with "xhigh", adaptive thinking, top-level
cache_control, usage.output_tokens_details, stop_details on refusals, and the httpx2 transport. The probes read
types only; --verify runs the code: a fresh clone of this checkout's HEAD, installed with that release pinned.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PROBES = {
    "claude-sonnet-5-5 in ModelParam": ("anthropic/types/model_param.py", '"claude-sonnet-5-5"'),
    "effort xhigh": ("anthropic/types/output_config_param.py", '"xhigh"'),
    "adaptive thinking": ("anthropic/types/thinking_config_adaptive_param.py", "adaptive"),
    "top-level cache_control": ("anthropic/types/message_create_params.py", "    cache_control:"),
    "output_tokens_details": ("anthropic/types/usage.py", "output_tokens_details"),
    "refusal stop_details": ("anthropic/types/message.py", "stop_details"),
}


def versions() -> list[str]:
    out = subprocess.run([sys.executable, "-m", "pip", "index", "versions", "anthropic"], capture_output=True,
                         text=True, check=True).stdout
    listed = out.split("Available versions:", 1)[1].splitlines()[0]
    return [v.strip() for v in listed.split(",")][::-1]  # oldest first


def probe(version: str, folder: Path) -> dict[str, bool]:
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", f"anthropic=={version}", "-d",
                    str(folder)], check=True)
    wheel = next(folder.glob(f"anthropic-{version}-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())

        def has(path: str, text: str) -> bool:
            return path in names and text in archive.read(path).decode()

        found = {name: has(path, text) for name, (path, text) in PROBES.items()}
        meta = next(n for n in names if n.endswith("METADATA"))
        found["httpx2 transport"] = "Requires-Dist: httpx2" in archive.read(meta).decode()
    return found


CLAUDE_TESTS = ["tests/test_claude.py", "tests/test_claude_stops.py", "tests/test_claude_errors.py",
                "tests/test_claude_costs.py", "tests/test_claude_batches.py", "tests/test_claude_prompts.py",
                "tests/test_contract.py", "tests/test_simulator.py"]


def verify(version: str) -> int:
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "writebot"
        subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True)
        subprocess.run([sys.executable, "-m", "venv", str(clone / ".venv")], check=True)
        python = str(clone / ".venv" / "bin" / "python")
        subprocess.run([python, "-m", "pip", "install", "-q", "-e", f"{clone}[dev]", f"anthropic=={version}"],
                       check=True)
        print(subprocess.run([python, "-c", "import anthropic; print('anthropic', anthropic.__version__)"],
                             capture_output=True, text=True, check=True).stdout.strip())
        return subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *CLAUDE_TESTS],
                              cwd=clone).returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verify", metavar="VERSION", help="run the Claude tests in a fresh venv with that release")
    args = parser.parse_args()
    if args.verify:
        sys.exit(verify(args.verify))
    candidates = [v for v in versions() if v[0].isdigit() and int(v.split(".")[0]) >= 1]
    with tempfile.TemporaryDirectory() as tmp:
        low, high = 0, len(candidates) - 1  # all probes only ever appear, so bisect on "all true"
        while low < high:
            mid = (low + high) // 2
            found = probe(candidates[mid], Path(tmp))
            print(f"{candidates[mid]:>8}  " + "  ".join(f"{k}={'yes' if v else 'no'}" for k, v in found.items()))
            if all(found.values()):
                high = mid
            else:
                low = mid + 1
    print(f"\nfloor: anthropic>={candidates[low]}")


if __name__ == "__main__":
    main()
