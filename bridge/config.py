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


def header_value_problem(value: str) -> str | None:
    """Why `value` cannot be sent as an HTTP header value, or None. RFC 9110 §5.5: visible
    characters, spaces and tabs inside, no line break or other control character; http.client
    encodes header values as Latin-1, so a character outside it cannot be sent at all. The
    answer names the position, never the character (it is part of a secret)."""
    if value != value.strip(" \t"):
        return "it starts or ends with whitespace"
    for position, char in enumerate(value, start=1):
        code = ord(char)
        if code > 0xFF:
            return f"character {position} is outside Latin-1"
        if (code < 0x20 and char != "\t") or 0x7F <= code <= 0x9F:
            return f"character {position} is a line break or another control character"
    return None


def secret(plain: Any, *, header: bool) -> str | None:
    """A secret as given (the API key when `header`): stripped (env files and secret stores add
    whitespace and line breaks), None when empty. ValueError when it is only whitespace (a
    mistake, not "unset"), not text, or, for the key, not a valid HTTP header value. Messages
    never quote the value."""
    if plain is None:
        return None
    if not isinstance(plain, str):
        raise ValueError("must be text")
    if not plain:
        return None
    stripped = plain.strip()
    if not stripped:
        raise ValueError("is only whitespace; set the secret itself or leave it unset")
    if header:
        problem = header_value_problem(stripped)
        if problem:
            raise ValueError(f"is not a valid HTTP header value: {problem}")
    return stripped


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
    # Both secrets as `Settings` would take them (`secret`), and the API key set: what a no-op
    # sync checks without pydantic (bridge.sync.noop); anything else, it leaves to Settings.
    forum_key_usable: bool = False


def _given(field: str, environment: dict[str, str], data: dict[str, Any]) -> tuple[str, Any] | None:
    """(name, value) of a top-level setting as `Settings` reads it: the environment wins over
    the file."""
    for alias in ALIASES[field]:
        if alias.lower() in environment:
            return alias, environment[alias.lower()]
    for alias in ALIASES[field]:
        if alias in data:
            return alias, data[alias]
    return None


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

    def checked(field: str, rule: Any, default: Any) -> Any:
        found = _given(field, environment, data)
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

    key, webhook = (_given(f, environment, data) for f in ("discourse_api_key", "webhook_secret"))
    try:
        usable = secret(key and key[1], header=True) is not None
        secret(webhook and webhook[1], header=False)
    except ValueError:
        usable = False
    return CatalogueSettings(
        database_url=checked("database_url", lambda v: v, DEFAULT_DATABASE_URL),
        home_region=checked("home_region", home_region, DEFAULT_HOME_REGION),
        discourse_url=checked("discourse_url", forum_url, None),
        secrets=tuple(str(found[1]) for found in (key, webhook) if found is not None),
        forum_key_usable=usable,
    )


# Settings that never change what a topic shows, and are never hashed into a column an
# administrator can read: the secrets, and the database URL (it may hold a password).
NOT_RENDERED = ("discourse_api_key", "webhook_secret", "database_url")


def sources_digest(config_path: str | os.PathLike[str] | None = None) -> str:
    """What `load_settings` reads the whole configuration from, as one hash: the bridge's
    version, the built-in defaults' tables and the operator's file's, and the environment
    variables `Settings` reads, without the secrets and the database URL. `Settings` is a
    function of these, so equal digests mean equal settings: a no-op sync decides on it without
    loading pydantic (issue 20, bridge.sync.revision)."""
    import hashlib
    import json

    from bridge import __version__, config_schema

    path = config_file(config_path)
    hidden = {alias for name in NOT_RENDERED for alias in ALIASES[name]}
    tables = []
    for source in (bundled_file(), None if path is None or is_bundled(path) else path):
        data = read_file(source)
        tables.append({k: v for k, v in data.items() if k not in hidden and k != "config_path"})
    environment = {name.lower(): value for name, value in os.environ.items()}
    read = {
        name: environment[name]
        for field_name in config_schema.shipped()["fields"]
        if field_name not in NOT_RENDERED
        for name in config_schema.env_names(field_name)
        if name in environment
    }
    text = json.dumps([__version__, tables, read], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
