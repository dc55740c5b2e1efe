"""Engine, sessions and schema migrations. The only module that knows how to connect."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

# HEAD and DatabaseError live beside the driver-level reads (no SQLAlchemy there); callers
# import them from here too.
from bridge.dbapi import HEAD as HEAD
from bridge.dbapi import SCHEMA_MISSING
from bridge.dbapi import DatabaseError as DatabaseError
from bridge.dbapi import unusable as _unusable
from bridge.models.columns import utcnow

# The ORM (SQLModel) is loaded by the functions that use it, not here: the read commands connect
# through this module and must not pay for it (issue 15). Alembic's env.py registers the tables.
if TYPE_CHECKING:
    from _typeshed import DataclassInstance
    from sqlmodel import Session

Cached = TypeVar("Cached", bound="DataclassInstance")

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def unusable(exc: sa.exc.DBAPIError) -> DatabaseError:
    """SQLAlchemy's wrapper of a driver's refusal, as a message for a person (bridge.dbapi)."""
    return _unusable(exc.orig if exc.orig is not None else exc)


def insert_for(conn: sa.Connection) -> Callable[..., Any]:
    """The dialect's INSERT, which has ON CONFLICT (SQLite and PostgreSQL spell it alike)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def upsert(
    conn: sa.Connection,
    table: sa.TableClause,
    key: Mapping[str, Any],
    values: Mapping[str, Any],
    *,
    on_insert: Mapping[str, Any] | None = None,
) -> None:
    """One row by its primary key `key`: written with `values` when it exists, else inserted
    with `key`, `on_insert` and `values`. One INSERT … ON CONFLICT DO UPDATE, so no other
    process can insert the row between a look and a write (the stores' caches and state rows
    all go through here)."""
    statement = insert_for(conn)(table).values({**key, **(on_insert or {}), **values})
    conn.execute(statement.on_conflict_do_update(index_elements=list(key), set_=dict(values)))


def from_row(cls: type[Cached], row: Any, **read: Any) -> Cached:
    """A row (a mapping) as the frozen dataclass whose fields are its columns; `read`: the
    fields made from their column otherwise (an enum, a tuple, a bool)."""
    return cls(**{f.name: read[f.name] if f.name in read else row[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class SlugCache(Generic[Cached]):
    """A one-row cache keyed by slug (the challenges' and the connections' categories, each
    table owned by its step's store), read and written as the frozen dataclass whose fields are
    its columns."""

    table: sa.TableClause
    cls: type[Cached]

    def load(self, engine: Engine, slug: str) -> Cached | None:
        with engine.connect() as conn:
            found = sa.select(self.table).where(self.table.c.slug == slug)
            row = conn.execute(found).mappings().first()
        return None if row is None else from_row(self.cls, row)

    def save(self, engine: Engine, cached: Cached) -> None:
        """One row at a time: a slug changed in the TOML file replaces the row. The name is cut
        to its column's 50 characters."""
        values = asdict(cached)
        slug = values.pop("slug")
        values.update(name=values["name"][:50], checked_at=utcnow())
        with engine.begin() as conn:
            conn.execute(sa.delete(self.table).where(self.table.c.slug != slug))
            upsert(conn, self.table, {"slug": slug}, values)

    def forget(self, engine: Engine) -> None:
        """The forum no longer has the category: the next sync finds or creates it again."""
        delete_all(engine, self.table)


def delete_all(engine: Engine, *tables: sa.TableClause) -> None:
    """Every row of the tables, in their order (referring rows first), in one transaction."""
    with engine.begin() as conn:
        for table in tables:
            conn.execute(sa.delete(table))


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers work during a sync;
    # busy_timeout makes concurrent writers wait instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        engine = sa.create_engine(url, pool_pre_ping=True)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise DatabaseError(f"BRIDGE_DATABASE_URL is not a usable SQLAlchemy URL: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine (and connection pool) per URL per process."""
    return make_engine(url)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed when the block ends and rolled back on error."""
    from sqlmodel import Session

    import bridge.models

    bridge.models.load_all()  # every table mapped before the session uses any
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _alembic_config(engine: Engine):
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Migrate the schema to the newest revision. Safe to repeat. Returns (before, after)."""
    from alembic import command

    before = current_revision(engine)
    try:
        command.upgrade(_alembic_config(engine), "head")
    except (sa.exc.OperationalError, sa.exc.DatabaseError) as exc:
        raise unusable(exc) from None
    return before, current_revision(engine) or ""


def current_revision(engine: Engine) -> str | None:
    """The revision recorded in the database's alembic_version table (None when there is none)."""
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.DatabaseError as exc:  # OperationalError included
        raise unusable(exc) from None


def head_revision() -> str:
    """Alembic's head, read from the migration scripts (slow: for `db upgrade` and tests)."""
    from alembic.script import ScriptDirectory

    return (
        ScriptDirectory.from_config(
            _alembic_config(sa.create_engine("sqlite://"))
        ).get_current_head()
        or ""
    )


def require_current_schema(engine: Engine) -> None:
    """Refuse to work on a database whose schema is missing or old, with the fix in the message."""
    if current_revision(engine) != HEAD:
        raise DatabaseError(SCHEMA_MISSING)
