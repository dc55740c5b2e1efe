"""The sync lease is the database's own lock: two processes exclude each other, and a holder
killed with SIGKILL frees it at once (no TTL to wait out). Each test runs on SQLite (an OS file
lock beside the database file) and PostgreSQL (a session advisory lock)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bridge.cli import app
from bridge.models import Lease
from bridge.settings import Settings
from bridge.sync.lease import SYNC_LEASE, LeaseHandle, LeaseHeld, running

HOLDER = "other-host pid 4242 (child)"

CHILD = textwrap.dedent(
    """
    import sys, time
    from bridge.db import make_engine
    from bridge.sync.lease import LeaseHandle

    engine = make_engine(sys.argv[1])
    with LeaseHandle.acquire(engine, "sync", holder=sys.argv[2]):
        print("held", flush=True)
        time.sleep(120)
    """
)


@pytest.fixture
def holder_process(database_url: str) -> Iterator[subprocess.Popen[str]]:
    """Another process that takes the sync lease and then hangs, holding it."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, database_url, HOLDER],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "held", proc.stderr.read() if proc.stderr else ""
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def test_a_second_process_is_refused_and_told_who_holds_it(
    engine: sa.Engine, holder_process: subprocess.Popen[str]
) -> None:
    with pytest.raises(LeaseHeld, match=r"other-host pid 4242 \(child\), since \d{4}-"):
        LeaseHandle.acquire(engine, SYNC_LEASE)
    seen = running(engine)
    assert seen is not None and seen.holder == HOLDER


def test_a_holder_killed_with_sigkill_frees_the_lock_at_once(
    engine: sa.Engine, holder_process: subprocess.Popen[str]
) -> None:
    holder_process.kill()  # SIGKILL: no cleanup runs, the lease row stays behind
    holder_process.wait(timeout=10)
    with engine.connect() as conn:
        assert conn.execute(sa.select(Lease.__table__.c.holder)).scalar() == HOLDER
    assert running(engine) is None  # the leftover row is not a live holder
    # No TTL to wait out: the next acquire takes it now and records itself as the holder.
    with LeaseHandle.acquire(engine, SYNC_LEASE, holder="next run") as lease:
        seen = running(engine)
        assert seen is not None and seen.holder == lease.holder == "next run"
    assert running(engine) is None


def test_the_lock_is_free_again_after_a_clean_release(engine: sa.Engine) -> None:
    with (
        LeaseHandle.acquire(engine, SYNC_LEASE, holder="first"),
        pytest.raises(LeaseHeld, match="first"),
    ):
        LeaseHandle.acquire(engine, SYNC_LEASE, holder="second")
    with LeaseHandle.acquire(engine, SYNC_LEASE, holder="second"):
        pass
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(Lease.__table__)).scalar() == 0


def test_status_shows_a_live_holder_and_since_when(
    bridge_env: Settings, holder_process: subprocess.Popen[str]
) -> None:
    result = CliRunner().invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["running"]["holder"] == HOLDER and report["running"]["since"]
    text = CliRunner().invoke(app, ["status"])
    assert f"running: {HOLDER}, since" in text.stdout
    holder_process.kill()
    holder_process.wait(timeout=10)
    assert json.loads(CliRunner().invoke(app, ["status", "--json"]).stdout)["running"] is None


@pytest.mark.postgres
def test_a_lost_lock_connection_is_lease_lost_and_the_lock_is_free(postgres_url: str) -> None:
    """PostgreSQL ends the session holding the lock (an administrator's pg_terminate_backend,
    a server restart): the holder's next check stops it, and the lock is free for the next run."""
    from bridge.db import make_engine
    from bridge.sync.lease import LeaseLost, renew

    engine = make_engine(postgres_url)
    try:
        handle = LeaseHandle.acquire(engine, SYNC_LEASE, holder="doomed run")
        with engine.connect() as conn:
            ended = conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                    " AND database = (SELECT oid FROM pg_database"
                    " WHERE datname = current_database())"
                )
            ).all()
        assert ended == [(True,)]  # the README's way to end a hung holder from the database
        with pytest.raises(LeaseLost, match="connection holding the sync lock was lost"):
            renew(engine, SYNC_LEASE, "doomed run")
        handle.release()  # no error: the dead connection is discarded, not reused
        assert running(engine) is None
        with LeaseHandle.acquire(engine, SYNC_LEASE, holder="next run"):
            assert running(engine) is not None
    finally:
        engine.dispose()
