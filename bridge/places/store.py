"""The gazetteer's SQL: loading registries' rows and reading places back (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bridge.models import read_tables
from bridge.models.enums import PlaceSource
from bridge.places.gazetteer import Gazetteer, Place, PlaceRow, merge
from bridge.places.names import council_town, fold, place_keys, without_article

# The light Core table (bridge.models.read_tables): `projects list/show` read places too, and the
# ORM model's import would cost more than the listing. tests/test_read_tables.py checks its
# columns against the model.
T = read_tables.place
_COLUMNS = [c for c in T.c if c.name != "id"]
_CHUNK = 500


def upsert(conn: Connection, rows: Sequence[PlaceRow]) -> int:
    """Insert or replace each registry row by (country, code, source): repeating a load changes
    nothing, and one registry never overwrites another's figures.

    One driver-level executemany of a prepared INSERT … ON CONFLICT: the LAU table's 63,645 rows
    load in a couple of seconds, where SQLAlchemy's per-row parameter processing takes several
    times longer. (SQLite and PostgreSQL share the ON CONFLICT syntax; only the placeholder
    differs.)"""
    # Later rows of one file win over earlier ones with the same code (one statement may not
    # touch a row twice).
    unique = list({(r.country, r.code, r.source): r for r in rows}.values())
    names = [c.name for c in _COLUMNS]
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    key = ("country", "code", "source")
    sql = (
        f"INSERT INTO {T.name} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
        + ", ".join(f"{n} = excluded.{n}" for n in names if n not in key)
    )
    values = [
        tuple(getattr(r, n).value if n == "source" else getattr(r, n) for n in names)
        for r in unique
    ]
    if values:
        conn.exec_driver_sql(sql, values)
    return len(unique)


def ensure_builtin(conn: Connection) -> None:
    """The 947 Catalan municipalities are built in: loaded on first use, whatever created the
    schema (a migration, a test's create_all)."""
    from bridge.places.registries import BUILTIN_COUNT, builtin_rows

    if count(conn, PlaceSource.catalunya) < BUILTIN_COUNT:
        upsert(conn, builtin_rows())


def count(conn: Connection, source: PlaceSource | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(T)
    if source is not None:
        query = query.where(T.c.source == source)
    return conn.execute(query).scalar_one()


def _row(values: sa.Row) -> PlaceRow:
    data = dict(values._mapping)
    data.pop("id", None)
    data["source"] = PlaceSource(data["source"])
    return PlaceRow(**data)


def gazetteer(conn: Connection, countries: Iterable[str] | None = None) -> Gazetteer:
    """The places of these countries (all when None), merged across registries."""
    query = sa.select(T)
    if countries is not None:
        query = query.where(T.c.country.in_(sorted(set(countries))))
    return Gazetteer(_row(r) for r in conn.execute(query))


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


def gazetteer_for(conn: Connection, text: str) -> Gazetteer:
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
    found: sa.ColumnElement[bool] = T.c.code.in_(codes)
    if town and any(ch.isalpha() for ch in town):
        pattern = _name_pattern(town)
        found = sa.or_(found, T.c.name.ilike(pattern), T.c.alt_name.ilike(pattern))

    def named(*names: str | None) -> bool:  # as Gazetteer._named finds a place, or more
        keys = {k for n in names if n for k in place_keys(n)}
        return full in keys or any(without_article(k) == town for k in keys)

    query = sa.select(T.c.country, T.c.code, T.c.name, T.c.alt_name).where(found)
    pairs = sorted(
        {
            (country, code)
            for country, code, name, alt in conn.execute(query)
            if code in codes or named(name, alt)
        }
    )
    rows: list[PlaceRow] = []
    for start in range(0, len(pairs), _CHUNK):
        query = sa.select(T).where(
            sa.tuple_(T.c.country, T.c.code).in_(pairs[start : start + _CHUNK])
        )
        rows.extend(_row(r) for r in conn.execute(query))
    narrowed = Gazetteer(rows)
    return narrowed if narrowed.find(text) else gazetteer(conn)


def place_of(conn: Connection, country: str, code: str) -> Place | None:
    found = [
        _row(r) for r in conn.execute(sa.select(T).where(T.c.country == country, T.c.code == code))
    ]
    return merge(found) if found else None
