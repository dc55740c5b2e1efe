"""Fixtures for the catalogue tests (registered in tests/conftest.py).

- `make_record(i)` / `make_records(n)`: valid, varied records (every area, kind and phase;
  Catalan accents, multi-line text, contacts, documents), generated, never hard-coded results.
- `real_records(shared_dir)`: the shared real inventories (JRC local-government cases, Decidim
  installations, CONSUL users) turned into records, read at test time and never copied.
- `cli`: runs `digicanvis` in-process (typer's CliRunner) with stdout and stderr apart.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from bridge.catalogue.formats import dumps
from bridge.catalogue.mapping import as_record, derived, load_mapping, skip_reason
from bridge.models.enums import Area, DocumentKind, Kind, Phase

AREAS = [a.value for a in Area]
KINDS = [k.value for k in Kind]
PHASES = [p.value for p in Phase]

_TOWNS = [
    # name, INE code, region, population, latitude, longitude: enough variety for generated data
    ("Abrera", "08001", "ES-B", 12848, 41.5162579, 1.902237925),
    ("Girona", "17079", "ES-GI", 106476, 41.98311, 2.82493),
    ("Lleida", "25120", "ES-L", 143695, 41.61674, 0.62218),
    ("Tàrrega", "25217", "ES-L", 17824, 41.64704, 1.13957),
    ("L'Hospitalet de Llobregat", "08101", "ES-B", 274455, 41.35967, 2.10028),
    ("Reus", "43123", "ES-T", 110515, 41.15612, 1.10687),
]
_FOREIGN = [
    ("Gemeente Utrecht", "NL", None),
    ("Comune di Bologna", "IT", None),
    ("Ayuntamiento de Zaragoza", "ES", "ES-Z"),
    ("Ville de Lyon", "FR", None),
]


def make_record(i: int, **overrides: Any) -> dict[str, Any]:
    """A valid record, different for each i; `overrides` replace top-level fields."""
    if i % 3 == 2:
        name, country, region = _FOREIGN[i % len(_FOREIGN)]
        body: dict[str, Any] = {"name": name, "country": country}
        if region:
            body["region"] = region
    else:
        name, code, region, population, lat, lon = _TOWNS[i % len(_TOWNS)]
        body = {
            "name": name,
            "country": "ES",
            "region": region,
            "kind": "Ajuntament",
            "municipality_code": code,
            "population": population,
            "latitude": lat,
            "longitude": lon,
        }
    record: dict[str, Any] = {
        "ref": f"projecte-{i:05d}",
        "title": f"Projecte de transformació digital núm. {i}",
        "local_body": body,
        "description": f"Descripció del projecte {i}.\nSegona línia amb accents: àèéíòóúüç·l.",
        "area": AREAS[i % len(AREAS)],
        "kind": KINDS[i % len(KINDS)],
        "phase": PHASES[(i // 2) % len(PHASES)],
    }
    if i % 2 == 0:
        record["contacts"] = [
            {
                "name": f"Persona {i}",
                "role": "Cap de projecte",
                "email": f"persona{i}@exemple.cat",
                "forum_username": f"persona{i}",
                "public": True,
            },
            {"name": "Secretaria", "phone": "+34 900 000 000", "public": False},
        ]
        record["documents"] = [
            {
                "kind": "article",
                "title": f"Article {i}",
                "url": f"https://exemple.cat/projectes/{i}",
            }
        ]
        record["value"] = "Menys cues a l'oficina d'atenció."
        record["savings"] = "Hores de personal"
        record["savings_eur_per_year"] = 1000 * i + 0.5 if i % 4 == 0 else 1000 * i
        record["analysis"] = {
            "barriers": "Formació",
            "benefits": "Rapidesa",
            "technology": "Programari lliure",
        }
    if i % 7 == 0:
        record["proximity"] = "foreign" if body.get("region", "").startswith("ES-") else "km0"
    record.update(overrides)
    return record


def make_records(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [make_record(i) for i in range(start, start + n)]


def write_records_file(path: Path, records: list[dict[str, Any]]) -> Path:
    """Write records in the format of the path's extension (with the product's writer)."""
    kind = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".csv": "csv"}[path.suffix]
    path.write_text(dumps(records, kind), encoding="utf-8", newline="")
    return path


# --------------------------------------------------------------------------- the CLI


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def cli(bridge_env) -> Callable[..., Run]:
    """`cli("import", "a.json")` runs digicanvis against the test's catalogue (SQLite and
    PostgreSQL)."""
    from bridge.cli import app

    runner = CliRunner()

    def run(*args: str) -> Run:
        result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    return run


# --------------------------------------------------------------------------- real data


_PROVINCE_REGION = {"08": "ES-B", "17": "ES-GI", "25": "ES-L", "43": "ES-T"}
# GeoNames admin1 codes of a few Spanish communities (SOURCES.md §5 names 56, 29, 60, 59).
_ADMIN1_REGION = {"56": "ES-CT", "29": "ES-MD", "60": "ES-VC", "59": "ES-PV"}


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", ascii_text)).strip("-")


def _http(url: str) -> str | None:
    # Documents must be http(s) URLs (contract §4): a source's "n/a" or a bare domain is not one,
    # so such a row simply has no document. A URL goes in as the source writes it, surrounding
    # spaces included: the product strips them (schema._url).
    return url if re.match(r"^https?://[^\s/]+\S*$", url.strip()) else None


def _body(
    name: str, country: str, kind: str = "", region: str | None = None, lat: str = "", lon: str = ""
) -> dict[str, Any]:
    """A record's local body exactly as its source names it: line breaks, stray spaces and many
    spellings of one council included (issue 10: the product copes, the test does not clean)."""
    body: dict[str, Any] = {"name": name, "country": country}
    if kind.strip():
        body["kind"] = kind
    if region:
        body["region"] = region
    if lat.strip() and lon.strip():
        body["latitude"], body["longitude"] = float(lat), float(lon)
    return body


def real_records(shared: Path) -> list[dict[str, Any]]:
    """Records from the real inventories of ../shared/data (SOURCES.md files 9, 10 and 11), every
    value as its publisher gives it. Rows are left out only where the product rightly refuses
    them, each said below."""
    data = shared / "data"
    records: list[dict[str, Any]] = []
    refs: set[str] = set()

    def add(ref: str, record: dict[str, Any]) -> None:
        ref = ref[:64].strip("-")
        base, n = ref, 2
        while ref in refs:
            suffix = f"-{n}"
            ref, n = base[: 64 - len(suffix)] + suffix, n + 1
        refs.add(ref)
        records.append({"ref": ref, **record})

    # The JRC cases through the product's own shipped mapping (`import --map jrc`, which the
    # harvest reads too): the columns are mapped in one place.
    jrc = load_mapping("jrc")
    with open(data / "projects_jrc_ipsx_local_subset.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            made = derived(jrc, row)
            # Refused rightly: a record needs a country (ISO code), a body and a description.
            if skip_reason(jrc, row, made) or not {
                "local_body.country",
                "local_body.name",
                "description",
            } <= set(made.fields):
                continue
            record = as_record(jrc, made)
            add(record.pop("ref"), record)

    with open(data / "projects_decidim_installations.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            country = row["derived_country_code"]
            url = _http(row["url"])
            # Refused rightly: no country (no coordinates to derive it from); every record here
            # is its platform, so a row without a platform URL has nothing to show.
            if not country or not url:
                continue
            region = _ADMIN1_REGION.get(row["derived_admin1_code"]) if country == "ES" else None
            archived = "web.archive.org" in url
            name = row["title"]
            # Every council names its platform the same way: identical titles from different
            # councils.
            add(
                f"decidim-{_slug(row['slug'])}",
                {
                    "title": "Plataforma de participació ciutadana Decidim",
                    "local_body": _body(
                        name, country, row["type"], region, row["latitude"], row["longitude"]
                    ),
                    "description": (
                        f"{name.strip()} fa servir Decidim, la plataforma lliure de democràcia "
                        "participativa, per a pressupostos participatius, consultes i processos "
                        "oberts a la ciutadania."
                    ),
                    "area": "participation-open-government",
                    "kind": "service",
                    "phase": "implemented" if not archived else "pilot",
                    "documents": [{"kind": "demo", "title": name, "url": url}],
                },
            )

    with open(data / "projects_consul_organizations_2019.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            country, name = row["derived_country_code"], row["name"]
            if not country:  # refused rightly: no country
                continue
            region = _ADMIN1_REGION.get(row["derived_admin1_code"]) if country == "ES" else None
            record = {
                "title": "Portal de participación CONSUL",
                "local_body": _body(
                    name, country, row["level"], region, row["latitude"], row["longitude"]
                ),
                "description": f"{name.strip()} usa CONSUL Democracy (nivel {row['level'] or '?'}) "
                "para propuestas, debates y votaciones ciudadanas.",
                "area": "participation-open-government",
                "kind": "organisation" if row["status"] == "beta" else "service",
                "phase": "pilot" if row["status"] == "beta" else "implemented",
            }
            url = _http(row["consul_website"])
            if url:
                record["documents"] = [{"kind": "other", "title": "CONSUL", "url": url}]
            add(f"consul-{_slug(name)}", record)
    return records


@pytest.fixture(scope="session")
def real_world_records(shared_dir: Path) -> list[dict[str, Any]]:
    return real_records(shared_dir)


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


__all__ = ["DocumentKind", "make_record", "make_records", "real_records", "write_records_file"]
