"""One sync at a time per catalogue: a lease row in the database (SQLite and PostgreSQL).

Acquire is atomic without table locks: `INSERT … ON CONFLICT DO NOTHING` takes a free lease;
otherwise one `UPDATE … WHERE expires_at < now OR holder = me` takes an expired one (or renews
our own). Only one of two racing processes can see rowcount 1 from either statement, because both
run under the database's own row locking. The holder renews the lease while it works; a process
that dies (SIGKILL, power cut) simply stops renewing and the lease expires after `ttl` seconds,
so nobody waits for a dead process forever.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from bridge.models import Lease
from bridge.models.types import utcnow

SYNC_LEASE = "sync"
DEFAULT_TTL = 90.0  # seconds: longer than any single request with its retries takes
RENEW_EVERY = 20.0

_lease = Lease.__table__


class LeaseHeld(Exception):
    """Someone else holds the lease. The message names the holder and when it expires."""

    def __init__(self, name: str, holder: str, expires_at: datetime) -> None:
        seconds = max(0, int((expires_at - utcnow()).total_seconds()))
        super().__init__(
            f"another {name} is running against this catalogue ({holder}); "
            f"its lease expires in {seconds} s unless it renews it — try again later"
        )
        self.holder = holder
        self.expires_at = expires_at


class LeaseLost(Exception):
    """Our lease expired and someone else took it: stop before writing anything more."""


def make_holder() -> str:
    """Who we are, readable by a person: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()} pid {os.getpid()} ({uuid.uuid4().hex[:8]})"


def _insert(engine: Engine):
    return (postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert)(_lease)


def try_acquire(engine: Engine, name: str, holder: str, ttl: float = DEFAULT_TTL) -> bool:
    now = utcnow()
    expires = now + timedelta(seconds=ttl)
    with engine.begin() as conn:
        inserted = conn.execute(
            _insert(engine)
            .values(name=name, holder=holder, acquired_at=now, expires_at=expires)
            .on_conflict_do_nothing(index_elements=["name"])
        ).rowcount
        if inserted == 1:
            return True
        taken = conn.execute(
            sa.update(_lease)
            .where(
                _lease.c.name == name, sa.or_(_lease.c.expires_at < now, _lease.c.holder == holder)
            )
            .values(holder=holder, acquired_at=now, expires_at=expires)
        ).rowcount
        return taken == 1


def current(engine: Engine, name: str) -> tuple[str, datetime] | None:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(_lease.c.holder, _lease.c.expires_at).where(_lease.c.name == name)
        ).first()
    return (row[0], row[1]) if row else None


def renew(engine: Engine, name: str, holder: str, ttl: float = DEFAULT_TTL) -> None:
    with engine.begin() as conn:
        renewed = conn.execute(
            sa.update(_lease)
            .where(_lease.c.name == name, _lease.c.holder == holder)
            .values(expires_at=utcnow() + timedelta(seconds=ttl))
        ).rowcount
    if renewed != 1:
        raise LeaseLost(f"the {name} lease was lost (it expired and another process took it)")


def release(engine: Engine, name: str, holder: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.delete(_lease).where(_lease.c.name == name, _lease.c.holder == holder))


class LeaseHandle:
    """A held lease, renewed by a daemon thread every `renew_every` seconds.

    A thread rather than renewals between actions: a single request may wait minutes for the
    forum's rate-limit window, longer than the lease lives. The thread dies with the process, so a
    killed sync still lets its lease expire. `check()` raises LeaseLost in the working thread when
    a renewal found the lease taken by someone else.
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
            seen = current(engine, name)
            if seen is None and try_acquire(engine, name, holder, ttl):  # released in between
                return cls(engine, name, holder, ttl)
            seen = seen or current(engine, name) or ("another process", utcnow())
            raise LeaseHeld(name, *seen)
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
        if self._lost is None:
            release(self.engine, self.name, self.holder)

    def __enter__(self) -> LeaseHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
