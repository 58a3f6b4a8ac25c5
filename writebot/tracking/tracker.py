"""The tracker a run holds (docs/FORMATS.md §8): one that does nothing, which one a run asks for, and what tells one
tracked run from another."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from writebot.errors import InputError
from writebot.store.run_folder import RunStore

TRACKERS = ("mlflow",)
INSTALL = "pip install 'writebot[mlflow]' (in a checkout: pip install -e '.[mlflow]')"
_PARAMS = ("engine", "user", "model", "epochs", "seed", "concurrency", "online", "style_budget",
           "batch_api", "effort", "max_cost_usd", "judge", "judge_model", "fallback_model", "command", "writebot")



def run_params(config: dict) -> dict[str, str]:
    """What tells one MLflow run from another (docs/FORMATS.md §8): run.json's settings, and who the user was
    (persona), on what (topics, pipeline) and which learner updated the guide."""
    from writebot.loop.registry import LEARNERS

    params = {k: str(config[k]) for k in _PARAMS if config.get(k) not in (None, "")}
    named = {"persona": config.get("persona_file"), "topics": config.get("topics_file"),
             "pipeline": config.get("pipeline_dir")}
    params |= {k: Path(v).stem if k == "persona" else Path(v).name for k, v in named.items() if v}
    if config.get("topics"):
        params["topics_count"] = str(config["topics"])
    engine = config.get("engine", "")
    params["learner"] = next((name for name, kind in LEARNERS.items() if kind == engine), engine)
    return params


class Tracker:
    """Does nothing: the tracker of a run that is not tracked (nanochat's DummyWandb)."""

    def open(self, run: RunStore) -> None:
        """The run is about to train (or resume)."""

    def epoch(self, run: RunStore, epoch: int) -> None:
        """Every topic of `epoch` is recorded, and its version is on disk."""

    def close(self, run: RunStore, status: str, plots: list[Path] | None = None) -> None:
        """Training ended with `status` (complete, stopped, interrupted or failed); `plots`: figures already
        written (else the tracker draws its own)."""


def build_tracker(name: str | None) -> Tracker:
    if name is None:
        return Tracker()
    if name not in TRACKERS:
        raise InputError(f"--track {name!r}: not a tracker; use one of {', '.join(TRACKERS)}")
    from writebot.tracking.mlflow_tracker import MlflowTracker  # its module, only for a tracked run

    return MlflowTracker()


def require(name: str | None) -> None:
    """Exit 2 before a run starts when the tracker's package is missing (found without importing it: MLflow takes
    seconds to import, and only its worker process needs it)."""
    if name == "mlflow" and importlib.util.find_spec("mlflow") is None:
        raise InputError(f"--track mlflow needs MLflow, which is not installed; install it with: {INSTALL}")


def start_tracking(run: RunStore, track: str | None) -> str | None:
    """Writers only: `track` (when given) becomes the run's tracker from now on, recorded in run.json (a tracked run
    stays tracked); returns the run's tracker."""
    require(track)
    if track is not None and run.config.get("track") != track:
        run.set_config(track=track)
    return run.config.get("track")
