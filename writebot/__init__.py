"""writebot: train a writing bot by editing text, not weights.

The entry points a notebook needs are importable from here (`from writebot import Workbench, wire`). They load on
first use, so `import writebot` stays light and the offline path never loads the Claude SDK (tests/test_layout.py).
"""

__version__ = "0.1.0"

# name -> the module that defines it (docs/ARCHITECTURE.md)
_ENTRY_POINTS = {
    "RunOptions": "writebot.runs", "wire": "writebot.runs", "start_run": "writebot.runs",
    "continue_run": "writebot.runs", "RunStore": "writebot.store.run_folder", "Pipeline": "writebot.text.pipeline",
    "load_topics": "writebot.text.topics", "topic_from_text": "writebot.text.topics",
    "load_persona": "writebot.users", "load_source": "writebot.loop.writing", "engine_for": "writebot.loop.writing",
    "write_one": "writebot.loop.writing", "Workbench": "writebot.notebook.workbench",
    "TrainingApp": "writebot.notebook.widgets", "WritingApp": "writebot.notebook.widgets",
}
__all__ = ["__version__", *_ENTRY_POINTS]


def __getattr__(name: str):  # PEP 562: an entry point is imported when it is first asked for
    if name not in _ENTRY_POINTS:
        raise AttributeError(f"module 'writebot' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(_ENTRY_POINTS[name]), name)
