"""Defaults, in one place: the command line, RunOptions and the engines all read them from here."""

EPOCHS = 3  # updates per run (epochs 0..EPOCHS are drafted)
CONCURRENCY = 4  # drafts in flight at once
STYLE_BUDGET = 4000  # characters of STYLE.md (comments left out) the optimizer may use
MIN_STYLE_BUDGET = 200  # a smaller budget holds no style guide
EDITOR_TURNS = 12  # turns of the Claude optimizer's editor loop
BATCH_POLL_SECONDS = 5.0  # between two looks at a Message Batch
SEED = 0
ENGINE = "rules"  # registry name: the offline engine
USER = "rules"  # registry name: the persona's deterministic edits
JUDGE = "rules"  # registry name: the offline faithfulness judge (docs/FORMATS.md §10)
JUDGE_MODEL = "claude-haiku-5-5"  # --judge claude: a small model (or $WRITEBOT_JUDGE_MODEL, --judge-model)
