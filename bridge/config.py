"""Where the configuration comes from, and what the catalogue's read commands need of it.

Environment variables > the TOML file > built-in defaults. The TOML file is `config/bridge.toml`
(relative to the working directory) or the file named by BRIDGE_CONFIG; when neither exists the
copy bundled in the package is used, so an installed `digicanvis` works from any directory.

`bridge.settings.Settings` validates the whole configuration with pydantic. `projects list`,
`projects show`, `export` and `status` need only the database, the home region and the forum's
URL (for topic links): `load_catalogue_settings` reads those three from the same sources, by the
same rules, without loading pydantic (which costs more than a whole listing: issue 15).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bridge.catalogue.regions import REGION_RE

DEFAULT_CONFIG_PATH = Path("config") / "bridge.toml"
_PACKAGE_DIR = Path(__file__).resolve().parent
# Wheel layout (force-included by pyproject) first, then the source checkout.
_BUNDLED_CONFIGS = (
    _PACKAGE_DIR / "_config" / "bridge.toml",
    _PACKAGE_DIR.parent / "config" / "bridge.toml",
)
DEFAULT_DATABASE_URL = "sqlite:///bridge.db"
DEFAULT_HOME_REGION = "ES-CT"
# The names a setting is read from, in order: an environment variable (any case), or a key of the
# TOML file (either name). `Settings` declares its fields with these same aliases.
ALIASES = {
    "database_url": ("BRIDGE_DATABASE_URL", "database_url"),
    "discourse_url": ("DISCOURSE_URL", "discourse_url"),
    "discourse_api_key": ("DISCOURSE_API_KEY", "discourse_api_key"),
    "discourse_api_username": ("DISCOURSE_API_USERNAME", "discourse_api_username"),
    "rate_limit_per_minute": ("BRIDGE_RATE_LIMIT_PER_MINUTE", "rate_limit_per_minute"),
    "home_region": ("BRIDGE_HOME_REGION", "home_region"),
    "webhook_secret": ("BRIDGE_WEBHOOK_SECRET", "webhook_secret"),
}
_FORUM_URL_RE = re.compile(r"^https?://[^/\s]+")


class ConfigError(Exception):
    """The configuration cannot be used. The message is meant for a person; it never holds a
    secret."""


def home_region(value: str) -> str:
    """The home region as stored: an ISO 3166-2 code, upper case, of a subdivision that exists
    (ISO 3166-2 as pycountry publishes it: `ES-ZZ` made every record silently foreign).
    ValueError otherwise."""
    value = value.strip().upper()
    if not REGION_RE.match(value):
        raise ValueError("must be an ISO 3166-2 code such as ES-CT")
    # The default needs no look-up (a test checks it exists): the read commands stay light.
    if value != DEFAULT_HOME_REGION:
        import pycountry

        if pycountry.subdivisions.get(code=value) is None:
            raise ValueError(f"{value} is not an ISO 3166-2 subdivision (e.g. ES-CT, ES-B)")
    return value


def forum_url(value: str | None) -> str | None:
    """The forum's base URL without a trailing slash; None when empty. ValueError otherwise."""
    if value is None or not value.strip():
        return None
    value = value.strip().rstrip("/")
    if not _FORUM_URL_RE.match(value):
        raise ValueError("must be an http(s) URL such as https://forum.example.cat")
    return value


def config_file(explicit: str | os.PathLike[str] | None) -> Path | None:
    named = explicit if explicit is not None else os.environ.get("BRIDGE_CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(
                f"configuration file {path} not found (named by BRIDGE_CONFIG or --config)"
            )
        return path
    if DEFAULT_CONFIG_PATH.is_file():
        return DEFAULT_CONFIG_PATH
    return bundled_file()


def bundled_file() -> Path | None:
    """The built-in defaults: the configuration file shipped in the package."""
    return next((p for p in _BUNDLED_CONFIGS if p.is_file()), None)


def is_bundled(path: Path | None) -> bool:
    """True when `path` is the built-in defaults' file itself (no file of the operator's)."""
    if path is None:
        return False
    resolved = path.resolve()
    return any(resolved == p.resolve() for p in _BUNDLED_CONFIGS if p.is_file())


def read_file(path: Path | None) -> dict[str, Any]:
    """The TOML file's content (with `config_path` naming it); {} when there is no file."""
    if path is None:
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    data["config_path"] = str(path)
    return data


def check_keys(path: Path, data: dict[str, Any]) -> None:
    """Refuse an operator's file with a key the configuration does not know, as `load_settings`
    does, against the schema shipped from the `Settings` model (no pydantic: bridge.config_schema).
    Raises ConfigError naming each unknown key and the nearest known one."""
    from bridge import config_schema

    own = {key: value for key, value in data.items() if key != "config_path"}
    defaults = read_file(bundled_file())
    defaults.pop("config_path", None)
    refuse_unknown(path, config_schema.unknown_keys(own, config_schema.shipped(), defaults))


def refuse_unknown(path: Path | None, unknown: Sequence[Any]) -> None:
    """Raise ConfigError naming each unknown key (`config_schema.UnknownKey`) of the file."""
    if unknown:
        problems = "; ".join(u.message() for u in unknown)
        raise ConfigError(f"invalid configuration ({path}): {problems}")


@dataclass(frozen=True, slots=True)
class CatalogueSettings:
    """What the catalogue's read commands need (the matching fields of `Settings`), and the
    secrets the configuration names, for `bridge.redact` to scrub from anything shown."""

    database_url: str
    home_region: str
    discourse_url: str | None
    secrets: tuple[str, ...] = field(default=(), repr=False)


def load_catalogue_settings(
    config_path: str | os.PathLike[str] | None = None,
) -> CatalogueSettings:
    """The database URL, home region and forum URL, from the sources and by the rules of
    `bridge.settings.load_settings`. Raises ConfigError with a readable message."""
    path = config_file(config_path)
    data = read_file(path)
    if path is not None and not is_bundled(path):
        check_keys(path, data)
    environment = {name.lower(): value for name, value in os.environ.items()}

    def given(field: str) -> tuple[str, Any] | None:
        for alias in ALIASES[field]:  # the environment wins over the file
            if alias.lower() in environment:
                return alias, environment[alias.lower()]
        for alias in ALIASES[field]:
            if alias in data:
                return alias, data[alias]
        return None

    def checked(field: str, rule: Any, default: Any) -> Any:
        found = given(field)
        if found is None:
            return default
        name, value = found
        try:
            if not isinstance(value, str):
                raise ValueError("must be a string")
            return rule(value)
        except ValueError as exc:
            raise ConfigError(
                f"invalid configuration ({path or 'defaults'}): {name}: Value error, {exc}"
            ) from None

    named = (given("discourse_api_key"), given("webhook_secret"))
    return CatalogueSettings(
        database_url=checked("database_url", lambda v: v, DEFAULT_DATABASE_URL),
        home_region=checked("home_region", home_region, DEFAULT_HOME_REGION),
        discourse_url=checked("discourse_url", forum_url, None),
        secrets=tuple(str(found[1]) for found in named if found is not None),
    )
