"""A configuration file merged key by key over the built-in defaults, and its keys checked
against the settings model (issue 27 point 3).

- `merge`: tables merged recursively, any other value (a string, a number, a list) replaced
  whole, so a file that names one key changes only that key.
- `unknown_keys`: every key of the file that the model does not know, each with the nearest
  known one. The known keys are read from the model itself (its fields and their aliases, the
  members of an enum that keys a table, the keys the defaults give a free-form table), so a
  section another part of the bridge adds to `Settings` is known without being listed here.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterator, Mapping
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AliasChoices, BaseModel
from pydantic.fields import FieldInfo

# Fields of the model that no file sets (the loader fills them in).
_INTERNAL = frozenset({"config_path"})


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` laid on `base`, table by table."""
    merged = dict(base)
    for key, value in over.items():
        below = merged.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            merged[key] = merge(below, value)
        else:
            merged[key] = value
    return merged


def field_names(model: type[BaseModel]) -> dict[str, str]:
    """Every name a field of `model` is read from (its own and its aliases) → its name."""
    names: dict[str, str] = {}
    for name, info in model.model_fields.items():
        names[name] = name
        for alias in _aliases(info):
            names.setdefault(alias, name)
    return names


def _aliases(info: FieldInfo) -> list[str]:
    found: list[str] = []
    if info.alias:
        found.append(info.alias)
    alias = info.validation_alias
    if isinstance(alias, str):
        found.append(alias)
    elif isinstance(alias, AliasChoices):
        found.extend(choice for choice in alias.choices if isinstance(choice, str))
    return found


def _unwrapped(annotation: Any) -> Any:
    """`X | None`, `Optional[X]` and `Annotated[X, …]` as X (the first non-None member)."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            annotation = members[0] if len(members) == 1 else annotation
            if len(members) != 1:
                return annotation
        else:
            return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def canonical(data: Mapping[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    """`data` with every alias written as its field's own name, at every level the model
    describes (`[schedule] interval` → `every`), so that merging over the defaults replaces the
    default's value instead of sitting beside it."""
    names = field_names(model)
    result: dict[str, Any] = {}
    for key, value in data.items():
        name = names.get(key, key)
        if name in model.model_fields:
            value = _canonical_value(value, model.model_fields[name].annotation)
        result[name] = value
    return result


def _canonical_value(value: Any, annotation: Any) -> Any:
    annotation = _unwrapped(annotation)
    if _is_model(annotation) and isinstance(value, Mapping):
        return canonical(value, annotation)
    origin = get_origin(annotation)
    if origin is dict and isinstance(value, Mapping):
        args = get_args(annotation)
        inner = args[1] if len(args) == 2 else Any
        return {key: _canonical_value(element, inner) for key, element in value.items()}
    if origin is list and isinstance(value, list):
        args = get_args(annotation)
        inner = args[0] if args else Any
        return [_canonical_value(element, inner) for element in value]
    return value


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


def unknown_keys(
    data: Mapping[str, Any],
    model: type[BaseModel],
    defaults: Mapping[str, Any] | None = None,
    *,
    skip: frozenset[str] = frozenset(),
) -> list[UnknownKey]:
    """The keys of `data` (a file's tables) that `model` does not know. `defaults` (the built-in
    file) gives the known keys of free-form tables such as `[tags]` and `[labels.*]`."""
    return list(_walk_model(data, model, defaults or {}, (), skip))


def _walk_model(
    data: Mapping[str, Any],
    model: type[BaseModel],
    defaults: Mapping[str, Any],
    path: tuple[str, ...],
    skip: frozenset[str] = frozenset(),
) -> Iterator[UnknownKey]:
    names = field_names(model)
    for key, value in data.items():
        if key in skip:
            continue
        name = names.get(key)
        if name is None or name in _INTERNAL:
            known = [n for n in names if n == names[n] and n not in _INTERNAL] + _short(names)
            yield UnknownKey((*path, key), known)
            continue
        below = defaults.get(key, defaults.get(name)) if isinstance(defaults, Mapping) else None
        yield from _walk_value(value, model.model_fields[name].annotation, below, (*path, key))


def _short(names: dict[str, str]) -> list[str]:
    """Aliases a person writes in a file (lower case), besides the fields' own names."""
    return [alias for alias, name in names.items() if alias != name and alias.islower()]


def _walk_value(
    value: Any, annotation: Any, defaults: Any, path: tuple[str, ...]
) -> Iterator[UnknownKey]:
    annotation = _unwrapped(annotation)
    if _is_model(annotation):
        if isinstance(value, Mapping):
            yield from _walk_model(value, annotation, defaults or {}, path)
        return
    origin = get_origin(annotation)
    if origin is list and isinstance(value, list):
        (item,) = get_args(annotation) or (Any,)
        for index, element in enumerate(value):
            yield from _walk_value(element, item, None, (*path[:-1], f"{path[-1]}[{index}]"))
        return
    if origin is dict and isinstance(value, Mapping):
        key_type, value_type = get_args(annotation) or (Any, Any)
        key_type = _unwrapped(key_type)
        known: set[str] | None = None
        if isinstance(key_type, type) and issubclass(key_type, Enum):
            known = {str(member.value) for member in key_type}
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
            yield from _walk_value(element, value_type, siblings or None, (*path, str(key)))


__all__ = ["UnknownKey", "canonical", "field_names", "merge", "unknown_keys"]
