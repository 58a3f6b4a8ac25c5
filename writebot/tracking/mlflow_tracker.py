"""The MLflow tracker: it hands what to log to writebot.tracking.mlflow_worker, a process of its own."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

from writebot.report.analysis import load_history
from writebot.store.run_folder import RunStore, version_dir
from writebot.tracking.tracker import Tracker, require, run_params

WORKER_TIMEOUT = 300  # seconds the MLflow worker may take to finish logging after training ends

_prestarted: tuple[subprocess.Popen, dict[str, str]] | None = None  # the worker and the MLFLOW_* it started with


def _mlflow_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("MLFLOW_")}


def _spawn() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "writebot.tracking.mlflow_worker"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _take_prestarted() -> subprocess.Popen:
    """The worker prestart() started, if it still logs where MLFLOW_* now say (a notebook or a test may have
    changed them since), else a new one."""
    global _prestarted
    worker, env = _prestarted or (None, None)
    _prestarted = None
    if worker is not None and (env != _mlflow_env() or worker.poll() is not None):
        worker.kill()
        worker.communicate()
        worker = None
    return worker or _spawn()


def prestart(name: str | None) -> None:
    """Start the tracker's worker now (the command line, as soon as it has read --track), so that importing MLflow
    and opening its store overlap with writebot's own start; a worker never opened ends when this process does."""
    global _prestarted
    if name == "mlflow" and _prestarted is None and importlib.util.find_spec("mlflow") is not None:
        _prestarted = _spawn(), _mlflow_env()


def _without_credentials(uri: str) -> str:
    """A tracking URI fit to print: any user:password@ left out."""
    return re.sub(r"(//)[^/@]*@", r"\1", uri)


def epoch_metrics(run: RunStore, epoch: int) -> dict[str, float]:
    """Means over the epoch's topics per split (faithfulness too: points kept, points lost summed, claims added where
    the judge can tell; docs/FORMATS.md §10; the words to edit per kind of post, §11), and what the epoch's LLM
    calls cost (NaN-free)."""
    import pandas as pd

    history = load_history(run)
    rows = history[history["epoch"] == epoch]
    out = {}
    for split in ("train", "val"):
        part = rows[rows["split"] == split]
        if len(part):
            out[f"{split}_word_edit_distance"] = float(part["word_edit_distance"].mean())
            out[f"{split}_similarity"] = float(part["similarity"].mean())
            for column, how in (("points_kept", "mean"), ("points_lost", "sum"), ("claims_added", "mean")):
                values = pd.to_numeric(part[column], errors="coerce").dropna() if column in part else []
                if len(values):
                    out[f"{split}_{column}"] = float(values.sum() if how == "sum" else values.mean())
            if "kind" in part:  # docs/FORMATS.md §11: the cost per kind of post
                for kind, words in part.dropna(subset=["kind"]).groupby("kind")["word_edit_distance"]:
                    out[f"{split}_word_edit_distance_{kind}"] = float(words.mean())
    costs = [float(u["cost_usd"]) for u in run.usage_rows()
             if str(u.get("epoch")) == str(epoch) and u.get("cost_usd") not in (None, "")]
    out["cost_usd"] = sum(costs)
    return {k: v for k, v in out.items() if not math.isnan(v)}


class MlflowTracker(Tracker):
    """Sends what to log to writebot.tracking.mlflow_worker, a process of its own: importing MLflow and writing to its
    store take seconds of CPU, which run beside training instead of inside it. A failure of the worker is a warning: the
    run folder, not the tracker, is the record."""

    def __init__(self):
        require("mlflow")
        self.worker: subprocess.Popen | None = None

    def _send(self, **command) -> None:
        if self.worker is None or self.worker.poll() is not None:
            return
        try:
            self.worker.stdin.write(json.dumps(command) + "\n")
            self.worker.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the worker died; close() says why

    def open(self, run: RunStore) -> None:
        key = run.config.get("mlflow_run_key")
        resumed = key is not None
        if key is None:  # how a resumed run finds its MLflow run again, should it lose the id
            key = uuid.uuid4().hex
            run.set_config(mlflow_run_key=key)
        self.worker = _take_prestarted()
        params = run_params(run.config)
        self._send(op="open", key=key, name=run.path.resolve().name, folder=str(run.path.resolve()), params=params,
                   run_id=run.config.get("mlflow_run_id"), resumed=resumed)

    def epoch(self, run: RunStore, epoch: int) -> None:
        version = run.path / version_dir(epoch)
        self._send(op="epoch", epoch=epoch, metrics=epoch_metrics(run, epoch), version_dir=str(version.resolve()),
                   style=run.load_version(epoch).files["STYLE.md"])

    def close(self, run: RunStore, status: str, plots: list[Path] | None = None) -> None:
        if self.worker is None:  # never opened, or closed already
            return
        self._send(op="close", status=status, folder=str(run.path.resolve()),
                   plots=None if plots is None else [str(p.resolve()) for p in plots])
        try:
            out, err = self.worker.communicate(timeout=WORKER_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.worker.kill()
            out, err = self.worker.communicate()
            err += f"\nno answer in {WORKER_TIMEOUT} s"
        code = self.worker.returncode
        self.worker = None
        for line in err.splitlines():
            if line.startswith("writebot: warning:"):
                print(line, file=sys.stderr)
        run_id = out.strip().splitlines()[-1] if out.strip() else None
        if code != 0 or run_id is None:
            last = [line for line in err.splitlines() if line.strip()][-1:] or ["no output"]
            print(f"writebot: warning: MLflow tracking failed ({last[0]}); the run folder has everything; "
                  f"log it again with: writebot resume {run.path} --track mlflow", file=sys.stderr)
            return
        if run.config.get("mlflow_run_id") != run_id:
            run.set_config(mlflow_run_id=run_id)
        where = _without_credentials(os.environ.get("MLFLOW_TRACKING_URI", "")) or "MLflow's default store"
        print(f"writebot: logged to MLflow run {run_id} ({where})", file=sys.stderr)
