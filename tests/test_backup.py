"""`digicanvis db backup FILE` (issue 26): SQLite's online backup, consistent while another
connection writes; a restored backup syncs with zero requests; PostgreSQL is sent to pg_dump."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from plugins.sync import SyncHarness, add_projects
from typer.testing import CliRunner

from bridge.backup import BackupRefused, backup_sqlite
from bridge.cli import app
from bridge.db import make_engine
from bridge.settings import Settings


def _count(url_or_path: Path) -> int:
    with sqlite3.connect(url_or_path) as conn:
        return int(conn.execute("SELECT count(*) FROM project").fetchone()[0])


def test_a_restored_backup_syncs_with_zero_requests(harness: SyncHarness, tmp_path: Path) -> None:
    add_projects(harness.engine, 4)
    first = harness.sync()
    assert first.created == 4
    if harness.engine.dialect.name != "sqlite":
        with pytest.raises(BackupRefused, match="pg_dump"):
            backup_sqlite(harness.engine, tmp_path / "copy.db")
        return
    copy = tmp_path / "copy.db"
    size = backup_sqlite(harness.engine, copy)
    assert size == copy.stat().st_size > 0
    assert not Path(f"{copy}-wal").exists()  # self-contained: journal_mode DELETE
    # Restore: the copy in place of the catalogue (here: a fresh path), then sync as before.
    restored = make_engine(f"sqlite:///{copy}")
    try:
        harness.emulator.app.stats.reset()
        again = SyncHarness(restored, harness.settings, harness.emulator).sync()
        assert (again.unchanged, again.created, again.updated, again.requests) == (4, 0, 0, 0)
        assert harness.requests() == 0
    finally:
        restored.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # SQLite's own backup API
def test_the_backup_is_consistent_while_another_connection_writes(
    engine: sa.Engine, tmp_path: Path
) -> None:
    add_projects(engine, 3)
    database = engine.url.database
    assert database is not None
    writer = sqlite3.connect(database, timeout=30)
    try:
        writer.execute("BEGIN IMMEDIATE")  # a sync's write transaction, open during the backup
        writer.execute("UPDATE project SET title = 'Changed while backing up' WHERE id = 1")
        backup_sqlite(engine, tmp_path / "during.db")
        writer.execute("COMMIT")
    finally:
        writer.close()
    assert _count(tmp_path / "during.db") == 3
    with sqlite3.connect(tmp_path / "during.db") as conn:
        (title,) = conn.execute("SELECT title FROM project WHERE id = 1").fetchone()
        assert title != "Changed while backing up"  # the uncommitted write is not in the copy
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_the_command(bridge_env: Settings, tmp_path: Path) -> None:
    target = tmp_path / "backups" / "catalogue.db"
    runner = CliRunner()
    if not bridge_env.database_url.startswith("sqlite"):
        result = runner.invoke(app, ["db", "backup", str(target)])
        assert result.exit_code == 2
        assert "pg_dump" in result.stderr and "Traceback" not in result.stderr
        return
    result = runner.invoke(app, ["db", "backup", str(target)])
    assert result.exit_code == 2 and "is not a directory" in result.stderr
    target.parent.mkdir()
    result = runner.invoke(app, ["db", "backup", str(target)])
    assert result.exit_code == 0, result.stderr
    assert f"backed up the catalogue to {target}" in result.stdout
    result = runner.invoke(app, ["db", "backup", str(target)])
    assert result.exit_code == 2 and "exists" in result.stderr
    assert runner.invoke(app, ["db", "backup", str(target), "--overwrite"]).exit_code == 0
    assert list(target.parent.iterdir()) == [target]  # no partial file left behind
