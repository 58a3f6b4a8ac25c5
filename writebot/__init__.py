"""writebot: train a writing bot by editing text, not weights."""

__version__ = "0.1.0"
