"""--track mlflow (docs/FORMATS.md §8), against a real MLflow backend: a SQLite tracking store in a temporary
folder, no server, no network. What is checked is read back through MlflowClient, as a user would."""

import json
import subprocess
import sys
from pathlib import Path

import mlflow  # the dev extra installs it; users: pip install "writebot[mlflow]"
import pytest

from writebot import bundled
from writebot.cli import main
from writebot.runs import RunOptions, continue_run, start_run
from writebot.tracking.mlflow_worker import prompt_name


@pytest.fixture
def store(tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "writebot-tests")
    mlflow.set_tracking_uri(uri)
    client = mlflow.MlflowClient(uri)
    # artifacts under tmp_path too (a SQLite store's default is ./mlruns in the working folder)
    client.create_experiment("writebot-tests", artifact_location=(tmp_path / "artifacts").as_uri())
    return client


def artifacts(client, run_id, path=None):
    for item in client.list_artifacts(run_id, path):
        yield from artifacts(client, run_id, item.path) if item.is_dir else [item.path]


def prompt_versions(client, name):
    out, number = [], 1
    while True:
        try:
            out.append(client.get_prompt_version(name, number))
        except Exception:
            return out
        number += 1


@pytest.mark.slow
def test_the_demo_run_is_in_mlflow_params_metrics_versions_and_prompts(store, tmp_path):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--track", "mlflow"]) == 0
    config = json.loads((out / "run.json").read_text())
    run = store.get_run(config["mlflow_run_id"])
    assert run.info.status == "FINISHED" and run.info.run_name == "demo"
    assert store.get_experiment(run.info.experiment_id).name == "writebot-tests"  # MLflow's own variable
    assert run.data.params["engine"] == "rules" and run.data.params["epochs"] == "3"
    recipe = json.loads((out / "run.json").read_text())
    assert {k: run.data.params[k] for k in ("persona", "topics", "pipeline", "learner", "topics_count")} == {
        "persona": Path(recipe["persona_file"]).stem, "topics": "starter.yaml", "pipeline": "starter",
        "learner": "mine", "topics_count": str(recipe["topics"])}
    history = [line.split(",") for line in (out / "history.csv").read_text().splitlines()[1:]]
    for split in ("train", "val"):
        logged = {m.step: m.value for m in store.get_metric_history(run.info.run_id, f"{split}_word_edit_distance")}
        for epoch in range(4):
            costs = [int(r[4]) for r in history if r[0] == str(epoch) and r[2] == split]
            assert logged[epoch] == pytest.approx(sum(costs) / len(costs))
        assert len(store.get_metric_history(run.info.run_id, f"{split}_similarity")) == 4
    assert [m.step for m in store.get_metric_history(run.info.run_id, "cost_usd")] == [0, 1, 2, 3]
    files = set(artifacts(store, run.info.run_id))
    assert {"history.csv", "updates.jsonl", "plots/learning_curve.png", "plots/cumulative_cost.png"} <= files
    for epoch in range(4):
        assert f"versions/epoch_{epoch:03d}/STYLE.md" in files
    versions = prompt_versions(store, prompt_name("demo", config["mlflow_run_key"]))
    assert [v.tags["writebot_epoch"] for v in versions] == ["0", "1", "2", "3"]
    for v in versions:
        assert v.template == (out / "versions" / f"epoch_{int(v.tags['writebot_epoch']):03d}" / "STYLE.md").read_text()
    assert "ANTHROPIC" not in json.dumps(run.data.params)


@pytest.mark.slow
def test_a_resumed_run_continues_the_same_mlflow_run_without_logging_twice(store, tmp_path):
    out = tmp_path / "run"

    class StopAtEpoch2:  # a tqdm-like factory; the trainer asks for a bar at each epoch
        def __init__(self, total, desc, unit):
            if desc == "epoch 2":
                raise KeyboardInterrupt

        def update(self, n):
            pass

        def set_postfix_str(self, text):
            pass

        def close(self):
            pass

    run = start_run(out, bundled.starter_topics(), bundled.persona("noisy-casual"), bundled.starter_pipeline(),
                    RunOptions(track="mlflow"), "test")
    with pytest.raises(KeyboardInterrupt), run:
        continue_run(run, progress=StopAtEpoch2)
    first = json.loads((out / "run.json").read_text())["mlflow_run_id"]
    assert store.get_run(first).info.status == "KILLED"
    assert [m.step for m in store.get_metric_history(first, "cost_usd")] == [0, 1]
    done = subprocess.run([sys.executable, "-m", "writebot", "resume", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    config = json.loads((out / "run.json").read_text())
    assert config["mlflow_run_id"] == first and store.get_run(first).info.status == "FINISHED"
    assert [m.step for m in store.get_metric_history(first, "val_word_edit_distance")] == [0, 1, 2, 3]
    assert len(store.search_runs([store.get_run(first).info.experiment_id])) == 1


def test_without_mlflow_installed_track_is_a_clear_error_and_nothing_is_written(tmp_path, monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mlflow" else real(name, *a))
    assert main(["demo", "--out", str(tmp_path / "demo"), "--track", "mlflow"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'writebot[mlflow]'" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "demo").exists()


@pytest.mark.slow
def test_the_notebook_workbench_logs_each_epoch_a_person_trains(store, tmp_path):
    from writebot.notebook.workbench import Workbench

    workbench = Workbench.open(tmp_path / "wb", engine="rules", track="mlflow")
    topic = workbench.topics[0]
    draft = workbench.draft(topic)
    workbench.submit(topic, draft, "Say \"use\", not \"utilize\".", draft.replace("tilize", "se"))
    proposal = workbench.propose()
    workbench.apply(proposal, {h.id for h in proposal.hunks})
    workbench.close()
    config = json.loads((tmp_path / "wb" / "run.json").read_text())
    run_id = config["mlflow_run_id"]
    words = store.get_metric_history(run_id, "train_word_edit_distance")
    assert [(m.step, m.value) for m in words] == [(0, float(workbench.run.draft_records[0].word_edit_distance))]
    assert "versions/epoch_000/STYLE.md" in set(artifacts(store, run_id))
    [version] = prompt_versions(store, prompt_name("wb", config["mlflow_run_key"]))
    assert version.tags["writebot_epoch"] == "0"


@pytest.mark.slow
def test_a_finished_run_is_logged_by_resume_with_track(store, tmp_path):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    assert main(["resume", str(out), "--track", "mlflow"]) == 0
    config = json.loads((out / "run.json").read_text())
    assert config["status"] == "complete" and config["track"] == "mlflow"
    run_id = config["mlflow_run_id"]
    assert [m.step for m in store.get_metric_history(run_id, "val_word_edit_distance")] == [0, 1, 2, 3]
    assert {"plots/learning_curve.png", "history.csv"} <= set(artifacts(store, run_id))
    assert main(["resume", str(out), "--track", "mlflow"]) == 0  # logged already: nothing new
    assert len(store.get_metric_history(run_id, "cost_usd")) == 4


@pytest.mark.slow
@pytest.mark.parametrize("learner", ["oracle", "append-feedback"])
def test_runs_of_two_learners_on_two_personas_are_told_apart_by_their_params(store, tmp_path, learner):
    runs = {}
    for persona in ("terse-technical", "warm-casual"):
        out = tmp_path / persona
        assert main(["simulate", "--topics", str(bundled.starter_topics()), "--persona",
                     str(bundled.persona(persona)), "--epochs", "1", "--learner", learner, "--out", str(out),
                     "--track", "mlflow"]) == 0
        runs[persona] = store.get_run(json.loads((out / "run.json").read_text())["mlflow_run_id"]).data.params
    for persona, params in runs.items():
        assert params["persona"] == persona and params["learner"] == learner
        assert params["engine"] == f"rules-{learner}" and params["pipeline"] == "starter"
