"""Km0 or foreign: the one rule every output uses (listing, show, topics and their tags,
categories' index topics, open data, `find --proximity`), computed at read time and never
stored, so a new home region or a better-placed body re-derives every record at once.

In order (issue 27 point 1):
1. the record's own `proximity` overrides everything;
2. else the local body's `region` (ISO 3166-2), when the record gives one;
3. else its place: a municipality the gazetteer placed is in its province's region
   (`regions.place_region`): a Catalan council is Km0 without saying ES-CT (once-only);
4. else a public body the gazetteer does not place as a council but whose region is known from
   its name (`bridge.places.bodies`: diputacions, consells comarcals, the Generalitat…);
5. else foreign.
Km0 means that region is the home region or lies inside it (`regions.within`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bridge.catalogue.regions import place_region, within
from bridge.models.enums import Proximity


class Basis(StrEnum):
    """What decided a record's proximity (shown by `projects show`)."""

    record = "set by the record"
    region = "from the region"
    place = "from the place"
    known_body = "from the body's name"
    unknown = "no region known"


@dataclass(frozen=True, slots=True)
class Effective:
    proximity: Proximity
    basis: Basis
    region: str | None  # the region that decided, when one did


def effective(
    *,
    country: str | None,
    region: str | None,
    own: Proximity | str | None,
    home_region: str,
    place_code: str | None = None,
    name: str | None = None,
) -> Effective:
    if own:
        value = own.value if isinstance(own, Proximity) else str(own)
        return Effective(Proximity(value), Basis.record, None)
    basis, decided = Basis.unknown, None
    if region:
        basis, decided = Basis.region, region
    elif (placed := place_region(country, place_code)) is not None:
        basis, decided = Basis.place, placed
    else:
        from bridge.places.bodies import known_body  # its table is read on first use only

        found = known_body(name, country)
        if found is not None:
            basis, decided = Basis.known_body, found.region
    km0 = decided is not None and within(decided, home_region)
    return Effective(Proximity.km0 if km0 else Proximity.foreign, basis, decided)


def of_body(body: Any, own: Proximity | str | None, home_region: str) -> Effective:
    """For a LocalBody row or a BodyView (name, country, region, place_code attributes)."""
    return effective(
        country=body.country,
        region=body.region,
        own=own,
        home_region=home_region,
        place_code=getattr(body, "place_code", None),
        name=body.name,
    )
