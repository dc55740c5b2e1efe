"""Configuration: environment variables > the TOML file > built-in defaults, validated whole.

Where it comes from (and the few values the read commands take without pydantic) is
`bridge.config`; this module is what every command that works with the forum loads.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bridge import config, redact
from bridge.config import ALIASES, DEFAULT_CONFIG_PATH, ConfigError, header_value_problem
from bridge.config_keys import canonical, merge, unknown_keys
from bridge.harvest.config import HarvestSourceConfig
from bridge.models.enums import (
    Area,
    DocumentKind,
    DriftPolicy,
    Kind,
    Phase,
    Proximity,
    RequestKind,
)
from bridge.opendata.config import OpenDataConfig

LANGUAGES = ("ca", "es", "en")
MAX_RATE_LIMIT_PER_MINUTE = 6000


class AreaConfig(BaseModel):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=50)
    color: str = Field(default="0088CC", pattern=r"^[0-9A-Fa-f]{6}$")
    text_color: str = Field(default="FFFFFF", pattern=r"^[0-9A-Fa-f]{6}$")
    name: dict[str, str]
    description: dict[str, str] = {}
    parent: str | None = None  # slug of a parent category, overriding [sync].parent_category

    @field_validator("name")
    @classmethod
    def _names_fit(cls, names: dict[str, str]) -> dict[str, str]:
        for lang, name in names.items():
            if not 1 <= len(name) <= 50:
                raise ValueError(f"category name for {lang!r} must be 1 to 50 characters")
        return names

    def label(self, language: str) -> str:
        return self.name.get(language) or self.name.get("en") or next(iter(self.name.values()))

    def describe(self, language: str) -> str:
        return self.description.get(language) or self.description.get("en", "")


class ChallengesConfig(AreaConfig):
    """`[challenges]`: the category where practitioners pose challenges the bridge answers."""

    slug: str = Field(default="reptes", pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=50)
    color: str = Field(default="BF1E2E", pattern=r"^[0-9A-Fa-f]{6}$")
    name: dict[str, str] = {"ca": "Reptes", "es": "Retos", "en": "Challenges"}
    description: dict[str, str] = {
        "ca": "Planteja un repte: l'observatori respon amb els projectes que hi encaixen.",
        "es": "Plantea un reto: el observatorio responde con los proyectos que encajan.",
        "en": "Pose a challenge: the observatory answers with the projects that fit it.",
    }
    # How many catalogue projects one answer lists at most.
    max_matches: int = Field(default=5, ge=1, le=10)


class ConnectionsConfig(AreaConfig):
    """`[connections]` (issue 22): the category where practitioners ask to contact, visit or
    collaborate with a project's council; the bridge invites the project's contacts."""

    enabled: bool = True
    slug: str = Field(default="contactes", pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=50)
    color: str = Field(default="0E7C61", pattern=r"^[0-9A-Fa-f]{6}$")
    name: dict[str, str] = {
        "ca": "Contactes i visites",
        "es": "Contactos y visitas",
        "en": "Contacts and visits",
    }
    description: dict[str, str] = {
        "ca": "Demana contactar, visitar o col·laborar amb l'ens d'un projecte del catàleg.",
        "es": "Pide contactar, visitar o colaborar con el ente de un proyecto del catálogo.",
        "en": "Ask to contact, visit or collaborate with the council of a catalogue project.",
    }
    # The tag of each kind of request (bridge.models.enums.RequestKind); untagged, the kind is
    # read from the words (bridge.connections.rules.kind_of).
    tags: dict[RequestKind, str] = Field(
        default_factory=lambda: {
            RequestKind.contact: "contacte",
            RequestKind.visit: "visita",
            RequestKind.collaboration: "col-laboracio",
        }
    )
    # The tag a participant puts on the topic when a visit or a collaboration is agreed.
    agreed_tags: dict[RequestKind, str] = Field(
        default_factory=lambda: {
            RequestKind.visit: "visita-acordada",
            RequestKind.collaboration: "col-laboracio-acordada",
        }
    )
    # Days without an answer before a request is stale and reminded (once).
    stale_days: int = Field(default=10, ge=1, le=365)
    # Invites sent for one project in any 24 hours at most: a flood of requests waits.
    max_invites_per_project_per_day: int = Field(default=10, ge=1, le=1000)

    @field_validator("tags", "agreed_tags")
    @classmethod
    def _clean_tags(cls, tags: dict[RequestKind, str]) -> dict[RequestKind, str]:
        for kind, tag in tags.items():
            if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,99}", tag):
                raise ValueError(f"tag for {kind.value!r} must be lowercase letters, digits, -")
        return tags


class ObservatoryConfig(AreaConfig):
    """The category of the overview topic (issue 11), configured like an area's category, and
    the switch of the whole observatory in the forum (similar sections, index and overview)."""

    enabled: bool = True
    slug: str = Field(default="observatori", pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=50)
    color: str = Field(default="231F20", pattern=r"^[0-9A-Fa-f]{6}$")
    name: dict[str, str] = {"ca": "Observatori", "es": "Observatorio", "en": "Observatory"}


class SyncConfig(BaseModel):
    drift_policy: DriftPolicy = DriftPolicy.catalogue_wins
    external_id_prefix: str = Field(default="dc", pattern=r"^[A-Za-z0-9_-]{1,10}$")
    parent_category: str | None = None


class ScheduleConfig(BaseModel):
    # `interval` is the word the operators wrote; both are read, `every` is shown.
    every: str = Field(default="15m", validation_alias=AliasChoices("every", "interval"))

    @field_validator("every")
    @classmethod
    def _duration(cls, value: str) -> str:
        """Refused here, so every command that reads the file refuses it (exit 2), not the
        scheduler at its first run."""
        from bridge.loop.durations import parse_duration

        parse_duration(value)
        return value


class WebhookConfig(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8090, ge=0, le=65535)
    max_body_bytes: int = Field(default=1_048_576, gt=0)


_DEFAULT_TAGS = (
    {p.value: p.value for p in Proximity}
    | {p.value: p.value for p in Phase}
    | {k.value: k.value for k in Kind}
)


class Settings(BaseSettings):
    """All configuration. Build it with `load_settings()`, not directly."""

    model_config = SettingsConfigDict(extra="forbid", case_sensitive=False, populate_by_name=True)

    database_url: str = Field(
        default=config.DEFAULT_DATABASE_URL,
        validation_alias=AliasChoices(*ALIASES["database_url"]),
    )
    discourse_url: str | None = Field(
        default=None, validation_alias=AliasChoices(*ALIASES["discourse_url"])
    )
    discourse_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices(*ALIASES["discourse_api_key"])
    )
    discourse_api_username: str = Field(
        default="system",
        validation_alias=AliasChoices(*ALIASES["discourse_api_username"]),
    )
    rate_limit_per_minute: int = Field(
        default=60,
        ge=0,
        # 6,000 a minute is 100 requests a second: a hundred times Discourse's default ceiling
        # for admin API keys (config/discourse_defaults.conf max_admin_api_reqs_per_minute = 60)
        # and more than one client making one request at a time can send; anything above is a
        # typo, not a rate (issue 28 point 8). 0 still means "no limit".
        le=MAX_RATE_LIMIT_PER_MINUTE,
        validation_alias=AliasChoices(*ALIASES["rate_limit_per_minute"]),
        description="ceiling on requests to the forum in any 60 s sliding window; 0 means no limit",
    )
    home_region: str = Field(
        default=config.DEFAULT_HOME_REGION, validation_alias=AliasChoices(*ALIASES["home_region"])
    )
    webhook_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices(*ALIASES["webhook_secret"])
    )
    language: Literal["ca", "es", "en"] = "ca"
    sync: SyncConfig = SyncConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    webhook: WebhookConfig = WebhookConfig()
    observatory: ObservatoryConfig = ObservatoryConfig()
    opendata: OpenDataConfig = OpenDataConfig()
    # `[[harvest]]`: the sources `harvest` and `schedule` read (issue 23).
    harvest: list[HarvestSourceConfig] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=lambda: dict(_DEFAULT_TAGS))
    areas: dict[Area, AreaConfig] = Field(default_factory=dict)
    challenges: ChallengesConfig = ChallengesConfig()
    connections: ConnectionsConfig = ConnectionsConfig()
    labels: dict[str, dict[str, str]] = Field(default_factory=dict)
    config_path: str | None = Field(default=None, exclude=True)
    # (config.sources_digest, rendered_values()) when `load_settings` read these from its sources
    # alone: see `sources`.
    _sources: tuple[str, str] | None = PrivateAttr(default=None)

    @field_validator("home_region")
    @classmethod
    def _region(cls, value: str) -> str:
        return config.home_region(value)

    @field_validator("discourse_api_key", "webhook_secret", mode="before")
    @classmethod
    def _secret(cls, value: Any, info: ValidationInfo) -> Any:
        """Env files and secret stores add surrounding whitespace and line breaks: strip them.
        A secret that is only whitespace is a mistake, not "unset". The API key travels in a
        header, so it must be a valid header value. Messages never quote the value."""
        plain = value.get_secret_value() if isinstance(value, SecretStr) else value
        return config.secret(plain, header=info.field_name == "discourse_api_key")

    @field_validator("discourse_api_username")
    @classmethod
    def _api_username(cls, value: str) -> str:
        """Sent in the Api-Username header: a line break there would split the request."""
        value = value.strip()
        problem = header_value_problem(value) if value else "it is empty"
        if problem:
            raise ValueError(f"is not a valid HTTP header value: {problem}")
        return value

    @field_validator("discourse_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return config.forum_url(value)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        merged = dict(_DEFAULT_TAGS)
        unknown = sorted(set(value) - set(merged))
        if unknown:
            raise ValueError(f"unknown tag keys {unknown}; valid keys: {sorted(merged)}")
        merged.update(value)
        return merged

    @field_validator("areas")
    @classmethod
    def _all_areas(cls, value: dict[Area, AreaConfig]) -> dict[Area, AreaConfig]:
        if value:
            missing = [a.value for a in Area if a not in value]
            if missing:
                raise ValueError(f"missing areas {missing}: the file must configure all six")
            slugs = [cfg.slug for cfg in value.values()]
            if len(set(slugs)) != len(slugs):
                raise ValueError("two areas share one category slug")
        return value

    @model_validator(mode="after")
    def _challenges_slug_is_its_own(self) -> Settings:
        if any(cfg.slug == self.challenges.slug for cfg in self.areas.values()):
            raise ValueError(
                f"[challenges] slug {self.challenges.slug!r} is also an area's category slug"
            )
        taken = {cfg.slug for cfg in self.areas.values()} | {self.challenges.slug}
        if self.connections.slug in taken:
            raise ValueError(
                f"[connections] slug {self.connections.slug!r} is another category's slug"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # init kwargs carry the TOML file's content (see load_settings); the environment wins over
        # it.
        return (env_settings, init_settings)

    # -- conveniences used across the package -------------------------------------------------

    def rendered_values(self) -> str:
        """Every value but the secrets and the database URL (config.NOT_RENDERED), as one JSON
        text: what the settings give a topic (bridge.sync.revision hashes it)."""
        values = self.model_dump(mode="json", exclude=set(config.NOT_RENDERED))
        return json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)

    def sources(self) -> str | None:
        """The digest of what `load_settings` read these settings from (config.sources_digest),
        while their values are still the ones it read; None for settings made or changed in
        code (`model_copy(update=…)`, an assignment): those say nothing about the sources."""
        if self._sources is None:
            return None
        digest, values = self._sources
        return digest if values == self.rendered_values() else None

    def label(self, key: str) -> str:
        """A word of the forum's language, falling back to English, then to the key itself."""
        return (
            self.labels.get(self.language, {}).get(key) or self.labels.get("en", {}).get(key) or key
        )

    def tag_for(self, value: Proximity | Phase | Kind | str) -> str:
        return self.tags[value.value if hasattr(value, "value") else value]

    def area(self, area: Area | str) -> AreaConfig:
        return self.areas[Area(area)]

    @cached_property
    def forum_configured(self) -> bool:
        return bool(self.discourse_url and self.discourse_api_key)

    def require_forum(self) -> None:
        """Refuse clearly when the forum is not configured (contract §2)."""
        missing = [
            name
            for name, v in (
                ("DISCOURSE_URL", self.discourse_url),
                ("DISCOURSE_API_KEY", self.discourse_api_key),
            )
            if not v
        ]
        if missing:
            raise ConfigError(
                f"{' and '.join(missing)} not set: this command talks to the forum and needs them"
            )


@dataclass(frozen=True)
class Layers:
    """Where the configuration comes from: the file in use (None: none), the built-in defaults'
    tables and the operator's file's own tables ({} when the file in use is the defaults')."""

    path: Path | None
    defaults: dict[str, Any]
    own: dict[str, Any]


def read_layers(config_path: str | os.PathLike[str] | None = None) -> Layers:
    """The defaults and the operator's file, the file's keys checked against the model.
    Raises ConfigError naming each unknown key and the nearest known one."""
    path = config.config_file(config_path)
    defaults = config.read_file(config.bundled_file())
    defaults.pop("config_path", None)
    own = {} if path is None or config.is_bundled(path) else config.read_file(path)
    own.pop("config_path", None)
    config.refuse_unknown(path, unknown_keys(own, Settings, defaults))
    return Layers(path, canonical(defaults, Settings), canonical(own, Settings))


def load_settings(config_path: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Read the configuration: the operator's file merged key by key over the built-in defaults
    (bridge.config_keys), the environment over both. Raises ConfigError with a readable message
    (never with a secret)."""
    layers = read_layers(config_path)
    path = layers.path
    data = merge(layers.defaults, layers.own)
    if path is not None:
        data["config_path"] = str(path)
    data.update(overrides)
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'config'}: {err['msg']}"
            for err in exc.errors(include_input=False)
        )
        raise ConfigError(f"invalid configuration ({path or 'defaults'}): {problems}") from None
    if not overrides:
        settings._sources = (config.sources_digest(config_path), settings.rendered_values())
    # Every message that leaves the process is scrubbed of these (bridge.redact).
    redact.register(settings.discourse_api_key, settings.webhook_secret)
    redact.register_url(settings.discourse_url)
    redact.register_url(settings.database_url)
    return settings


__all__ = [
    "DEFAULT_CONFIG_PATH",
    "LANGUAGES",
    "AreaConfig",
    "ChallengesConfig",
    "ConfigError",
    "DocumentKind",
    "Settings",
    "header_value_problem",
    "load_settings",
]
