"""Official registries of municipalities, recognised by their columns, read into `PlaceRow`s.

- the Catalan municipal table (columns as ../shared/data/cat_municipis_947.csv; also the built-in
  package data, derived from it by scripts/build_gazetteer.py);
- IGN/CNIG's Nomenclátor of Spanish municipalities (as es_municipios_ign_ngmep2024.csv, or as IGN
  distributes it: `;`, ISO-8859-1, decimal commas);
- Eurostat/GISCO's LAU centres (as eu_lau_centres_2020_nuts2021.csv).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from bridge.catalogue.sources import SourceError, decode, read_bytes
from bridge.models.enums import PlaceSource
from bridge.places.gazetteer import PlaceRow

# Eurostat writes Greece and the United Kingdom as EL and UK; records use ISO 3166-1 (GR, GB).
_EUROSTAT_COUNTRY = {"EL": "GR", "UK": "GB"}
BUILTIN_COUNT = 947


class RegistryError(Exception):
    """A file that is not a registry this module knows (its message is meant for a person)."""


def _number(text: str | None) -> float | None:
    text = (text or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _whole(text: str | None) -> int | None:
    value = _number(text)
    return int(value) if value is not None else None


def _hectares(text: str | None) -> float | None:
    value = _number(text)
    return round(value / 100, 4) if value is not None else None


def _text(text: str | None) -> str | None:
    return (text or "").strip() or None


def _located(row: dict[str, str], population: str, latitude: str, longitude: str) -> dict[str, Any]:
    """What every registry gives, read alike from its own columns: the inhabitants (a whole
    number) and the coordinates."""
    return {
        "population": _whole(row[population]),
        "latitude": _number(row[latitude]),
        "longitude": _number(row[longitude]),
    }


def _catalunya(row: dict[str, str]) -> PlaceRow:
    return PlaceRow(
        country="ES",
        code=row["codi_ine"].strip().zfill(5),
        source=PlaceSource.catalunya,
        name=row["nom"].strip(),
        alt_name=_text(row.get("nom_ign")),
        **_located(row, "poblacio", "latitud", "longitud"),
        area_km2=_hectares(row.get("superficie_ha_ign")),
        comarca=_text(row["nom_comarca"]),
        province=_text(row["provincia"]),
    )


def _ign(row: dict[str, str]) -> PlaceRow:
    return PlaceRow(
        country="ES",
        code=row["COD_INE"].strip()[:5],
        source=PlaceSource.ign,
        name=row["NOMBRE_ACTUAL"].strip(),
        **_located(row, "POBLACION_MUNI", "LATITUD_ETRS89", "LONGITUD_ETRS89"),
        area_km2=_hectares(row["SUPERFICIE"]),
        province=_text(row["PROVINCIA"]),
    )


def _lau(row: dict[str, str]) -> PlaceRow:
    country = row["country"].strip()
    return PlaceRow(
        country=_EUROSTAT_COUNTRY.get(country, country),
        code=row["lau_id"].strip(),
        source=PlaceSource.lau,
        name=row["lau_name"].strip(),
        **_located(row, "population", "latitude", "longitude"),
        area_km2=_number(row["area_km2"]),
        nuts3=_text(row["nuts_3"]),
    )


@dataclass(frozen=True)
class Registry:
    source: PlaceSource
    title: str
    columns: frozenset[str]  # the columns that recognise it (and that it needs)
    row: Callable[[dict[str, str]], PlaceRow]


REGISTRIES = (
    Registry(
        PlaceSource.catalunya,
        "Catalan municipal table (Generalitat de Catalunya, Idescat, IGN)",
        frozenset(
            {"codi_ine", "nom", "nom_comarca", "provincia", "poblacio", "latitud", "longitud"}
        ),
        _catalunya,
    ),
    Registry(
        PlaceSource.ign,
        "IGN Nomenclátor of Spanish municipalities",
        frozenset(
            {
                "COD_INE",
                "NOMBRE_ACTUAL",
                "POBLACION_MUNI",
                "SUPERFICIE",
                "PROVINCIA",
                "LATITUD_ETRS89",
                "LONGITUD_ETRS89",
            }
        ),
        _ign,
    ),
    Registry(
        PlaceSource.lau,
        "Eurostat LAU centres",
        frozenset(
            {
                "lau_id",
                "lau_name",
                "country",
                "nuts_3",
                "population",
                "area_km2",
                "latitude",
                "longitude",
            }
        ),
        _lau,
    ),
)


def parse(text: str) -> tuple[Registry, list[PlaceRow]]:
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip() for name in next(reader, [])]
    registry = next((r for r in REGISTRIES if r.columns <= set(header)), None)
    if registry is None:
        known = "; ".join(f"{r.title} ({', '.join(sorted(r.columns))})" for r in REGISTRIES)
        raise RegistryError(
            f"unknown columns: not a registry of places this command knows ({known})"
        )
    rows: list[PlaceRow] = []
    try:
        for line, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(values) < len(header):
                raise RegistryError(
                    f"line {line}: {len(values)} cells, the header has {len(header)}"
                )
            row = registry.row(dict(zip(header, values, strict=False)))
            if row.code and row.name:
                rows.append(row)
    except csv.Error as exc:
        raise RegistryError(f"not valid CSV: {exc}") from None
    return registry, rows


def read_registry(path: str | os.PathLike[str]) -> tuple[Registry, list[PlaceRow]]:
    try:
        text = decode(read_bytes(path), windows_1252=True).text
    except SourceError as exc:
        raise RegistryError(exc.reason) from None
    return parse(text)


def builtin_rows() -> list[PlaceRow]:
    """The 947 Catalan municipalities shipped with the package."""
    data = resources.files("bridge.places").joinpath("data/catalunya.csv").read_text("utf-8")
    return parse(data)[1]
