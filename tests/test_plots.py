"""Each plot function takes data and returns a Figure whose content follows the data."""

import pandas as pd
from matplotlib.figure import Figure

from writebot import plots


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
