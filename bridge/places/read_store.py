"""Reading places for the read commands, through `bridge.dbapi.Rows` (plain SQL, no SQLAlchemy:
`projects list/show` print each record's place, `find --like` looks a council up; issue 15).
Loading registries and the gazetteer's other reads are in `bridge.places.store`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from bridge.dbapi import Rows, chunks, placeholders, rows_of
from bridge.models.enums import PlaceSource
from bridge.places.gazetteer import Gazetteer, PlaceRow, merge
from bridge.places.names import council_town, fold, place_keys, without_article

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

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


def _place_rows(rows: Rows, where: str, params: Sequence[Any]) -> list[PlaceRow]:
    found = []
    for values in rows.all(f"SELECT {', '.join(COLUMNS)} FROM place WHERE {where}", params):
        data = dict(zip(COLUMNS, values, strict=True))
        data["source"] = PlaceSource(data["source"])
        found.append(PlaceRow(**data))
    return found


def builtin_missing(source: Rows | Engine | Connection) -> bool:
    """True when the built-in Catalan table is not (wholly) loaded: `store.ensure_builtin` loads
    it (a write, so through an engine)."""
    from bridge.places.registries import BUILTIN_COUNT

    with rows_of(source) as rows:
        count = rows.all(
            "SELECT count(*) FROM place WHERE source = ?", (PlaceSource.catalunya.value,)
        )
    return int(count[0][0]) < BUILTIN_COUNT


# Letters that no accented or special spelling replaces (ç, ñ and vowels may carry accents).
_PLAIN = frozenset("bdfghjkmpqrstvwxyz")


def _name_pattern(town: str) -> str:
    """A LIKE pattern that every spelling of a folded name matches, as registries write it: its
    plain consonants as they are, any other letter as one character ("à", "ç", "ñ"), an "l" as
    "l" and anything ("l·l"), a space as anything (apostrophes, hyphens)."""
    parts = []
    for ch in town:
        if ch in _PLAIN:
            parts.append(ch)
        elif ch == "l":
            parts.append("l%")
        elif ch == " ":
            parts.append("%")
        else:
            parts.append("_")
    return "%" + "".join(parts) + "%"


def gazetteer_for(source: Rows | Engine | Connection, text: str) -> Gazetteer:
    """A gazetteer holding the places `Gazetteer.find(text)` answers, read without loading every
    registry (the LAU table alone has 63,645 places): those whose name or alternative name
    matches the asked town's spelling loosely (`_name_pattern`, a superset that `find` narrows),
    and those whose code is the text as people write codes. Every registry's row of those
    places is read, so they merge as in the whole gazetteer. When none answers, the whole
    gazetteer (a spelling the pattern did not foresee)."""
    raw = text.strip()
    full = council_town(text) or fold(text)
    town = without_article(full)
    codes = sorted({raw, raw.zfill(5), raw[:5], raw.split("_", 1)[-1]})
    with rows_of(source) as rows:
        where, params = f"code IN ({placeholders(len(codes))})", list(codes)
        if town and any(ch.isalpha() for ch in town):
            # Case-insensitive: PostgreSQL's ILIKE; SQLite's LIKE folds ASCII only, so both
            # sides are lowered as SQLAlchemy's ilike() renders it there.
            like = (
                "{} ILIKE ?" if rows.dialect == "postgresql" else "lower({}) LIKE lower(?)"
            ).format
            where += f" OR {like('name')} OR {like('alt_name')}"
            pattern = _name_pattern(town)
            params += [pattern, pattern]

        def named(*names: str | None) -> bool:  # as Gazetteer._named finds a place, or more
            keys = {k for n in names if n for k in place_keys(n)}
            return full in keys or any(without_article(k) == town for k in keys)

        pairs = sorted(
            {
                (country, code)
                for country, code, name, alt in rows.all(
                    f"SELECT country, code, name, alt_name FROM place WHERE {where}", params
                )
                if code in codes or named(name, alt)
            }
        )
        found: list[PlaceRow] = []
        for chunk in chunks(pairs):
            listed = ", ".join("(?, ?)" for _ in chunk)
            flat = [value for pair in chunk for value in pair]
            found += _place_rows(rows, f"(country, code) IN ({listed})", flat)
        narrowed = Gazetteer(found)
        if narrowed.find(text):
            return narrowed
        return Gazetteer(_place_rows(rows, "1 = 1", ()))
