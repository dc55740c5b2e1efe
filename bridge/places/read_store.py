"""Reading places for the catalogue's read commands, through `bridge.dbapi.Rows` (plain SQL, no
SQLAlchemy: `projects list/show` print each record's place, issue 15). Loading registries and
the gazetteer's other reads are in `bridge.places.store`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from bridge.dbapi import Rows, chunks, placeholders
from bridge.models.enums import PlaceSource
from bridge.places.gazetteer import PlaceRow, merge

# The `place` table's columns as PlaceRow names them (tests/test_read_tables.py checks them
# against the model).
COLUMNS = (
    "country", "code", "source", "name", "alt_name", "population", "latitude", "longitude",
    "area_km2", "comarca", "province", "nuts3",
)  # fmt: skip


def places_by_code(rows: Rows, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """`place` dicts (contract §3) of these (country, code) pairs, merged across registries."""
    by_country: dict[str, set[str]] = defaultdict(set)
    for country, code in keys:
        by_country[country].add(code)
    found: dict[tuple[str, str], list[PlaceRow]] = defaultdict(list)
    sql = f"SELECT {', '.join(COLUMNS)} FROM place WHERE country = ? AND code IN "
    for country, codes in by_country.items():
        for chunk in chunks(sorted(codes)):
            for values in rows.all(sql + f"({placeholders(len(chunk))})", (country, *chunk)):
                data = dict(zip(COLUMNS, values, strict=True))
                data["source"] = PlaceSource(data["source"])
                row = PlaceRow(**data)
                found[(row.country, row.code)].append(row)
    return {key: merge(group).as_dict() for key, group in found.items()}
