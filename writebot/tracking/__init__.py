"""Experiment tracking (docs/FORMATS.md §8): a tracker that does nothing, and one that logs a run to MLflow.

The MLflow tracker honours MLflow's own variables (`MLFLOW_TRACKING_URI`, `MLFLOW_EXPERIMENT_NAME`,
`MLFLOW_EXPERIMENT_ID`; https://mlflow.org/docs/latest/ml/tracking/). It logs the run's config as params; per epoch
(the step) the mean train and val word edit distance and similarity and the epoch's `cost_usd`; every version's
pipeline files as artifacts under `versions/epoch_NNN/`; at the end `history.csv`, `updates.jsonl` and the plots.
Where the backend has MLflow's prompt registry, each new STYLE.md is registered as a version of one prompt named
after the run (https://mlflow.org/docs/latest/genai/prompt-registry/). run.json keeps a key the MLflow run is tagged
with (`mlflow_run_key`) and, once logged, its id (`mlflow_run_id`), so a resumed run continues the same MLflow run;
steps already logged are not logged again. The logging itself runs in writebot.tracking.mlflow_worker, a process of
its own.
"""

from __future__ import annotations

from writebot.tracking.mlflow_tracker import WORKER_TIMEOUT, MlflowTracker, epoch_metrics, prestart
from writebot.tracking.tracker import (
    INSTALL,
    TRACKERS,
    Tracker,
    build_tracker,
    require,
    run_params,
    start_tracking,
)

__all__ = ["INSTALL", "TRACKERS", "WORKER_TIMEOUT", "MlflowTracker", "Tracker", "build_tracker", "epoch_metrics",
           "prestart", "require", "run_params", "start_tracking"]
