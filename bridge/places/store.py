"""The gazetteer's SQL: loading registries' rows and reading places back (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bridge.models import read_tables
from bridge.models.enums import PlaceSource
from bridge.places.gazetteer import Gazetteer, Place, PlaceRow, merge

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


def place_of(conn: Connection, country: str, code: str) -> Place | None:
    found = [
        _row(r) for r in conn.execute(sa.select(T).where(T.c.country == country, T.c.code == code))
    ]
    return merge(found) if found else None
