"""Find the oldest anthropic SDK release that has everything writebot's Claude path relies on (a dev tool: it
downloads wheels from the package index, so run it on a machine that reaches PyPI, never in tests).

    python dev/sdk_floor.py            # prints the probes per release and the floor to put in pyproject.toml

Probes: the default model id in ModelParam, output_config.effort with "xhigh", adaptive thinking, top-level
cache_control, usage.output_tokens_details, stop_details on refusals, and the httpx2 transport.
"""

from __future__ import annotations

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


def main() -> None:
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
