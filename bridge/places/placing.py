"""Placing an import's records: each local body's place, and the warnings that go with it (pure).

Once-only: a record need not give its council's population or position when the gazetteer has
them (its `place` carries the official figures). A record that gives figures keeps its own, and
the import warns where they disagree with the official ones beyond what different years or
different centre points explain.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from bridge.catalogue.regions import place_region, same_region
from bridge.catalogue.schema import Problem, Severity, ValidRecord
from bridge.places.gazetteer import Gazetteer, Place, Resolution, Unresolved

# Registers of different years differ by a few per cent; a town hall and a population-weighted
# centre lie a few kilometres apart. Beyond these, the figure is likely another place's.
POPULATION_TOLERANCE = 0.10
POSITION_TOLERANCE_KM = 10.0


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def _label(place: Place) -> str:
    where = place.province or place.nuts3
    return f"{place.name} ({', '.join(x for x in (where, place.code) if x)})"


def _warnings(record: ValidRecord, resolution: Resolution) -> list[Problem]:
    body = record.record.local_body
    warn = Severity.warning
    if resolution.reason is Unresolved.ambiguous:
        names = "; ".join(_label(p) for p in resolution.candidates)
        return [
            record.problem(
                "local_body.name",
                f"{len(resolution.candidates)} municipalities are called so in {body.country}: "
                f"{names}; left unplaced (give local_body.municipality_code to say which)",
                warn,
            )
        ]
    if resolution.reason is Unresolved.unknown_code:
        return [
            record.problem(
                "local_body.municipality_code",
                f"no municipality of {body.country} has the code {body.municipality_code!r} in "
                "the gazetteer; left unplaced",
                warn,
            )
        ]
    place = resolution.place
    if place is None:
        return []
    found = []
    placed_in = place_region(body.country, place.code)
    if body.region and placed_in and not same_region(body.region, placed_in):
        found.append(
            record.problem(
                "local_body.region",
                f"{body.region} disagrees with the place, {_label(place)}, which is in "
                f"{placed_in}; the record's region is kept (and decides Km0 or foreign)",
                warn,
            )
        )
    official = place.population
    if (
        body.population is not None
        and official
        and abs(body.population - official) > POPULATION_TOLERANCE * official
    ):
        found.append(
            record.problem(
                "local_body.population",
                f"{body.population:,} differs from the official {official:,} of {place.name}; "
                "the record's figure is kept",
                warn,
            )
        )
    if body.latitude is not None and body.longitude is not None and place.latitude is not None:
        km = distance_km(body.latitude, body.longitude, place.latitude, place.longitude or 0.0)
        if km > POSITION_TOLERANCE_KM:
            found.append(
                record.problem(
                    "local_body.latitude",
                    f"the position is {km:,.0f} km from {place.name}'s official one; "
                    "the record's position is kept",
                    warn,
                )
            )
    return found


def place_records(
    gazetteer: Gazetteer, records: Sequence[ValidRecord]
) -> tuple[list[Resolution], list[Problem]]:
    """Each record's resolution (in order) and the warnings about them."""
    resolutions: list[Resolution] = []
    warnings: list[Problem] = []
    for record in records:
        body = record.record.local_body
        resolution = gazetteer.resolve(body.country, body.name, body.kind, body.municipality_code)
        resolutions.append(resolution)
        warnings.extend(_warnings(record, resolution))
    return resolutions, warnings
