"""The configuration file's known keys as plain data, and the one walk that finds a file's unknown
keys in them (issue 27 point 3). No pydantic here: the catalogue's read commands (`projects list`,
`show`, `export`, `status`) check the operator's file through this module alone, with the schema
shipped beside it (`config_schema.json`); `load_settings` walks the same schema built from the
`Settings` model (`bridge.config_keys.schema_of`). The model is the one source:
`scripts/build_config_schema.py` writes the JSON from it, and a test holds the two equal.

A schema node is one of:
- `{"t": "model", "names": {name or alias: field}, "fields": {field: node}}`: a table whose keys
  are the model's fields (read under their own names or their aliases);
- `{"t": "list", "item": node}`: a list (an array of tables such as `[[harvest]]`);
- `{"t": "dict", "keys": [key, …] or null, "value": node}`: a table keyed by the members of an
  enum (`keys`), or free-form (null: its known keys are the built-in defaults' ones);
- `{"t": "leaf"}`: a value (a string, a number, a list of them).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

SHIPPED = Path(__file__).resolve().parent / "config_schema.json"
# Fields of the model that no file sets (the loader fills them in).
INTERNAL = frozenset({"config_path"})


class UnknownKey:
    """One key the model does not know: its dotted path, and the nearest known key, if any."""

    def __init__(self, path: tuple[str, ...], known: list[str]) -> None:
        self.path = path
        self.known = sorted(known)
        close = difflib.get_close_matches(path[-1], self.known, n=1, cutoff=0.6)
        self.nearest = close[0] if close else None

    def message(self) -> str:
        where = ".".join(self.path)
        if self.nearest:
            return f"unknown key `{where}`; did you mean `{self.nearest}`?"
        shown = ", ".join(f"`{k}`" for k in self.known[:12])
        more = ", …" if len(self.known) > 12 else ""
        return f"unknown key `{where}`; known keys here: {shown}{more}"


@cache
def shipped() -> dict[str, Any]:
    """The schema of `Settings` as shipped in the package."""
    loaded: dict[str, Any] = json.loads(SHIPPED.read_text(encoding="utf-8"))
    return loaded


def unknown_keys(
    data: Mapping[str, Any],
    schema: Mapping[str, Any],
    defaults: Mapping[str, Any] | None = None,
    *,
    skip: frozenset[str] = frozenset(),
) -> list[UnknownKey]:
    """The keys of `data` (a file's tables) that the model `schema` describes does not know.
    `defaults` (the built-in file) gives the known keys of free-form tables such as `[tags]` and
    `[labels.*]`."""
    return list(_walk_model(data, schema, defaults or {}, (), skip))


def _walk_model(
    data: Mapping[str, Any],
    node: Mapping[str, Any],
    defaults: Mapping[str, Any],
    path: tuple[str, ...],
    skip: frozenset[str] = frozenset(),
) -> Iterator[UnknownKey]:
    names: dict[str, str] = node["names"]
    for key, value in data.items():
        if key in skip:
            continue
        name = names.get(key)
        if name is None or name in INTERNAL:
            own = [n for n in names if n == names[n] and n not in INTERNAL]
            short = [a for a, n in names.items() if a != n and a.islower()]  # aliases people write
            yield UnknownKey((*path, key), own + short)
            continue
        below = defaults.get(key, defaults.get(name)) if isinstance(defaults, Mapping) else None
        yield from _walk_value(value, node["fields"][name], below, (*path, key))


def _walk_value(
    value: Any, node: Mapping[str, Any], defaults: Any, path: tuple[str, ...]
) -> Iterator[UnknownKey]:
    kind = node["t"]
    if kind == "model":
        if isinstance(value, Mapping):
            yield from _walk_model(value, node, defaults or {}, path)
        return
    if kind == "list" and isinstance(value, list):
        for index, element in enumerate(value):
            yield from _walk_value(
                element, node["item"], None, (*path[:-1], f"{path[-1]}[{index}]")
            )
        return
    if kind == "dict" and isinstance(value, Mapping):
        known: set[str] | None = None
        if node["keys"] is not None:
            known = set(node["keys"])
        elif isinstance(defaults, Mapping) and defaults:
            known = {str(k) for k in defaults}
        # Each entry's own keys: those the defaults give any entry (e.g. every language's labels).
        siblings: dict[str, Any] = {}
        if isinstance(defaults, Mapping):
            for entry in defaults.values():
                if isinstance(entry, Mapping):
                    siblings = merge(siblings, entry)
        for key, element in value.items():
            if known is not None and str(key) not in known:
                yield UnknownKey((*path, str(key)), list(known))
                continue
            yield from _walk_value(element, node["value"], siblings or None, (*path, str(key)))


def env_names(field: str, schema: Mapping[str, Any] | None = None) -> list[str]:
    """The environment variables pydantic-settings reads a top-level field from: its aliases,
    else its own name, lower case (Settings is case-insensitive)."""
    names: dict[str, str] = (schema or shipped())["names"]
    aliases = [a for a, n in names.items() if n == field and a != field]
    return [a.lower() for a in aliases] or [field.lower()]


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` laid on `base`, table by table: tables merged recursively, any other value (a
    string, a number, a list) replaced whole, so a file that names one key changes only it."""
    merged = dict(base)
    for key, value in over.items():
        below = merged.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            merged[key] = merge(below, value)
        else:
            merged[key] = value
    return merged


__all__ = ["SHIPPED", "UnknownKey", "env_names", "merge", "shipped", "unknown_keys"]
