"""What `digicanvis config show` prints: every effective setting, where it came from (the
built-in defaults, the configuration file, the environment), secrets masked (issue 27 point 3)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel

from bridge.config_keys import field_names, schema_of
from bridge.config_schema import env_names
from bridge.settings import Layers, Settings

MASK = "********"
# Settings that are secrets (never shown) and URLs whose credentials are masked.
_SECRETS = frozenset({"discourse_api_key", "webhook_secret"})
_URLS = frozenset({"database_url", "discourse_url"})


class Source(StrEnum):
    default = "default"
    file = "file"
    environment = "environment"


@dataclass(frozen=True, slots=True)
class Shown:
    key: str  # dotted path, e.g. schedule.every, areas.citizen-care.color
    value: Any
    source: Source


def _env_names(name: str) -> list[str]:
    """The environment variables pydantic-settings reads a top-level field from."""
    return env_names(name, schema_of(Settings))


def masked_url(value: str | None) -> str | None:
    """A URL with its password (and any user name) replaced by the mask."""
    if not value:
        return value
    try:
        parts = urlsplit(value)
    except ValueError:
        return MASK
    if parts.password is None and parts.username is None:
        return value
    host = parts.hostname or ""
    netloc = f"{MASK}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def effective_values(settings: Settings, layers: Layers, environ: Mapping[str, str]) -> list[Shown]:
    """Every leaf of the effective configuration, in the model's order."""
    environment = {name.lower() for name in environ}
    dumped = settings.model_dump(mode="json", exclude={"config_path"})
    shown: list[Shown] = []
    own_by_field = _by_field(layers.own, Settings)
    for name, value in dumped.items():
        if any(env in environment for env in _env_names(name)):
            origin_top: Source | None = Source.environment
        else:
            origin_top = None
        if name in _SECRETS:
            shown.append(
                Shown(
                    name, None if value is None else MASK, origin_top or _source(own_by_field, name)
                )
            )
            continue
        if name in _URLS:
            value = masked_url(value)
        for path, leaf, in_file in _leaves(value, own_by_field.get(name), _model_of(name), (name,)):
            source = origin_top or (Source.file if in_file else Source.default)
            shown.append(Shown(".".join(path), leaf, source))
    return shown


def _source(own: Mapping[str, Any], name: str) -> Source:
    return Source.file if name in own else Source.default


def _model_of(name: str) -> type[BaseModel] | None:
    annotation = Settings.model_fields[name].annotation
    return (
        annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    )


def _by_field(own: Mapping[str, Any] | None, model: type[BaseModel] | None) -> dict[str, Any]:
    """A file's table with its keys as the model's field names (aliases such as `interval` or
    `BRIDGE_HOME_REGION` translated)."""
    if not isinstance(own, Mapping):
        return {}
    if model is None:
        return dict(own)
    names = field_names(model)
    return {names.get(key, key): value for key, value in own.items()}


def _leaves(
    value: Any, own: Any, model: type[BaseModel] | None, path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], Any, bool]]:
    if isinstance(value, dict) and value:
        own_table = _by_field(own, model) if isinstance(own, Mapping) else {}
        for key, inner in value.items():
            inner_model = None
            if model is not None and key in model.model_fields:
                annotation = model.model_fields[key].annotation
                if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                    inner_model = annotation
            yield from _leaves(inner, own_table.get(key), inner_model, (*path, str(key)))
        return
    yield path, value, own is not None


__all__ = ["MASK", "Shown", "Source", "effective_values", "masked_url"]
