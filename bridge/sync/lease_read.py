"""Who holds a lease, read through a `bridge.dbapi.Rows`: the lock itself and the `lease` row
that names its holder, without SQLAlchemy (issue 15: `status` shows a live sync).

`bridge.sync.lease` owns the locks and the row (taking, renewing, releasing); it asks the same
questions through the functions here, so that "is the lock taken?" has one answer:
- PostgreSQL: is the session advisory lock of the lease's key granted in this database
  (`pg_locks`)?
- SQLite: is the OS file lock beside the database file taken (a probe that takes it for an
  instant and gives it back)?
A lock is the truth; the row only says who and since when, and a holder whose row is missing
(or not yet written) is shown as "another process".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bridge.dbapi import Rows, as_utc

SYNC_LEASE = "sync"


@dataclass(frozen=True)
class Holder:
    """Who holds a lease, for `status`."""

    name: str
    holder: str
    since: datetime
    heartbeat_until: datetime  # the holder's heartbeat thread last vouched for it until then


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key per lease name (advisory locks are scoped to the database)."""
    import hashlib  # here: only PostgreSQL's lock needs it, and `status` starts without it

    digest = hashlib.blake2b(f"digicanvis-lease:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def in_memory(database: str | None) -> bool:
    """An in-memory SQLite database: no other process can open it (its lock is in-process)."""
    return not database or database == ":memory:" or database.startswith("file::memory:")


def lock_file(database: str, name: str) -> Path:
    """The file whose OS lock is the lease of a SQLite catalogue (`bridge.db.sync.lock`)."""
    return Path(f"{database}.{name}.lock")


# pg_locks shows a bigint advisory key as classid (high half), objid (low half), objsubid 1;
# scoped to this database.
_ADVISORY_SQL = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND classid = ? AND objid = ? AND objsubid = 1"
)


def advisory_lock_held(rows: Rows, name: str) -> bool:
    """Whether any session holds the lease's advisory lock (PostgreSQL)."""
    unsigned = advisory_key(name) & 0xFFFFFFFFFFFFFFFF
    found = rows.all(_ADVISORY_SQL, (unsigned >> 32, unsigned & 0xFFFFFFFF))
    return bool(found[0][0])


def file_lock_held(path: Path) -> bool:
    """Whether any process holds the OS lock on `path` (SQLite): try it without waiting."""
    import filelock  # here: only SQLite's lock needs it, and `status` starts without it

    probe = filelock.FileLock(str(path), thread_local=False)
    try:
        probe.acquire(timeout=0)
    except filelock.Timeout:
        return True
    probe.release()
    return False


def read_holder(rows: Rows, name: str) -> Holder | None:
    """The lease row: who last took the lock and since when (None when there is none)."""
    found = rows.all("SELECT holder, acquired_at, expires_at FROM lease WHERE name = ?", (name,))
    if not found:
        return None
    holder, acquired_at, expires_at = found[0]
    return Holder(name, holder, as_utc(acquired_at), as_utc(expires_at))  # type: ignore[arg-type]


def holder_of(rows: Rows, name: str) -> Holder:
    """Who holds a lock known to be taken: its row, or "another process" when it has none yet
    (taken, its row not yet written)."""
    now = datetime.now(UTC)
    return read_holder(rows, name) or Holder(name, "another process", now, now)


def running(rows: Rows, name: str = SYNC_LEASE) -> Holder | None:
    """The live holder of a lease (its lock is taken), for `status`; None when it is free.

    An in-memory SQLite database is never held here: a driver connection to one is a new, empty
    database, and `bridge.dbapi.connect` refuses it before this is asked (the engine-based
    `bridge.sync.lease.running` knows this process's own in-memory locks)."""
    if rows.dialect == "postgresql":
        held = advisory_lock_held(rows, name)
    else:
        database = rows.database
        held = (
            database is not None
            and not in_memory(database)
            and file_lock_held(lock_file(database, name))
        )
    return holder_of(rows, name) if held else None
