"""From the catalogue to DIR: read the public records, build every file (pure), write them
atomically."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.engine import Engine

from bridge.opendata.config import OpenDataConfig
from bridge.opendata.dcat import Distribution, catalog, coverage
from bridge.opendata.dictionary import TABLES
from bridge.opendata.geojson import DESCRIPTION as GEOJSON_DESCRIPTION
from bridge.opendata.geojson import GEOJSON, MEDIA_TYPE, feature_collection
from bridge.opendata.package import CATALOG, DATAPACKAGE, Publisher, datapackage, json_bytes
from bridge.opendata.tables import csv_bytes, public_records, public_tables
from bridge.opendata.writer import write_directory

FRICTIONLESS_SPEC = "https://specs.frictionlessdata.io/tabular-data-package/"
# Everything DIR holds.
FILE_NAMES = (*(table.path for table in TABLES), GEOJSON, DATAPACKAGE, CATALOG)
GEOJSON_SPEC = "https://www.rfc-editor.org/rfc/rfc7946"


@dataclass(frozen=True)
class Package:
    files: dict[str, bytes]  # file name -> bytes, everything DIR will hold
    projects: int
    documents: int
    contacts: int
    modified: datetime | None


@dataclass(frozen=True)
class Published:
    directory: Path
    changed: bool  # False: DIR already held these very bytes, nothing was written
    package: Package

    def summary(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "changed": self.changed,
            "projects": self.package.projects,
            "documents": self.package.documents,
            "contacts": self.package.contacts,
            "modified": self.package.modified.isoformat() if self.package.modified else None,
            "files": sorted(self.package.files),
        }


def build(
    records: Iterable[Mapping[str, Any]],
    modified: Mapping[str, datetime],
    config: OpenDataConfig,
    discourse_url: str | None,
    requests: Mapping[str, Any] | None = None,
) -> Package:
    """Every file of the package, from records as `projects list --json` prints them and each
    public record's latest change. The same input gives the same bytes."""
    records = public_records(records, modified)
    tables = public_tables(records, modified, discourse_url, requests)
    files = {table.path: csv_bytes(table, tables.rows(table)) for table in TABLES}
    # Issue 24: the projects on a map, for GIS tools.
    files[GEOJSON] = json_bytes(feature_collection(records, modified, discourse_url))
    publisher = Publisher.from_config(config, discourse_url)
    files[DATAPACKAGE] = json_bytes(datapackage(publisher, files))
    distributions = [
        Distribution(table.path, table.path, table.en, "text/csv", "CSV", len(files[table.path]))
        for table in TABLES
    ]
    distributions.append(
        Distribution(
            GEOJSON,
            GEOJSON,
            GEOJSON_DESCRIPTION["en"],
            MEDIA_TYPE,
            "GEOJSON",
            len(files[GEOJSON]),
            conforms_to=GEOJSON_SPEC,
        )
    )
    distributions.append(
        Distribution(
            DATAPACKAGE,
            DATAPACKAGE,
            "Frictionless Data Package descriptor: the data dictionary, licence and sources.",
            "application/json",
            "JSON",
            len(files[DATAPACKAGE]),
            conforms_to=FRICTIONLESS_SPEC,
        )
    )
    latest = max((modified[r["ref"]] for r in records), default=None)
    # Harvested records re-published here name their sources (issue 23).
    # (Web addresses only: a source harvested from a local path has no IRI to give.)
    sources = sorted(
        {
            r["provenance"]["source"]
            for r in records
            if r.get("provenance") and r["provenance"]["source"].startswith(("http://", "https://"))
        }
    )
    files[CATALOG] = json_bytes(
        catalog(publisher, distributions, coverage(records), latest, sources)
    )
    return Package(
        files=files,
        projects=len(tables.projects),
        documents=len(tables.documents),
        contacts=len(tables.contacts),
        modified=latest,
    )


def public_url(url: str | None) -> str | None:
    """The URL without credentials: a DISCOURSE_URL may carry some, the open data never does."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def publish(
    engine: Engine,
    directory: Path,
    config: OpenDataConfig,
    *,
    home_region: str,
    discourse_url: str | None,
) -> Published:
    """Write the public catalogue into `directory`, atomically; nothing is written when it already
    holds the same bytes. Raises writer.TargetRefused when `directory` holds other things."""
    # Imported here: the listing's module is large and the scheduler imports this one.
    from bridge.catalogue.read_store import list_records
    from bridge.opendata.store import public_modified

    discourse_url = public_url(discourse_url)
    records = list_records(engine, home_region, discourse_url)
    from bridge.connections.read_store import counted
    from bridge.connections.rules import stats_by_ref
    from bridge.dbapi import rows_of

    with rows_of(engine) as found:
        requests = stats_by_ref(counted(found))  # issue 22: aggregates, never who asked
    package = build(records, public_modified(engine), config, discourse_url, requests)
    changed = write_directory(directory, package.files)
    return Published(Path(directory), changed, package)


def check_target(directory: Path) -> None:
    """Raise `TargetRefused` when DIR may not be replaced by the package (`schedule
    --opendata` asks before its first run)."""
    from bridge.opendata.writer import check_replaceable

    check_replaceable(directory, FILE_NAMES)
