"""`digicanvis db backup FILE`: a consistent copy of a SQLite catalogue, safe while a sync runs.

SQLite's online backup API (`sqlite3.Connection.backup`) copies the database page by page under
a read transaction: with the catalogue in WAL mode (bridge.db), a sync keeps writing meanwhile and
the copy is the database as of the moment the backup began, never a half-written file (copying
the file with `cp` can catch a write between pages and leaves the -wal file behind). The copy is
written next to FILE and renamed into place, so FILE is either the old file or a whole backup.

PostgreSQL is backed up with its own tool, `pg_dump` (the message says how).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.dbapi import DatabaseError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

PG_DUMP_HINT = (
    "the catalogue is on PostgreSQL: back it up with pg_dump, e.g. "
    "`pg_dump --format=custom --file=catalogue.dump DBNAME`, and restore it with "
    "`pg_restore --clean --dbname=DBNAME catalogue.dump` (see the README, Backups)"
)


class BackupRefused(Exception):
    """The backup cannot be made as asked (another database kind, a target that exists…)."""


def backup_sqlite(engine: Engine, target: Path, *, overwrite: bool = False) -> int:
    """Copy the catalogue to `target` with SQLite's online backup; returns its size in bytes."""
    if engine.dialect.name != "sqlite":
        raise BackupRefused(PG_DUMP_HINT)
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupRefused("the catalogue is an in-memory SQLite database: nothing to back up")
    if Path(database).resolve() == target.resolve():
        raise BackupRefused("the backup file is the catalogue itself: name another file")
    if target.exists() and not overwrite:
        raise BackupRefused(f"{target} exists: name a new file, or pass --overwrite")
    if not target.parent.is_dir():
        raise BackupRefused(f"{target.parent} is not a directory")
    fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(fd)
    try:
        raw = engine.raw_connection()
        try:
            source = raw.driver_connection
            assert isinstance(source, sqlite3.Connection)
            destination = sqlite3.connect(partial)
            try:
                source.backup(destination)
                # A self-contained file: no -wal beside it to forget when copying it elsewhere.
                destination.execute("PRAGMA journal_mode=DELETE")
            finally:
                destination.close()
        finally:
            raw.close()
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise DatabaseError(f"the backup failed: {exc}") from None
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return target.stat().st_size
