"""Field checks for YAML inputs: each failure is an InputError saying file, place, problem and fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from writebot.errors import InputError

_TYPE_NAMES = {str: "text", int: "a whole number", list: "a list", dict: "a mapping", bool: "true or false",
               (int, float): "a number"}


def type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    return {str: "text", int: "a number", float: "a number", list: "a list", dict: "a mapping",
            bool: "true/false"}.get(type(value), type(value).__name__)


class Checker:
    """Checks fields of one YAML document and raises InputError naming path and place."""

    def __init__(self, path: Path | str, fix: str):
        self.path = path
        self.fix = fix

    def fail(self, where: str, problem: str) -> InputError:
        place = f" {where}:" if where else ""
        return InputError(f"{self.path}:{place} {problem}; {self.fix}")

    def field(self, mapping: dict, key: str, kind: type, where: str, *, required: bool = True,
              default: Any = None) -> Any:
        if key not in mapping or mapping[key] is None:
            if required:
                raise self.fail(where, f"missing '{key}'")
            return default
        value = mapping[key]
        ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
        if not ok:
            raise self.fail(where, f"'{key}' must be {_TYPE_NAMES.get(kind) or kind.__name__}, got {type_name(value)}")
        if kind is str and not value.strip():
            raise self.fail(where, f"'{key}' is empty")
        return value

    def text_list(self, mapping: dict, key: str, where: str) -> list[str]:
        items = self.field(mapping, key, list, where)
        if not items:
            raise self.fail(where, f"'{key}' is an empty list")
        for i, item in enumerate(items, 1):
            if not isinstance(item, str) or not item.strip():
                raise self.fail(where, f"'{key}' item {i} must be non-empty text, got {type_name(item)}")
        return items

    def unknown_keys(self, mapping: dict, allowed: set[str], where: str) -> None:
        extra = sorted(set(mapping) - allowed)
        if extra:
            raise self.fail(where, f"unknown field '{extra[0]}' (allowed: {', '.join(sorted(allowed))})")
