"""One sync at a time per catalogue: the database's own lock, which dies with its holder.

- PostgreSQL: a session advisory lock (`pg_try_advisory_lock`) taken on a connection that the
  holder keeps open for the whole run. The server releases it the moment that connection closes,
  and the kernel closes a killed process's sockets, so a re-run after SIGKILL proceeds at once.
- SQLite: an OS file lock (`filelock`, i.e. `flock`) on a file beside the database file
  (`bridge.db.sync.lock`). The kernel drops it when the process dies, however it dies.
- SQLite in memory: a lock inside this process (nobody else can open that database).

The `lease` row is no longer the lock: it says who holds it and since when (for `status` and for
the message a second sync gets). A holder's heartbeat thread refreshes `expires_at`, so a row
whose heartbeat is old, or whose lock is free, is a leftover of a killed holder and is simply
overwritten by the next one. A live but hung holder keeps its lock: `status` names it (host,
pid, since when) and the README says how to end it.

Whether a lock is taken, and the row, are read by `bridge.sync.lease_read` (plain SQL that
`status` runs without SQLAlchemy); the checks here ask through it, so both give one answer.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar, Protocol

import filelock
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bridge.db import upsert
from bridge.dbapi import EngineRows, rows_of
from bridge.models import read_tables
from bridge.models.columns import utcnow
from bridge.sync import lease_read
from bridge.sync.lease_read import SYNC_LEASE as SYNC_LEASE
from bridge.sync.lease_read import Holder as Holder

DEFAULT_TTL = 90.0  # seconds a heartbeat is trusted for by `status` (the lock itself has no TTL)
RENEW_EVERY = 20.0
# A status probe of the SQLite file lock holds it for microseconds; a sync starting at that very
# moment waits this long rather than being refused.
_FILE_LOCK_WAIT = 0.5

# The light table (bridge.models.read_tables), not the model's: `status` asks who holds the lease
# and must not load the ORM for it (issue 15). The model `Lease` still defines the schema.
_lease = read_tables.lease


class LeaseHeld(Exception):
    """Someone else holds the lease. The message names the holder and since when."""

    def __init__(self, name: str, holder: str, since: datetime) -> None:
        super().__init__(
            f"another {name} is running against this catalogue ({holder}, since "
            f"{since:%Y-%m-%d %H:%M:%S} UTC) — try again when it ends; if it hangs, end that "
            "process (a killed holder frees the lock at once)"
        )
        self.holder = holder
        self.since = since


class LeaseLost(Exception):
    """Our lock went away (the database connection that held it was lost): stop writing."""


def make_holder() -> str:
    """Who we are, readable by a person: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()} pid {os.getpid()} ({uuid.uuid4().hex[:8]})"


# --------------------------------------------------------------------------- the locks


class _Lock(Protocol):
    def try_acquire(self) -> bool: ...
    def held_by_anyone(self) -> bool: ...
    def check(self) -> None: ...
    def release(self) -> None: ...


class _AdvisoryLock:
    def __init__(self, engine: Engine, name: str) -> None:
        self.engine, self.name, self.key = engine, name, lease_read.advisory_key(name)
        self.conn: Connection | None = None

    def try_acquire(self) -> bool:
        # Autocommit: the connection idles outside any transaction for the whole run, so no
        # idle-in-transaction timeout ends it and no snapshot is held open.
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key})
            if got.scalar():
                self.conn = conn
                return True
        except BaseException:
            conn.invalidate()
            raise
        conn.close()
        return False

    def held_by_anyone(self) -> bool:
        with self.engine.connect() as conn:
            return lease_read.advisory_lock_held(EngineRows(conn), self.name)

    def check(self) -> None:
        if self.conn is None:
            raise LeaseLost("the lock is not held")
        try:
            self.conn.execute(sa.text("SELECT 1"))
        except sa.exc.DBAPIError:
            raise LeaseLost(
                "the database connection holding the sync lock was lost; another run may have "
                "started, so this one stops"
            ) from None

    def release(self) -> None:
        conn, self.conn = self.conn, None
        if conn is None:
            return
        try:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            conn.close()
        except Exception:
            # Never return a connection that may still hold the lock to the pool: closing the
            # DBAPI connection ends the session, and the server drops its locks.
            conn.invalidate()


class _FileLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = filelock.FileLock(str(path), thread_local=False)

    def try_acquire(self) -> bool:
        try:
            self.lock.acquire(timeout=_FILE_LOCK_WAIT)
        except filelock.Timeout:
            return False
        return True

    def held_by_anyone(self) -> bool:
        return lease_read.file_lock_held(self.path)

    def check(self) -> None:
        pass  # the kernel keeps a file lock for as long as this process lives

    def release(self) -> None:
        if self.lock.is_locked:
            self.lock.release(force=True)


class _ProcessLock:
    """For an in-memory SQLite database, which no other process can open."""

    _held: ClassVar[set[tuple[int, str]]] = set()
    _guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, engine: Engine, name: str) -> None:
        self.key = (id(engine), name)
        self.mine = False

    def try_acquire(self) -> bool:
        with self._guard:
            if self.key in self._held:
                return False
            self._held.add(self.key)
        self.mine = True
        return True

    def held_by_anyone(self) -> bool:
        return self.key in self._held

    def check(self) -> None:
        pass

    def release(self) -> None:
        if self.mine:
            with self._guard:
                self._held.discard(self.key)
            self.mine = False


def _lock_for(engine: Engine, name: str) -> _Lock:
    if engine.dialect.name == "postgresql":
        return _AdvisoryLock(engine, name)
    database = engine.url.database
    if database is None or lease_read.in_memory(database):
        return _ProcessLock(engine, name)
    return _FileLock(lease_read.lock_file(database, name))


# --------------------------------------------------------------------------- the holder row


def _write_holder(engine: Engine, name: str, holder: str, ttl: float) -> None:
    now = utcnow()
    values = {"holder": holder, "acquired_at": now, "expires_at": now + timedelta(seconds=ttl)}
    with engine.begin() as conn:
        upsert(conn, _lease, {"name": name}, values)


def _read_holder(engine: Engine, name: str) -> Holder | None:
    with rows_of(engine) as rows:
        return lease_read.read_holder(rows, name)


# Locks held by this process, by (engine, name, holder): the module-level functions below work
# on them, so callers that only know the holder string can renew and release.
_held: dict[tuple[int, str, str], _Lock] = {}
_held_guard = threading.Lock()


def try_acquire(engine: Engine, name: str, holder: str, ttl: float = DEFAULT_TTL) -> bool:
    """Take the lock without waiting; on success record `holder` as its holder."""
    key = (id(engine), name, holder)
    with _held_guard:
        if key in _held:
            return True
    lock = _lock_for(engine, name)
    if not lock.try_acquire():
        return False
    try:
        _write_holder(engine, name, holder, ttl)
    except BaseException:
        lock.release()
        raise
    with _held_guard:
        _held[key] = lock
    return True


def current(engine: Engine, name: str) -> tuple[str, datetime] | None:
    """(holder, since) of a live holder of the lease, or None when nobody holds its lock."""
    seen = running(engine, name)
    return (seen.holder, seen.since) if seen else None


def running(engine: Engine, name: str = SYNC_LEASE) -> Holder | None:
    """The live holder of a lease (its lock is taken); None when it is free. The same questions
    as `lease_read.running` (what `status` asks), and this process's in-memory locks."""
    if not _lock_for(engine, name).held_by_anyone():
        return None
    with rows_of(engine) as rows:
        return lease_read.holder_of(rows, name)


def renew(engine: Engine, name: str, holder: str, ttl: float = DEFAULT_TTL) -> None:
    """Prove the lock is still ours and refresh the heartbeat `status` shows."""
    with _held_guard:
        lock = _held.get((id(engine), name, holder))
    if lock is None:
        raise LeaseLost(f"the {name} lease is not held by {holder}")
    lock.check()
    with engine.begin() as conn:
        conn.execute(
            sa.update(_lease)
            .where(_lease.c.name == name, _lease.c.holder == holder)
            .values(expires_at=utcnow() + timedelta(seconds=ttl))
        )


def release(engine: Engine, name: str, holder: str) -> None:
    with _held_guard:
        lock = _held.pop((id(engine), name, holder), None)
    try:
        with engine.begin() as conn:
            conn.execute(sa.delete(_lease).where(_lease.c.name == name, _lease.c.holder == holder))
    finally:
        if lock is not None:
            lock.release()


class LeaseHandle:
    """A held lease, with a daemon thread that checks the lock and refreshes the heartbeat every
    `renew_every` seconds.

    A thread rather than checks between actions: a single request may wait minutes for the
    forum's rate-limit window. `check()` raises LeaseLost in the working thread when the lock's
    connection was lost.
    """

    def __init__(self, engine: Engine, name: str, holder: str, ttl: float = DEFAULT_TTL) -> None:
        self.engine, self.name, self.holder, self.ttl = engine, name, holder, ttl
        self.renew_every = min(RENEW_EVERY, ttl / 3)
        self._stop = threading.Event()
        self._lost: LeaseLost | None = None
        self._thread = threading.Thread(target=self._run, name=f"lease-{name}", daemon=True)
        self._thread.start()

    @classmethod
    def acquire(
        cls,
        engine: Engine,
        name: str = SYNC_LEASE,
        holder: str | None = None,
        ttl: float = DEFAULT_TTL,
    ) -> LeaseHandle:
        holder = holder or make_holder()
        if not try_acquire(engine, name, holder, ttl):
            seen = _read_holder(engine, name)
            if seen is None:
                raise LeaseHeld(name, "another process", utcnow())
            raise LeaseHeld(name, seen.holder, seen.since)
        return cls(engine, name, holder, ttl)

    def _run(self) -> None:
        while not self._stop.wait(self.renew_every):
            try:
                renew(self.engine, self.name, self.holder, self.ttl)
            except LeaseLost as exc:
                self._lost = exc
                return
            except Exception:
                continue

    def check(self) -> None:
        if self._lost is not None:
            raise self._lost

    def release(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        release(self.engine, self.name, self.holder)

    def __enter__(self) -> LeaseHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
