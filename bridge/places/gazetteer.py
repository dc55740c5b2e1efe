"""The gazetteer in memory: places merged across registries, found by code or by name (pure).

`resolve` answers "where is this local body?": from its official code when the record gives one
(the code decides, whatever the body is), else from its name within its country, and only when
the name is a municipal council's; a provincial council, a company or a regional government is
never placed as the council of the town it sits in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

from bridge.models.enums import RANK, PlaceSource
from bridge.places.names import article_first, council_town, fold, place_keys, without_article


@dataclass(frozen=True)
class PlaceRow:
    """One registry's row (what the `place` table stores)."""

    country: str
    code: str
    source: PlaceSource
    name: str
    alt_name: str | None = None
    population: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    area_km2: float | None = None
    comarca: str | None = None
    province: str | None = None
    nuts3: str | None = None

    def as_row(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


_MERGED = ("population", "latitude", "longitude", "area_km2", "comarca", "province", "nuts3")
_OPTIONAL_OUT = ("comarca", "province", "nuts3")


@dataclass(frozen=True)
class Place:
    """A municipality as the observatory shows it: each figure from the most official registry
    that has it (see `RANK`)."""

    country: str
    code: str
    name: str
    names: tuple[str, ...]
    population: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    area_km2: float | None = None
    comarca: str | None = None
    province: str | None = None
    nuts3: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The `place` of contract §3."""
        out: dict[str, Any] = {
            "code": self.code,
            "name": self.name,
            "country": self.country,
            "population": self.population,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "area_km2": self.area_km2,
        }
        out.update({k: getattr(self, k) for k in _OPTIONAL_OUT if getattr(self, k) is not None})
        return out


def _display(name: str) -> str:
    shown = article_first(name)
    return shown[:1].upper() + shown[1:]


def merge(rows: Iterable[PlaceRow]) -> Place:
    ranked = sorted(rows, key=lambda r: RANK[r.source], reverse=True)
    best = ranked[0]
    values = {
        name: next((getattr(r, name) for r in ranked if getattr(r, name) is not None), None)
        for name in _MERGED
    }
    names = tuple(dict.fromkeys(n for r in ranked for n in (r.name, r.alt_name) if n))
    return Place(best.country, best.code, _display(best.name), names, **values)


def normalise_code(country: str, code: str) -> str:
    """The gazetteer's form of an official code as people write it. Spain: the 5-digit INE code,
    also from Idescat's 6 digits (with check digit), IGN's 11 and a spreadsheet's 4 (a number
    that lost its leading zero). Elsewhere the LAU id, also as GISCO writes it (`NL_GM0344`)."""
    code = code.strip()
    if country == "ES" and code.isdigit():
        if len(code) == 4:
            return code.zfill(5)
        if len(code) in (6, 11):
            return code[:5]
    return code.removeprefix(f"{country}_") if "_" in code else code


class Unresolved(StrEnum):
    """Why a local body has no place."""

    not_council = "not a municipal council"
    no_match = "no municipality of that name"
    ambiguous = "several municipalities of that name"
    unknown_code = "official code not in the gazetteer"
    no_gazetteer = "no gazetteer loaded for the country"


@dataclass(frozen=True)
class Resolution:
    place: Place | None
    reason: Unresolved | None = None
    candidates: tuple[Place, ...] = ()


class Gazetteer:
    def __init__(self, rows: Iterable[PlaceRow]) -> None:
        grouped: dict[tuple[str, str], list[PlaceRow]] = defaultdict(list)
        for row in rows:
            grouped[(row.country, row.code)].append(row)
        self.by_code: dict[tuple[str, str], Place] = {k: merge(v) for k, v in grouped.items()}
        # Names as written (article included) first; without their article only as a fallback, so
        # "Castellar" is Castellar, and "Masnou" still finds El Masnou.
        self.by_key: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
        self.by_bare: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
        self.countries = {country for country, _ in grouped}
        # Countries with a national registry (not only the built-in Catalan table): there, a code
        # the gazetteer lacks is worth a warning; elsewhere it only means "not loaded".
        self.complete = {
            country
            for (country, _), found in grouped.items()
            if any(r.source is not PlaceSource.catalunya for r in found)
        }
        for key, place in self.by_code.items():
            for name in place.names:
                for folded in place_keys(name):
                    self.by_key[(place.country, folded)].add(key)
                    self.by_bare[(place.country, without_article(folded))].add(key)

    def __len__(self) -> int:
        return len(self.by_code)

    def _named(self, country: str, folded: str) -> list[Place]:
        codes = self.by_key.get((country, folded)) or self.by_bare.get(
            (country, without_article(folded)), set()
        )
        return sorted((self.by_code[c] for c in codes), key=lambda p: p.code)

    def resolve(
        self, country: str, name: str, kind: str | None = None, code: str | None = None
    ) -> Resolution:
        if country not in self.countries:
            return Resolution(None, Unresolved.no_gazetteer)
        if code:
            place = self.by_code.get((country, normalise_code(country, code)))
            if place:
                return Resolution(place)
            partial = country not in self.complete
            return Resolution(None, Unresolved.no_gazetteer if partial else Unresolved.unknown_code)
        town = council_town(name, kind)
        if town is None:
            return Resolution(None, Unresolved.not_council)
        found = self._named(country, town)
        if len(found) == 1:
            return Resolution(found[0])
        if found:
            return Resolution(None, Unresolved.ambiguous, tuple(found))
        return Resolution(None, Unresolved.no_match)

    def find(self, text: str, country: str | None = None) -> list[Place]:
        """What `places find` shows: the place of that code, or the places the name (a town's
        or a council's) names, in one country or in all."""
        countries = [country] if country else sorted(self.countries)
        found: dict[tuple[str, str], Place] = {}
        for cc in countries:
            place = self.by_code.get((cc, normalise_code(cc, text)))
            if place:
                found[(cc, place.code)] = place
            town = council_town(text) or fold(text)
            for place in self._named(cc, town):
                found[(cc, place.code)] = place
        return list(found.values())
