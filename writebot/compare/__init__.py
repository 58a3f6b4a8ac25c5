"""Comparing a draft with what the user wanted: edit distances and similarity, typed edit spans (the
"gradient"), and what a draft keeps of its brief (faithfulness)."""
