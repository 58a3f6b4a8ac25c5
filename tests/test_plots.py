"""Each plot function takes data and returns a Figure whose content follows the data."""

import pandas as pd
import pytest
from matplotlib.figure import Figure

from writebot import bundled
from writebot.report import plots


def test_cumulative_cost_sums_rounds_per_learner():
    costs = pd.DataFrame({"learner": ["a", "a", "a", "b", "b", "b"], "epoch": [0, 1, 2, 0, 1, 2],
                          "word_edit_distance": [10, 5, 0, 10, 10, 10]})
    fig = plots.cumulative_cost(costs)
    lines = {line.get_label(): list(line.get_ydata()) for line in fig.axes[0].get_lines()}
    assert lines == {"a": [10, 15, 15], "b": [10, 20, 30]}


def test_cost_per_epoch_stacks_purposes_and_reads_old_usage_files():
    usage = pd.DataFrame({"purpose": ["draft", "draft", "update"], "cost_usd": [0.1, 0.2, 0.05], "epoch": [0, 1, 0]})
    fig = plots.cost_per_epoch(usage)
    heights = sorted(round(p.get_height(), 3) for p in fig.axes[0].patches if p.get_height())
    assert heights == [0.05, 0.1, 0.2]
    old = usage.drop(columns="epoch")  # usage.csv from before rows carried the epoch
    assert isinstance(plots.cost_per_epoch(old), Figure)
    empty = plots.cost_per_epoch(pd.DataFrame(columns=["purpose", "cost_usd", "epoch"]))
    assert "no LLM calls" in empty.axes[0].texts[0].get_text()


def test_style_size_and_learning_curve():
    sizes = pd.DataFrame({"epoch": [0, 1], "characters": [600, 900], "rules": [2, 7]})
    fig = plots.style_size(sizes)
    assert [p.get_height() for p in fig.axes[0].patches] == [600, 900]
    history = pd.DataFrame({"epoch": [0, 0, 1, 1], "split": ["train", "val"] * 2, "similarity": [0.8, 0.7, 1, 0.9],
                            "word_edit_distance": [10, 12, 0, 2]})
    fig = plots.learning_curve(history)
    right = {line.get_label(): list(line.get_ydata()) for line in fig.axes[1].get_lines()}
    assert right == {"train": [10, 0], "val": [12, 2]}


# -- a run's figures: online rounds, and PRELUDE's no-learning baseline ------------------------------------------
def checksums(folder):
    import hashlib

    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_split_measured_at_only_some_rounds_is_drawn_as_its_measurements_not_a_line():
    """Online, val is drafted in the first and the last round only: two markers, no line through the rounds
    between them (where nothing was measured); train, measured every round, keeps its line."""
    history = pd.DataFrame({"epoch": [0, 1, 2, 3, 0, 4], "split": ["train"] * 4 + ["val"] * 2,
                            "similarity": [0.8, 0.9, 0.95, 1.0, 0.7, 0.9],
                            "word_edit_distance": [10, 5, 2, 0, 12, 3]})
    fig = plots.learning_curve(history, xlabel="round")
    for ax in fig.axes[:2]:
        lines = {line.get_label(): line for line in ax.get_lines()}
        assert lines["train"].get_linestyle() == "-"
        assert lines["val (rounds 0 and 4 only)"].get_linestyle() == "None"
        assert ax.get_xlabel() == "round"
    assert [t.get_text() for t in fig.axes[1].texts] == ["12.0", "3.0"]  # the two measurements, labelled


def test_the_cumulative_cost_figure_draws_the_no_learning_baseline_behind_and_says_what_it_leaves_out():
    costs = pd.DataFrame({"learner": ["this run"] * 3 + ["no learning: x"] * 3, "epoch": [0, 1, 2] * 2,
                          "word_edit_distance": [10, 2, 0, 10, 10, 10]})
    fig = plots.cumulative_cost(costs, note="not shown: why")
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    assert list(lines) == ["this run", "no learning: x"]  # the learner first, the baseline after it
    assert lines["no learning: x"].get_linestyle() == "--" and list(lines["no learning: x"].get_ydata()) == [10, 20, 30]
    assert fig.axes[0].get_ylim()[1] > 30  # a flat top is not drawn on the frame
    assert "not shown: why" in [t.get_text() for t in fig.axes[0].texts]


@pytest.mark.slow
def test_an_offline_runs_cumulative_cost_has_the_starting_guide_replayed_beside_it(cli, tmp_path):
    """The no-learning baseline of a rules-engine run: each recorded train topic drafted by version 0 and scored
    against the recorded ground truth; epoch 0 was drafted by version 0, so there the two agree exactly. Computing it
    writes nothing into the run."""
    from writebot.compare.metrics import word_edit_distance
    from writebot.engines.rules import RulesEngine
    from writebot.report import NO_LEARNING_LABEL, cumulative_cost_figure, cumulative_summary
    from writebot.store.run_folder import RunStore
    from writebot.text.topics import Topic

    assert cli("demo", "--out", tmp_path / "demo")[0] == 0
    before = checksums(tmp_path / "demo")
    run = RunStore.open(tmp_path / "demo")
    lines = {line.get_label(): list(line.get_ydata()) for line in cumulative_cost_figure(run).axes[0].get_lines()}
    assert set(lines) == {"this run (rules engine)", NO_LEARNING_LABEL}
    train = [r for r in run.draft_records if r.split == "train"]
    start = run.load_version(0)
    expected = {}
    for r in train:
        expected[r.epoch] = expected.get(r.epoch, 0) + word_edit_distance(
            RulesEngine().write(start, Topic.from_dict(r.topic)), r.ground_truth)
    assert expected[0] == sum(r.word_edit_distance for r in train if r.epoch == 0)
    baseline = lines[NO_LEARNING_LABEL]
    per_epoch = [b - a for a, b in zip([0, *baseline[:-1]], baseline, strict=True)]
    assert per_epoch == [expected[e] for e in sorted(expected)]
    assert baseline[-1] > 3 * lines["this run (rules engine)"][-1]  # the learner bent its curve flat
    assert f"would have needed **{int(baseline[-1]):,}**" in cumulative_summary(run)
    assert checksums(tmp_path / "demo") == before


def test_a_claude_runs_figure_says_the_baseline_is_only_computed_offline_and_makes_no_call(tmp_path):
    from writebot.report import cumulative_cost_figure, cumulative_summary
    from writebot.report.analysis import no_learning_costs
    from writebot.runs import replay_demo
    from writebot.store.run_folder import RunStore

    folder = replay_demo(tmp_path / "replay")
    before = checksums(folder)
    run = RunStore.open(folder)
    assert no_learning_costs(run) is None
    ax = cumulative_cost_figure(run).axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["this run (Claude, replayed)"]
    assert any("only for offline (rules-engine)" in t.get_text() for t in ax.texts)
    assert "computed only for offline (rules-engine) runs" in cumulative_summary(run)
    assert checksums(folder) == before  # usage.csv included: no call was made, nothing was written


def online_run(cli, write_yaml, folder):
    """An online run (PRELUDE's protocol): 6 train topics, 2 passes, so rounds 0-11 and val in rounds 0 and 12."""
    from .conftest import make_topics

    topics = write_yaml("topics.yaml", [t.to_dict() for t in make_topics(8)])
    code, _, err = cli("simulate", "--online", "--epochs", "2", "--topics", topics, "--persona",
                       bundled.persona("warm-casual"), "--out", folder)
    assert code == 0, err
    return folder


@pytest.mark.slow
def test_an_online_run_is_shown_in_rounds_and_passes_with_val_where_it_was_measured(cli, write_yaml, tmp_path):
    from writebot import report
    from writebot.store.run_folder import RunStore

    run = RunStore.open(online_run(cli, write_yaml, tmp_path / "online"))
    curve = report.learning_curve_figure(run)
    assert {ax.get_xlabel() for ax in curve.axes[:3]} == {"round"}
    val = next(line for line in curve.axes[1].get_lines() if line.get_label().startswith("val"))
    assert val.get_label() == "val (rounds 0 and 12 only)" and val.get_linestyle() == "None"
    assert report.style_size_figure(run).axes[0].get_xlabel() == "round"
    header = report.run_header(run)
    assert "2 passes over the 6 train topics, 12 rounds" in header and "rounds 0 and 12" in header
    assert "'epochs'" not in header and "epochs" not in header
    tables = report.summary_tables(run)
    val_table, passes = tables[0][1], tables[1][1]
    assert list(val_table.index) == ["before training (round 0)", "after training (round 12)"]
    assert list(passes["rounds"]) == ["0–5", "6–11"] and "in all, with no learning" in passes
    assert not any(t.isin(["nan", "NaN"]).any().any() for _, t in tables)  # a dash where nothing was measured
    updates = report.updates_section_html(run)
    assert "Update after round 0:" in updates and "Update after epoch" not in updates
