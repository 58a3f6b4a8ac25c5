"""Paths of the data that ships with writebot: the starter pipeline, topics and personas."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_dir() -> Path:
    """The repo's data/ in a checkout or editable install; the packaged copy (writebot/_data) in a wheel."""
    checkout = Path(__file__).resolve().parent.parent / "data"
    if (checkout / "pipelines").is_dir():
        return checkout
    return Path(str(resources.files("writebot._data")))


def starter_pipeline() -> Path:
    return data_dir() / "pipelines" / "starter"


def starter_topics() -> Path:
    return data_dir() / "topics" / "starter.yaml"


def persona(name: str) -> Path:
    return data_dir() / "personas" / f"{name}.yaml"


def personas() -> list[Path]:
    return sorted((data_dir() / "personas").glob("*.yaml"))
