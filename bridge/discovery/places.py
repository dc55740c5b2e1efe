"""Where a record's local body is: its `place` (contract §3, from the gazetteer) or, for records
that have none, what the record itself says (population, position, official code).

Also distances between places: great-circle kilometres from the places' positions.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG), as geodesy libraries use it


def place_of(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The record's place, or one made of its local body's own figures when it has no place
    (before the gazetteer or for an unresolved body); None when neither says anything."""
    place = record.get("place")
    if place:
        return dict(place)
    body = record.get("local_body") or {}
    own = {
        "code": body.get("municipality_code"),
        "name": body.get("name"),
        "country": body.get("country"),
        "population": body.get("population"),
        "latitude": body.get("latitude"),
        "longitude": body.get("longitude"),
    }
    if own["population"] is None and own["latitude"] is None:
        return None
    return own


def position(place: Mapping[str, Any] | None) -> tuple[float, float] | None:
    if not place:
        return None
    lat, lon = place.get("latitude"), place.get("longitude")
    if lat is None or lon is None:
        return None
    return float(lat), float(lon)


def distances_km(origin: tuple[float, float], lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Great-circle distances (haversine) in kilometres from `origin` to each (lat, lon) given
    in degrees; NaN where a position is NaN."""
    lat, lon = np.radians(lat), np.radians(lon)
    lat0, lon0 = np.radians(origin[0]), np.radians(origin[1])
    h = np.sin((lat - lat0) / 2) ** 2 + np.cos(lat0) * np.cos(lat) * np.sin((lon - lon0) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in kilometres between two (lat, lon) positions."""
    return float(distances_km(a, np.array([b[0]]), np.array([b[1]]))[0])


def same_place(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    """Both placed in one municipality (same official code in the same country)."""
    if not a or not b or not a.get("code") or not b.get("code"):
        return False
    return (a.get("country"), str(a["code"])) == (b.get("country"), str(b["code"]))


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a name."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


class PlaceNotFound(LookupError):
    """No place, or several, answer to a name or code."""


def resolve_from_records(records: Sequence[Mapping[str, Any]], query: str) -> dict[str, Any]:
    """A place named by `query` (official code or name, accents and case ignored) among the
    places the records carry. Used when the gazetteer (bridge.places) is not installed."""
    wanted = fold(query)
    found: dict[tuple[Any, Any], dict[str, Any]] = {}
    for record in records:
        place = place_of(record)
        if not place:
            continue
        code = str(place.get("code") or "")
        names = {fold(str(place.get("name") or ""))}
        names.add(fold(str((record.get("local_body") or {}).get("name") or "")))
        if wanted == fold(code) or wanted in names:
            found.setdefault((place.get("country"), code or place.get("name")), place)
    if not found:
        raise PlaceNotFound(f"no place named or coded {query!r} is known")
    if len(found) > 1:
        listed = ", ".join(sorted(f"{p.get('name')} ({p.get('code')})" for p in found.values()))
        raise PlaceNotFound(f"{query!r} names several places: {listed}; give the official code")
    return next(iter(found.values()))
