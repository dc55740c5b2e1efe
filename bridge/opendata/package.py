"""datapackage.json: the Frictionless (Tabular) Data Package descriptor, v1 of the specification.

Every resource carries its byte size and sha256, so a reader can check that what it downloaded is
what was published, and the descriptor changes whenever any table does. Nothing in it depends on
the time of writing: the same catalogue gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bridge.opendata.config import OpenDataConfig
from bridge.opendata.dictionary import TABLES
from bridge.opendata.geojson import DESCRIPTION as GEOJSON_DESCRIPTION
from bridge.opendata.geojson import GEOJSON, MEDIA_TYPE

DATAPACKAGE = "datapackage.json"
CATALOG = "catalog.jsonld"


@dataclass(frozen=True)
class Publisher:
    """What both descriptors say about who publishes, resolved from the configuration."""

    config: OpenDataConfig
    homepage: str

    @classmethod
    def from_config(cls, config: OpenDataConfig, discourse_url: str | None) -> Publisher:
        return cls(config, config.homepage or discourse_url or config.base_url)

    def url(self, filename: str) -> str:
        return f"{self.config.base_url}/{filename}"

    def text(self, texts: Mapping[str, str], language: str) -> str:
        return texts.get(language) or texts.get("en") or next(iter(texts.values()), "")


def json_bytes(document: Any) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def datapackage(publisher: Publisher, tables: Mapping[str, bytes]) -> dict[str, Any]:
    """The descriptor of the CSV files in `tables` (file name -> bytes)."""
    cfg = publisher.config
    document: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": cfg.name,
        "id": publisher.url(DATAPACKAGE),
        "title": publisher.text(cfg.title, "en"),
        "description": publisher.text(cfg.description, "en"),
    }
    for language in ("ca", "es"):
        document[f"title_{language}"] = publisher.text(cfg.title, language)
        document[f"description_{language}"] = publisher.text(cfg.description, language)
    document |= {
        "homepage": publisher.homepage,
        "keywords": [word for words in cfg.keywords.values() for word in words],
        "licenses": [{"name": cfg.licence.id, "path": cfg.licence.url, "title": cfg.licence.title}],
        "sources": [
            {"title": source.title} | ({"path": source.url} if source.url else {})
            for source in cfg.sources
        ],
        "contributors": [
            {"title": cfg.publisher, "role": "publisher"}
            | ({"path": cfg.publisher_url} if cfg.publisher_url else {})
        ],
        "resources": [
            {
                "name": table.name,
                "path": table.path,
                "profile": "tabular-data-resource",
                "title": table.name,
                "description": table.en,
                "description_ca": table.ca,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "bytes": len(tables[table.path]),
                "hash": f"sha256:{sha256(tables[table.path])}",
                "schema": table.schema(),
            }
            for table in TABLES
        ],
    }
    if GEOJSON in tables:
        # Issue 24: not a table, so the package is a plain Data Package (its CSV resources
        # keep their tabular-data-resource profile and schemas).
        document["profile"] = "data-package"
        document["resources"].append(
            {
                "name": "projects-geojson",
                "path": GEOJSON,
                "profile": "data-resource",
                "title": "projects-geojson",
                "description": GEOJSON_DESCRIPTION["en"],
                "description_ca": GEOJSON_DESCRIPTION["ca"],
                "format": "geojson",
                "mediatype": MEDIA_TYPE,
                "encoding": "utf-8",
                "bytes": len(tables[GEOJSON]),
                "hash": f"sha256:{sha256(tables[GEOJSON])}",
            }
        )
    return document
