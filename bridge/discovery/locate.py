"""A place named by a person (`find --like`, `projects list --near`): the gazetteer
(bridge.places) first, then the places the catalogue's records carry; and the by-place filter of
`projects list`. Raises `PlaceProblem` with the message the CLI prints (exit 2)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bridge.dbapi import Rows


class PlaceProblem(ValueError):
    """A place asked for that none or several places answer, or a filter's bad value."""


def resolve_place(
    source: Rows | Engine,
    records: Sequence[Mapping[str, Any]],
    name: str,
    writer: Callable[[], Engine],
) -> dict[str, Any]:
    """A place from a name, a council's name or an official code: the gazetteer first, then the
    places the records carry (a foreign town no registry loaded). `writer` gives the engine that
    loads the built-in table on first use (a write)."""
    from bridge.discovery.places import PlaceNotFound, resolve_from_records
    from bridge.places.read_store import builtin_missing, gazetteer_for

    if builtin_missing(source):
        from bridge.places.store import ensure_builtin

        with writer().begin() as conn:
            ensure_builtin(conn)
    found = gazetteer_for(source, name).find(name)
    if len(found) == 1:
        return found[0].as_dict()
    if found:
        listed = ", ".join(sorted(f"{p.name} ({p.country} {p.code})" for p in found))
        raise PlaceProblem(f"{name!r} names several places: {listed}; give the official code")
    try:
        return resolve_from_records(records, name)
    except PlaceNotFound as exc:
        raise PlaceProblem(str(exc)) from exc


def place_filters(
    engine: Engine,
    records: list[dict[str, Any]],
    everyone: Callable[[], list[dict[str, Any]]],
    *,
    near: str | None,
    within: float | None,
    population: str | None,
) -> list[dict[str, Any]]:
    """`projects list --near PLACE [--within KM] --population MIN-MAX`: records kept by place,
    nearest first with `distance_km` added when --near is given. `everyone` gives every record
    (archived ones too): the place is looked up among them, not just those listed."""
    from bridge.discovery.bands import parse_range
    from bridge.discovery.filters import by_population
    from bridge.discovery.filters import near as near_to

    if within is not None and near is None:
        raise PlaceProblem("--within needs --near PLACE (the distance is measured from that place)")
    if population:
        try:
            low, high = parse_range(population)
        except ValueError as exc:
            raise PlaceProblem(f"--population: {exc}") from exc
        records = [dict(r) for r in by_population(records, low, high)]
    if near:
        origin = resolve_place(engine, everyone(), near, lambda: engine)
        try:
            kept = near_to(records, origin, within)
        except ValueError as exc:
            raise PlaceProblem(f"--near: {exc}") from exc
        records = [dict(r) | {"distance_km": round(km, 1)} for r, km in kept]
    return records
