"""Issue 14 item 8: a corrupted or non-SQLite database file is a clear message and exit 2 for
every command that opens the catalogue, never a traceback. (SQLite only: the subject is a file.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from plugins.catalogue import make_records, write_records_file
from typer.testing import CliRunner

from bridge.cli import app
from bridge.db import engine_for

REPO_ROOT = Path(__file__).resolve().parents[1]

# Every command that opens the catalogue, with arguments that get it that far.
COMMANDS = [
    ["db", "upgrade"],
    ["import", "{records}"],
    ["import", "--dry-run", "{records}"],
    ["export", "{out}"],
    ["projects", "list"],
    ["projects", "list", "--json"],
    ["projects", "show", "projecte-00000"],
    ["projects", "archive", "projecte-00000"],
    ["projects", "restore", "projecte-00000"],
    ["sync"],
    ["sync", "--dry-run"],
    ["pull"],
    ["status"],
    ["status", "--json"],
    ["schedule", "--every", "1h"],
    ["webhook", "--port", "0"],
    ["demo", "--database", "{url}"],
]


def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db: Path) -> str:
    for name in list(os.environ):
        if name.startswith(("BRIDGE_", "DISCOURSE_")):
            monkeypatch.delenv(name)
    url = f"sqlite:///{db}"
    monkeypatch.setenv("BRIDGE_DATABASE_URL", url)
    monkeypatch.setenv("BRIDGE_CONFIG", str(REPO_ROOT / "config" / "bridge.toml"))
    # A forum address where nothing listens: the database must be refused before it matters.
    monkeypatch.setenv("DISCOURSE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("DISCOURSE_API_KEY", "not-used-key")
    monkeypatch.setenv("BRIDGE_WEBHOOK_SECRET", "not-used-secret")
    monkeypatch.chdir(tmp_path)
    return url


def _run(args: list[str], tmp_path: Path, url: str) -> tuple[int, str, object]:
    records = write_records_file(tmp_path / "records.json", make_records(2))
    filled = [a.format(records=records, out=tmp_path / "out.json", url=url) for a in args]
    result = CliRunner().invoke(app, filled)
    return result.exit_code, result.stderr, result.exception


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_a_file_that_is_not_a_database(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "catalogue.db"
    db.write_bytes(b"this is a spreadsheet, not a catalogue\n" * 200)
    url = _env(monkeypatch, tmp_path, db)
    code, stderr, exception = _run(args, tmp_path, url)
    engine_for(url).dispose()
    assert (code, type(exception)) == (2, SystemExit), stderr
    assert "error: the catalogue database cannot be read (file is not a database)" in stderr
    assert "Traceback" not in stderr


@pytest.fixture(scope="module")
def damaged_database(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real catalogue whose pages after the schema are overwritten: it opens, the schema
    check passes, and the first query that reaches the records fails."""
    tmp = tmp_path_factory.mktemp("damaged")
    db = tmp / "catalogue.db"
    with pytest.MonkeyPatch.context() as monkeypatch:
        url = _env(monkeypatch, tmp, db)
        assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
        records = write_records_file(tmp / "records.json", make_records(40))
        assert CliRunner().invoke(app, ["import", str(records)]).exit_code == 0
        engine_for(url).dispose()
    data = bytearray(db.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    # Deterministic damage: every page after the third becomes a repeated junk pattern.
    junk = bytes(range(256)) * (len(data) // 256 + 1)
    data[3 * page :] = junk[: len(data) - 3 * page]
    return bytes(data)


@pytest.mark.parametrize(
    "args",
    [
        ["projects", "list"],
        ["projects", "show", "projecte-00001"],
        ["export", "{out}"],
        ["status", "--json"],
        ["sync", "--dry-run"],
    ],
    ids=lambda a: " ".join(a),
)
def test_a_database_damaged_past_its_schema(
    args: list[str], damaged_database: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "catalogue.db"
    db.write_bytes(damaged_database)
    url = _env(monkeypatch, tmp_path, db)
    code, stderr, exception = _run(args, tmp_path, url)
    engine_for(url).dispose()
    assert (code, type(exception)) == (2, SystemExit), stderr
    assert "error: the catalogue database cannot be read" in stderr
