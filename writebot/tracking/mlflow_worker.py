"""The MLflow side of `--track mlflow`, in its own process (`python -m writebot.tracking.mlflow_worker`), so importing
MLflow and talking to its store run beside training instead of inside it (tracking.MlflowTracker starts it).

It reads one JSON command per line on stdin:
  {"op": "open", "key", "name", "folder", "params", "run_id", "resumed"}  continue MLflow run `run_id` (a resumed run
      that lost it: the one tagged writebot.run_key = key), or start one
  {"op": "epoch", "epoch", "metrics", "version_dir", "style"}  metrics at step epoch, the version's files as
      artifacts under versions/epoch_NNN/, STYLE.md as a new version of the run's prompt (where the registry exists)
  {"op": "close", "status", "folder", "plots"}  history.csv, updates.jsonl, run.json and the plots (the files given,
      else drawn here); end the MLflow run
and prints the MLflow run id on stdout once the run is open. End of input without "close" ends the run as KILLED
(the trainer died). An epoch already logged (a resumed run) is not logged again. MLflow's own variables
(MLFLOW_TRACKING_URI, MLFLOW_EXPERIMENT_NAME, MLFLOW_EXPERIMENT_ID) choose the store and the experiment.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import tempfile
from pathlib import Path

_PROMPT_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def prompt_name(folder_name: str, key: str) -> str:
    """The run's prompt: its folder's name (in the letters, digits, '-', '_' and '.' MLflow allows) and the start of
    its key, so two runs in folders of the same name never share a prompt."""
    return f"writebot-{_PROMPT_NAME.sub('-', folder_name).strip('-')}-{key[:8]}"


class Worker:
    def __init__(self):
        for noisy in ("mlflow", "alembic"):  # database migrations and the like, on every new store
            logging.getLogger(noisy).setLevel(logging.WARNING)
        import mlflow

        mlflow.search_experiments(max_results=1)  # opens (creates, migrates) the store while training starts
        self.mlflow = mlflow
        self.logged: set[int] = set()
        self.registry = True
        self.prompt = ""

    def open(self, key: str, name: str, folder: str, params: dict, run_id: str | None = None,
             resumed: bool = False) -> None:
        mlflow = self.mlflow
        self.prompt = prompt_name(name, key)
        if resumed and not run_id:  # killed before its id was written down: find it by its key
            found = mlflow.search_runs(search_all_experiments=True, output_format="list",
                                       filter_string=f"tags.`writebot.run_key` = '{key}'")
            run_id = found[0].info.run_id if found else None
        if run_id:  # a resumed run: the same MLflow run, and what it already has
            mlflow.start_run(run_id=run_id)
            self.logged = {m.step for m in mlflow.MlflowClient().get_metric_history(run_id, "cost_usd")}
        else:
            mlflow.start_run(run_name=name, tags={"writebot.run_key": key, "writebot.store.run_folder": folder})
            mlflow.log_params(params)
        print(mlflow.active_run().info.run_id, flush=True)

    def epoch(self, epoch: int, metrics: dict, version_dir: str, style: str) -> None:
        if epoch in self.logged:
            return
        mlflow = self.mlflow
        mlflow.log_metrics(metrics, step=epoch)
        folder = Path(version_dir)
        mlflow.log_artifacts(str(folder), artifact_path=f"versions/{folder.name}")
        if self.registry:
            try:
                mlflow.genai.register_prompt(self.prompt, style, commit_message=f"STYLE.md of versions/{folder.name}",
                                             tags={"writebot_epoch": str(epoch),
                                                   "mlflow_run_id": mlflow.active_run().info.run_id})
            except Exception as exc:  # a backend without the prompt registry: say it once, go on
                self.registry = False
                print(f"writebot: warning: MLflow's prompt registry is not available on "
                      f"{mlflow.get_tracking_uri()} ({str(exc).splitlines()[0]}); STYLE.md versions are logged as "
                      "artifacts only", file=sys.stderr, flush=True)
        self.logged.add(epoch)

    def close(self, status: str, folder: str, plots: list[str] | None = None) -> None:
        """`plots`: figures the trainer's side already wrote (writebot report's); else they are drawn here."""
        from writebot.report import save_figures
        from writebot.store.run_folder import RunStore

        mlflow = self.mlflow
        root = Path(folder)
        try:
            for name in ("history.csv", "updates.jsonl", "run.json"):
                if (root / name).is_file():
                    mlflow.log_artifact(str(root / name))
            with tempfile.TemporaryDirectory(prefix="writebot-plots-") as tmp:
                if plots is None:
                    run = RunStore.open(root)  # read only
                    plots = save_figures(run, Path(tmp)) if run.draft_records else []
                for path in plots:
                    mlflow.log_artifact(str(path), artifact_path="plots")
        finally:
            mlflow.end_run(status={"complete": "FINISHED", "failed": "FAILED"}.get(status, "KILLED"))


def main() -> int:
    worker = Worker()  # import MLflow and open its store at once: the trainer starts the worker early
    opened = False
    for line in sys.stdin:
        command = json.loads(line)
        op = command.pop("op")
        if op == "open":
            worker.open(**command)
            opened = True
        elif op == "epoch":
            worker.epoch(**command)
        elif op == "close":
            worker.close(**command)
            return 0
    if opened:  # the trainer went away without closing: a killed run
        worker.mlflow.end_run(status="KILLED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
