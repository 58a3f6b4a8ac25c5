"""What a finished (or interrupted) run shows: the per-epoch table, before/after posts, the plots."""

from __future__ import annotations

from writebot.report.figures import (
    cost_figure,
    cumulative_cost_figure,
    kind_figure,
    learning_curve_figure,
    run_figures,
    save_figures,
    style_size_figure,
    val_by_posts_figure,
    write_plots,
)
from writebot.report.table import (
    before_after,
    cumulative_summary,
    kind_table,
    summary_table,
    summary_tables,
    update_cell,
    update_footnote,
)
from writebot.report.updates import (
    last_update_html,
    updates_section_html,
)
from writebot.report.words import (
    NO_BASELINE,
    NO_LEARNING_LABEL,
    cost_line,
    cost_summary,
    guide_markdown,
    run_header,
)

__all__ = ["NO_BASELINE", "NO_LEARNING_LABEL", "before_after", "cost_figure", "cost_line", "cost_summary",
           "cumulative_cost_figure", "cumulative_summary", "guide_markdown", "kind_figure", "kind_table",
           "last_update_html", "learning_curve_figure", "run_figures", "run_header", "save_figures",
           "style_size_figure", "summary_table", "summary_tables", "update_cell", "update_footnote",
           "updates_section_html", "val_by_posts_figure", "write_plots"]
