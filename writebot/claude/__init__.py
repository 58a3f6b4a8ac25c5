"""Anthropic's Messages API: the client and its usage, models and effort, prices, errors as one line, the
text editor tool Claude edits a pipeline with, and the prompts (text files)."""
