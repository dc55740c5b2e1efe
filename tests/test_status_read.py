"""`status` reads through the driver alone (bridge.dbapi, issue 15): the sync state's counts,
the run log, the challenges and the lock's holder come out of sqlite3 and psycopg as the models
would give them, and the same SQL run on an engine's connection (what the stores call) agrees.
Each test runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from plugins.catalogue import make_records, write_records_file

import bridge.models
from bridge.catalogue.importer import run_import
from bridge.challenges import read_store as challenges_read
from bridge.challenges import store as challenges_store
from bridge.db import make_engine
from bridge.dbapi import connect
from bridge.models import Lease, Project, SyncRun, SyncState
from bridge.models.challenges import Challenge
from bridge.models.columns import UTCDateTime
from bridge.models.enums import ChallengeStatus
from bridge.sync import lease, lease_read, runs_read, state_read
from bridge.sync import store as sync_store
from bridge.sync.lease import SYNC_LEASE, LeaseHandle

T0 = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
REFUSED = "HTTP 422: Title has already been used"


def _table(model: type) -> sa.Table:
    return model.__table__  # type: ignore[attr-defined, no-any-return]


def _fill(engine: sa.Engine, tmp_path: Path) -> list[str]:
    """Six records: never synced, synced, failed, drift (title, tags), pending, archived and
    closed; two runs, a challenge and a lease row. Returns the refs in order."""
    source = write_records_file(tmp_path / "r.json", make_records(6))
    assert not run_import(engine, [source]).problems
    P, S = _table(Project), _table(SyncState)
    with engine.begin() as conn:
        rows = conn.execute(sa.select(P.c.id, P.c.ref, P.c.content_hash).order_by(P.c.ref)).all()
        conn.execute(sa.update(P).where(P.c.id == rows[5][0]).values(archived=True))
        kinds = (None, "synced", "failed", "drift", "synced", "synced")
        for n, ((pid, _ref, content_hash), kind) in enumerate(zip(rows, kinds, strict=True)):
            if kind is None:
                continue
            conn.execute(
                sa.insert(S).values(
                    project_id=pid,
                    external_id=f"dc-status-{n}",
                    topic_id=None if kind == "failed" else 500 + n,
                    state=kind,
                    # The fifth record changed since its last sync: pending at read time.
                    content_hash="0" * 64 if n == 4 else content_hash,
                    closed=n == 5,
                    last_error="HTTP 422: Title has already been used"
                    if kind == "failed"
                    else None,
                    drift=["title", "tags"] if kind == "drift" else None,
                    updated_at=T0,
                )
            )
        counts = dict.fromkeys(runs_read.RUN_COUNTS, 0) | {"requests": 0}
        runs = (
            {
                "kind": "sync", "started_at": T0, "finished_at": T0 + timedelta(seconds=4),
                "status": "partial", **counts, "created": 3, "failed": 1, "requests": 9,
                "failures": [{"ref": rows[2][1], "error": "HTTP 500"}], "message": None,
                "holder": "host:1",
            },
            {
                "kind": "pull", "started_at": T0 + timedelta(hours=1), "finished_at": None,
                "status": "running", **counts, "failures": None, "message": "reading",
                "holder": "host:2",
            },
        )  # fmt: skip
        for run in runs:
            conn.execute(sa.insert(_table(SyncRun)).values(**run))
        conn.execute(
            sa.insert(_table(Challenge)).values(
                topic_id=77, title="Cens digital", author="marta", status="reply_deleted",
                matched_refs=[rows[1][1]], reply_post_id=901, posts_count=3,
                first_seen_at=T0, bumped_at=T0 + timedelta(minutes=5), updated_at=T0,
            )
        )  # fmt: skip
        conn.execute(
            sa.insert(_table(Lease)).values(
                name="sync", holder="leftover", acquired_at=T0, expires_at=T0 + timedelta(90)
            )
        )
    return [ref for _, ref, _ in rows]


def test_status_reads_what_was_stored_through_the_driver_and_an_engine_alike(
    database_url: str, engine: sa.Engine, tmp_path: Path
) -> None:
    refs = _fill(engine, tmp_path)
    with connect(database_url) as rows:
        report = state_read.status_report(rows)
        challenges = challenges_read.rows(rows)
        holder = lease_read.read_holder(rows, SYNC_LEASE)
        running = lease_read.running(rows)
    assert {k: report[k] for k in ("records", "never_synced", "pending", "failed")} == {
        "records": 6,
        "never_synced": 2,  # the unsynced record and the failed create (no topic either)
        "pending": 1,
        "failed": 1,
    }
    assert report["failures"] == [
        {"ref": refs[2], "error": "HTTP 422: Title has already been used"}
    ]
    assert report["drift"] == [{"ref": refs[3], "what": ["title", "tags"]}]
    (sync,) = report["last_runs"]
    assert (
        sync["start"] == T0.isoformat() and sync["end"] == (T0 + timedelta(seconds=4)).isoformat()
    )
    assert sync["counts"] == {
        "created": 3, "updated": 0, "unchanged": 0, "archived": 0, "restored": 0, "adopted": 0,
        "failed": 1,
    }  # fmt: skip
    assert sync["failures"] == [{"ref": refs[2], "error": "HTTP 500"}]
    assert (sync["kind"], sync["status"], sync["requests"]) == ("sync", "partial", 9)
    (pull,) = report["last_pulls"]
    assert pull["end"] is None and pull["failures"] == [] and pull["message"] == "reading"
    (challenge,) = challenges
    assert challenge["status"] is ChallengeStatus.reply_deleted
    assert challenge["matched_refs"] == [refs[1]] and challenge["first_seen_at"] == T0
    assert challenge["bumped_at"] == T0 + timedelta(minutes=5) and challenge["answered_at"] is None
    assert holder is not None and (holder.holder, holder.since) == ("leftover", T0)
    assert running is None  # a row without its lock is a leftover, not a live holder
    # The engine-based reads of the tables' owners run the same SQL on SQLAlchemy's connection.
    assert sync_store.status_report(engine) == report
    assert challenges_store.rows(engine) == challenges
    assert lease.running(engine) is None


def test_a_held_lock_is_shown_with_its_holder_or_as_another_process(
    database_url: str, engine: sa.Engine
) -> None:
    with LeaseHandle.acquire(engine, SYNC_LEASE, holder="this test") as handle:
        with connect(database_url) as rows:
            seen = lease_read.running(rows)
        assert seen is not None and seen.holder == handle.holder == "this test"
        assert seen.heartbeat_until > seen.since
        # The lock is what counts: taken with no row (yet) naming its holder.
        with engine.begin() as conn:
            conn.execute(sa.delete(_table(Lease)))
        with connect(database_url) as rows:
            anonymous = lease_read.running(rows)
        assert anonymous is not None and anonymous.holder == "another process"
        through_engine = lease.running(engine)
        assert through_engine is not None and through_engine.holder == "another process"
    with connect(database_url) as rows:
        assert lease_read.running(rows) is None
    assert lease.running(engine) is None


def test_a_percent_encoded_sqlite_path_names_the_file_and_lock_sqlalchemy_uses(
    tmp_path: Path, _sqlite_template: Path
) -> None:
    """`sqlite:///my%20catalogue.db` is "my catalogue.db" to SQLAlchemy (the sync's engine): the
    driver's connection must open that file, and `status` probe the lock beside it."""
    path = tmp_path / "my catalogue #1.db"
    path.write_bytes(_sqlite_template.read_bytes())
    url = "sqlite:///" + quote(str(path))
    assert "%20" in url
    engine = make_engine(url)
    try:
        assert engine.url.database == str(path)
        with LeaseHandle.acquire(engine, SYNC_LEASE, holder="encoded"):
            with connect(url) as rows:  # refuses a new, empty file (schema missing)
                assert rows.database == str(path)
                seen = lease_read.running(rows)
            assert seen is not None and seen.holder == "encoded"
        assert (tmp_path / "my catalogue #1.db.sync.lock").exists()
        assert sorted(p.name for p in tmp_path.iterdir() if "%" in p.name) == []
    finally:
        engine.dispose()


def test_the_readers_name_every_column_of_their_models_with_its_conversion() -> None:
    """The readers unpack rows by position and convert timestamps and JSON themselves."""
    tables = bridge.models.load_all().tables
    challenge = tables["challenge"]
    assert tuple(c.name for c in challenge.c) == challenges_read.COLUMNS
    assert {
        c.name for c in challenge.c if isinstance(c.type, UTCDateTime)
    } == challenges_read.TIMESTAMPS
    assert {c.name for c in challenge.c if isinstance(c.type, sa.JSON)} == challenges_read.JSON
    runs = tables["sync_run"]
    assert set(runs_read.COLUMNS) == {c.name for c in runs.c}
    # Issue 28 added key_accepted_at, read by its own query (runs_read.key_accepted_at).
    assert [runs_read.COLUMNS[i] for i in (2, 3, -1)] == [
        c.name for c in runs.c if isinstance(c.type, UTCDateTime)
    ]
    assert [c.name for c in runs.c if isinstance(c.type, sa.JSON)] == ["failures"]
    assert runs_read.COLUMNS[-6] == "failures"
