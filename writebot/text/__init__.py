"""The text a bot is made of and writes: pipelines, posts, topic briefs, the rule language and what it knows
of English, well-formed text (hygiene), the guide's lint and the file-format checks."""
