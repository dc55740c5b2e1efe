"""A configuration file merged key by key over the built-in defaults, and its keys checked
against the settings model (issue 27 point 3).

- `merge`: tables merged recursively, any other value (a string, a number, a list) replaced
  whole, so a file that names one key changes only that key.
- `unknown_keys`: every key of the file that the model does not know, each with the nearest
  known one. The known keys are read from the model itself (`schema_of`: its fields and their
  aliases, the members of an enum that keys a table; the keys the defaults give a free-form
  table), so a section another part of the bridge adds to `Settings` is known without being
  listed here. The walk itself is `bridge.config_schema`'s, shared with the read commands that
  check the file without pydantic against the schema shipped from this one.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AliasChoices, BaseModel
from pydantic.fields import FieldInfo

from bridge import config_schema
from bridge.config_schema import UnknownKey, merge


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


def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """The model's known keys as `bridge.config_schema` walks them (its node format)."""
    names = field_names(model)
    return {
        "t": "model",
        "names": names,
        "fields": {name: _node(info.annotation) for name, info in model.model_fields.items()},
    }


def _node(annotation: Any) -> dict[str, Any]:
    annotation = _unwrapped(annotation)
    if _is_model(annotation):
        return schema_of(annotation)
    origin = get_origin(annotation)
    if origin is list:
        (item,) = get_args(annotation) or (Any,)
        return {"t": "list", "item": _node(item)}
    if origin is dict:
        key_type, value_type = get_args(annotation) or (Any, Any)
        key_type = _unwrapped(key_type)
        keys = (
            sorted(str(member.value) for member in key_type)
            if isinstance(key_type, type) and issubclass(key_type, Enum)
            else None
        )
        return {"t": "dict", "keys": keys, "value": _node(value_type)}
    return {"t": "leaf"}


def unknown_keys(
    data: Mapping[str, Any],
    model: type[BaseModel],
    defaults: Mapping[str, Any] | None = None,
    *,
    skip: frozenset[str] = frozenset(),
) -> list[UnknownKey]:
    """The keys of `data` (a file's tables) that `model` does not know. `defaults` (the built-in
    file) gives the known keys of free-form tables such as `[tags]` and `[labels.*]`."""
    return config_schema.unknown_keys(data, schema_of(model), defaults, skip=skip)


__all__ = ["UnknownKey", "canonical", "field_names", "merge", "schema_of", "unknown_keys"]
