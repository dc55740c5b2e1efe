"""What each picture shows, computed from records as `projects list --json` gives them (pure).

Positions are the gazetteer's (the record's `place`), else the position the record gives for its
local body (bridge.discovery.places.place_of); a record with neither is counted as unplaced,
never guessed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bridge.discovery import places
from bridge.discovery.bands import BAND_COUNT, band_index
from bridge.models.enums import Area, Phase

AREAS = tuple(a.value for a in Area)
PHASES = tuple(p.value for p in Phase)


@dataclass(frozen=True)
class Mark:
    """Projects of one area at one council's position; `count` sizes the mark."""

    longitude: float
    latitude: float
    area: str
    count: int


@dataclass(frozen=True)
class MapData:
    proximity: str  # km0 | foreign
    marks: tuple[Mark, ...]
    placed: int  # projects drawn
    unplaced: int  # projects without a position


def live(records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [r for r in records if not r.get("archived")]


def position(record: Mapping[str, Any]) -> tuple[float, float] | None:
    """(longitude, latitude) of the record's council: its place's, else its own
    (bridge.discovery.places.place_of, the one rule for where a local body is)."""
    found = places.position(places.place_of(record))
    return None if found is None else (found[1], found[0])


def population(record: Mapping[str, Any]) -> int | None:
    place = places.place_of(record)
    value = place.get("population") if place else None
    return None if value is None else int(value)


def map_data(
    records: Iterable[Mapping[str, Any]], proximity: str, area: str | None = None
) -> MapData:
    """The marks of one map: projects of that proximity (and area), one mark per council and
    area, in a stable order (so the same catalogue draws the same picture)."""
    counts: Counter[tuple[float, float, str]] = Counter()
    unplaced = 0
    for record in live(records):
        if record.get("proximity") != proximity or (area and record.get("area") != area):
            continue
        where = position(record)
        if where is None:
            unplaced += 1
            continue
        # Councils a few metres apart in two registries are one place on a map this size.
        counts[(round(where[0], 3), round(where[1], 3), str(record.get("area")))] += 1
    marks = tuple(
        Mark(lon, lat, a, n)
        for (lon, lat, a), n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    )
    return MapData(proximity, marks, sum(m.count for m in marks), unplaced)


def area_phase(records: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """area → phase → projects (every area and phase present, zeros included)."""
    table = {a: dict.fromkeys(PHASES, 0) for a in AREAS}
    for record in live(records):
        if record.get("area") in table and record.get("phase") in PHASES:
            table[record["area"]][record["phase"]] += 1
    return table


def band_counts(records: Iterable[Mapping[str, Any]]) -> tuple[list[int], int]:
    """Projects per population band (Idescat's six bands), and those without a population."""
    counts = [0] * BAND_COUNT
    unknown = 0
    for record in live(records):
        index = band_index(population(record))
        if index is None:
            unknown += 1
        else:
            counts[index] += 1
    return counts, unknown


def growth(created: Sequence[date]) -> list[tuple[date, int]]:
    """The catalogue's size at the end of each month from its first record to its last: one
    point a month (months without a new record included), cumulative."""
    if not created:
        return []
    months = Counter(date(d.year, d.month, 1) for d in created)
    first, last = min(months), max(months)
    points = []
    total = 0
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        total += months.get(date(year, month, 1), 0)
        points.append((date(year, month, 1), total))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return points
