"""Reading the catalogue through the database driver alone: sqlite3 or psycopg, no SQLAlchemy.

Why: `projects list`, `projects show`, `export` and `status` are typed many times a day and run
in scripts' loops; importing SQLAlchemy costs more than listing 10,000 records (issue 15). Their
queries are plain SQL run by a `Rows`: `connect(url)` opens the driver's own connection, and
`EngineRows` runs the same SQL on a SQLAlchemy connection for the code that already holds one
(the sync engine, an import's transaction) — one query text, one row shape, for both.

SQL is written with `?` placeholders; `Rows.all` turns them into psycopg's `%s`. The values come
back as each driver gives them, so the few that differ between SQLite and PostgreSQL are read
through `as_bool`, `as_utc` and `as_json`, which accept both.

A URL that neither driver can take here (another dialect, SQLite options in a query string) is
read through SQLAlchemy instead (`connect` falls back to `EngineRows`): slower, never wrong.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

# The newest migration. Every command checks the schema against it, so it is a constant rather
# than Alembic's script directory (which costs a tenth of a second to load on each command);
# tests/test_db.py checks that it is Alembic's head.
HEAD = "0031"

SCHEMA_MISSING = "the catalogue schema is missing or out of date: run `digicanvis db upgrade` first"
CHUNK = 500  # values per IN (...) list: well under SQLite's and PostgreSQL's parameter limits


class DatabaseError(Exception):
    """The catalogue database cannot be used (unreachable, or its schema is not up to date)."""


def unusable(orig: BaseException) -> DatabaseError:
    """A driver's refusal to use the database, as a message for a person. OperationalError (of
    either driver) is "cannot reach it"; any other database error here means the file is not a
    database SQLite can read (corrupted, truncated, another file named by mistake), which no
    retry will fix."""
    if any(cls.__name__ == "OperationalError" for cls in type(orig).__mro__):
        return DatabaseError(f"cannot reach the catalogue database: {orig}")
    return DatabaseError(
        f"the catalogue database cannot be read ({orig}): is BRIDGE_DATABASE_URL the "
        "catalogue, and is the file intact? Restore it from a backup or point to another one"
    )


def driver_errors() -> tuple[type[BaseException], ...]:
    """The database errors of the drivers loaded in this process (none imported for it)."""
    import sys

    found: list[type[BaseException]] = []
    for name in ("sqlite3", "psycopg"):
        module = sys.modules.get(name)
        if module is not None:
            found.append(module.DatabaseError)
    return tuple(found)


class Rows(Protocol):
    """Runs one read query and returns its rows as tuples, values as the driver gives them."""

    dialect: str  # "sqlite" or "postgresql"
    # SQLite's file as the URL names it, as SQLAlchemy reads it (`engine.url.database`): the
    # sync lock is a file named after it (bridge.sync.lease). None on PostgreSQL.
    database: str | None

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...


def placeholders(count: int) -> str:
    """`?, ?, ?` for an IN (...) list of `count` values."""
    return ", ".join("?" * count)


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class DriverRows:
    """A `Rows` over a DB-API connection of sqlite3 or psycopg."""

    def __init__(self, connection: Any, dialect: str, database: str | None = None) -> None:
        self.connection = connection
        self.dialect = dialect
        self.database = database

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.dialect == "postgresql":
            sql = sql.replace("?", "%s")
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, tuple(params))
            return cursor.fetchall()
        finally:
            cursor.close()

    def run(self, sql: str, params: Sequence[Any] = ()) -> None:
        """One statement that returns no rows (inside the transaction `writing` commits)."""
        if self.dialect == "postgresql":
            sql = sql.replace("?", "%s")
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, tuple(params))
        finally:
            cursor.close()


class EngineRows:
    """A `Rows` over a SQLAlchemy connection: the same SQL, the driver's raw values."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.dialect = "postgresql" if connection.dialect.name == "postgresql" else "sqlite"
        self.database = None if self.dialect == "postgresql" else connection.engine.url.database

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.dialect == "postgresql":
            sql = sql.replace("?", "%s")
        return [tuple(row) for row in self.connection.exec_driver_sql(sql, tuple(params))]

    def run(self, sql: str, params: Sequence[Any] = ()) -> None:
        if self.dialect == "postgresql":
            sql = sql.replace("?", "%s")
        self.connection.exec_driver_sql(sql, tuple(params))


@contextmanager
def rows_of(source: Rows | Engine | Connection) -> Iterator[Rows]:
    """Rows from what the caller holds: a `Rows` as it is, a SQLAlchemy connection (inside its
    transaction), or an engine (a connection of its own for this read). The stores' engine-based
    reads go through this to the same SQL as the read commands."""
    if isinstance(source, DriverRows | EngineRows):
        yield source
    elif hasattr(source, "exec_driver_sql"):
        yield EngineRows(source)
    else:
        with source.connect() as conn:  # type: ignore[union-attr]
            yield EngineRows(conn)


class WriteRows(Rows, Protocol):
    """A `Rows` that also runs statements returning nothing, inside `writing`'s transaction."""

    def run(self, sql: str, params: Sequence[Any] = ()) -> None: ...


@contextmanager
def writing(source: DriverRows | Engine) -> Iterator[WriteRows]:
    """One transaction, committed when the block ends without an exception (rolled back when it
    raises): on an engine (a connection of its own, as `engine.begin()`), or on a driver
    connection of `connect` (issue 20: a no-op sync writes its run row without SQLAlchemy). The
    owners of the run log and the lease row write through this, whichever the caller holds."""
    if isinstance(source, DriverRows):
        try:
            yield source
        except BaseException:
            source.connection.rollback()
            raise
        source.connection.commit()
        return
    with source.begin() as conn:
        yield EngineRows(conn)


def stored_time(value: datetime, dialect: str) -> Any:
    """An aware datetime as the models' UTCDateTime stores it: naive UTC text in SQLite, in
    SQLAlchemy's format (always six digits of microseconds, so that text order is time order);
    the aware value for PostgreSQL's timestamptz."""
    value = value.astimezone(UTC)
    if dialect == "sqlite":
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


# --------------------------------------------------------------------------- values


def as_bool(value: Any) -> bool:
    """SQLite stores booleans as 0/1; PostgreSQL gives bools."""
    return bool(value)


def as_utc(value: Any) -> datetime | None:
    """A stored timestamp as an aware UTC datetime, as the models' UTCDateTime reads it: SQLite
    keeps UTC as text without a zone ("2026-11-28 13:25:15.389626"), PostgreSQL gives an aware
    datetime in the session's time zone."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def as_json(value: Any) -> Any:
    """A JSON column: text in SQLite, already decoded by psycopg."""
    return json.loads(value) if isinstance(value, str) else value


# --------------------------------------------------------------------------- connecting


def _sqlite_path(url: str) -> str | None:
    """The file (or ":memory:") of a plain SQLite URL; None for anything sqlite3 alone should
    not guess at (a query string of options, another driver). Percent-escapes are decoded, as
    SQLAlchemy decodes them: both must open the same file (and name the same lock file)."""
    for prefix in ("sqlite:///", "sqlite+pysqlite:///"):
        if url.startswith(prefix):
            path = url[len(prefix) :]
            return None if "?" in path else unquote(path) or ":memory:"
    if url in ("sqlite://", "sqlite+pysqlite://"):
        return ":memory:"
    return None


def _postgres_conninfo(url: str) -> str | None:
    """A libpq URI for psycopg (it reads percent-encoded user names and passwords itself)."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return None


@contextmanager
def connect(url: str) -> Iterator[Rows]:
    """Rows of the catalogue at `url`, its schema checked against HEAD (DatabaseError when it
    is unreachable, unreadable or not migrated). Read-only but through `writing`, which the
    run log and the lease row use for a no-op sync (issue 20)."""
    path = _sqlite_path(url)
    conninfo = None if path is not None else _postgres_conninfo(url)
    if path is None and conninfo is None:
        with _through_sqlalchemy(url) as rows:
            yield rows
        return
    errors = driver_errors
    try:
        if path is not None:
            import sqlite3

            # As the engine's connections do (bridge.db): wait for a writer rather than fail.
            connection: Any = sqlite3.connect(path, timeout=30)
            rows = DriverRows(connection, "sqlite", path)
        else:
            import psycopg

            connection = psycopg.connect(conninfo)  # type: ignore[arg-type]
            rows = DriverRows(connection, "postgresql")
    except errors() as exc:
        raise unusable(exc) from None
    try:
        try:
            require_current_schema(rows)
        except errors() as exc:
            raise unusable(exc) from None
        yield rows
    finally:
        connection.close()


@contextmanager
def _through_sqlalchemy(url: str) -> Iterator[Rows]:
    from bridge.db import engine_for
    from bridge.db import require_current_schema as require_schema

    engine = engine_for(url)
    require_schema(engine)
    with engine.connect() as conn:
        yield EngineRows(conn)


def current_revision(rows: Rows) -> str | None:
    """The revision in alembic_version (None when the table is absent or empty)."""
    if rows.dialect == "sqlite":
        exists = rows.all(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        )
    else:
        exists = rows.all("SELECT to_regclass('alembic_version') IS NOT NULL AND true")
        exists = exists if exists and exists[0][0] else []
    if not exists:
        return None
    found = rows.all("SELECT version_num FROM alembic_version")
    return found[0][0] if found else None


def require_current_schema(rows: Rows) -> None:
    """Refuse to work on a database whose schema is missing or old, with the fix in the message."""
    if current_revision(rows) != HEAD:
        raise DatabaseError(SCHEMA_MISSING)
