"""Tracking overhead: `writebot demo` with and without `--track mlflow` (a SQLite store in a temporary folder),
wall time of the whole command, as a user runs it; then what MLflow holds, read back through MlflowClient.

    python bench/tracking.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(args: list[str], env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "writebot", *args], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"writebot {' '.join(args)} failed: {done.stderr.strip().splitlines()[-1]}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp}/mlflow.db", "MLFLOW_EXPERIMENT_NAME": "bench"}
        import mlflow

        client = mlflow.MlflowClient(env["MLFLOW_TRACKING_URI"])  # artifacts in tmp too, not ./mlruns
        client.create_experiment("bench", artifact_location=(Path(tmp) / "artifacts").as_uri())
        first = timed(["demo", "--out", f"{tmp}/first", "--track", "mlflow"], env)  # creates the store
        rows = []
        for i in range(args.repeat):
            plain = timed(["demo", "--out", f"{tmp}/plain-{i}"], env)
            tracked = timed(["demo", "--out", f"{tmp}/tracked-{i}", "--track", "mlflow"], env)
            rows.append((plain, tracked))
        print(f"{'run':>4}  {'demo s':>7}  {'demo --track mlflow s':>21}  {'overhead s':>10}")
        for i, (plain, tracked) in enumerate(rows):
            print(f"{i:>4}  {plain:7.2f}  {tracked:21.2f}  {tracked - plain:10.2f}")
        overhead = statistics.median(t - p for p, t in rows)
        print(f"\nmedian overhead of tracking: {overhead:.2f} s (first run, creating the SQLite store: {first:.2f} s)")
        config = json.loads((Path(tmp) / f"tracked-{args.repeat - 1}" / "run.json").read_text())
        run = client.get_run(config["mlflow_run_id"])
        steps = {k: len(client.get_metric_history(run.info.run_id, k)) for k in sorted(run.data.metrics)}
        versions = sum(1 for a in client.list_artifacts(run.info.run_id, "versions"))
        print(f"last tracked run: status {run.info.status}, {len(run.data.params)} params, metric steps {steps}, "
              f"{versions} versions as artifacts")


if __name__ == "__main__":
    main()
