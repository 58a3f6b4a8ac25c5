"""Paths of the data that ships with writebot: the starter pipeline, topics, personas and the demo cassette."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml


def data_dir() -> Path:
    """The repo's data/ in a checkout or editable install; the packaged copy (writebot/_data) in a wheel."""
    checkout = Path(__file__).resolve().parent.parent / "data"
    if (checkout / "pipelines").is_dir():
        return checkout
    return Path(str(resources.files("writebot._data")))


def inspect_notebook() -> Path:
    """Notebook 04 (what `writebot share` executes): the repo's notebooks/ in a checkout, else the packaged copy."""
    checkout = Path(__file__).resolve().parent.parent / "notebooks" / "04_inspect_run.ipynb"
    if checkout.is_file():
        return checkout
    return Path(str(resources.files("writebot._notebooks").joinpath("04_inspect_run.ipynb")))


def starter_pipeline() -> Path:
    return data_dir() / "pipelines" / "starter"


def starter_topics() -> Path:
    return data_dir() / "topics" / "starter.yaml"


def persona(name: str) -> Path:
    return data_dir() / "personas" / f"{name}.yaml"


def personas() -> list[Path]:
    return sorted((data_dir() / "personas").glob("*.yaml"))


@dataclass(frozen=True)
class CassetteRecipe:
    """What a shipped cassette was recorded with, so that replaying it makes the very same requests."""

    cassette: Path
    topics: Path
    persona: Path
    pipeline: Path
    epochs: int
    concurrency: int


def demo_cassette() -> CassetteRecipe:
    """data/cassettes/claude-demo.yaml: the recipe of the demo cassette (recorded by dev/record_demo_cassette.py)."""
    recipe = yaml.safe_load((data_dir() / "cassettes" / "claude-demo.yaml").read_text("utf-8"))
    return CassetteRecipe(*(data_dir() / recipe[k] for k in ("cassette", "topics", "persona", "pipeline")),
                          recipe["epochs"], recipe["concurrency"])
