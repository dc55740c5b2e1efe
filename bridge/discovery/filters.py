"""Filters of `projects list` by place: near a place (within a distance) and by population."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bridge.discovery.places import distance_km, place_of, position


def by_population(
    records: Sequence[Mapping[str, Any]], low: int | None, high: int | None
) -> list[Mapping[str, Any]]:
    """Records whose place has a population within [low, high] (either bound may be open);
    records without a population are left out, since they cannot be said to be in range."""
    kept = []
    for record in records:
        population = (place_of(record) or {}).get("population")
        if population is None:
            continue
        if (low is None or population >= low) and (high is None or population <= high):
            kept.append(record)
    return kept


def near(
    records: Sequence[Mapping[str, Any]], origin: Mapping[str, Any], within_km: float | None
) -> list[tuple[Mapping[str, Any], float]]:
    """(record, km) for records with a position, nearest first (then by ref), within
    `within_km` when given. Raises ValueError when the origin has no position."""
    start = position(origin)
    if start is None:
        raise ValueError(f"{origin.get('name') or 'the place'} has no known position")
    result = []
    for record in records:
        where = position(place_of(record))
        if where is None:
            continue
        km = distance_km(start, where)
        if within_km is None or km <= within_km:
            result.append((record, km))
    result.sort(key=lambda item: (item[1], item[0]["ref"]))
    return result
