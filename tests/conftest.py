"""Fixtures every test may use.

Databases: tests that take `engine`, `database_url` or `bridge_env` run once on SQLite and once
on PostgreSQL. PostgreSQL is BRIDGE_TEST_POSTGRES_URL when set (.ci/run gives a fresh database),
else a scratch database created on postgres@127.0.0.1:5432 and dropped afterwards. Where no
server is reachable those runs are skipped with the reason, except when CI=true, where they fail.

Shared data: `shared_dir` is ../shared beside the repository (or BRIDGE_SHARED_DIR); tests that
need it skip where it is absent, except when CI=true, where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from bridge.db import make_engine, upgrade
from bridge.settings import Settings, load_settings

pytest_plugins = [
    "plugins.emulator",
    "plugins.catalogue",
    "plugins.sync",
    "plugins.forum",
    "plugins.challenges",
    "plugins.connections",
]

IN_CI = os.environ.get("CI", "").lower() == "true"
REPO_ROOT = Path(__file__).resolve().parent.parent
_PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def skip_or_fail(reason: str) -> None:
    """Skip with the reason on a laptop; fail under CI=true, where nothing may be skipped
    silently."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this must not be skipped)")
    pytest.skip(reason)


# --------------------------------------------------------------------------- shared data


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    path = Path(os.environ.get("BRIDGE_SHARED_DIR", REPO_ROOT.parent / "shared"))
    if not (path / "data").is_dir() or not (path / "discourse").is_dir():
        skip_or_fail(f"shared reference data not found at {path} (set BRIDGE_SHARED_DIR)")
    return path


# --------------------------------------------------------------------------- databases


def _truncate_all(engine: sa.Engine) -> None:
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(sa.text(f"DELETE FROM {name}"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database for this test session (one per xdist worker)."""
    given = os.environ.get("BRIDGE_TEST_POSTGRES_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    admin_url = _PG_ADMIN_URL
    if given:
        if not worker or worker == "gw0":
            engine = make_engine(given)
            try:
                upgrade(engine)
            except Exception as exc:
                skip_or_fail(f"PostgreSQL at BRIDGE_TEST_POSTGRES_URL is not usable: {exc}")
            engine.dispose()
            yield given
            return
        admin_url = given
    name = f"bridge_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        skip_or_fail(
            f"no PostgreSQL reachable at 127.0.0.1:5432 as user postgres ({type(exc).__name__})"
        )
    url = sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path
) -> Iterator[str]:
    """The URL of an empty, migrated catalogue: a copy of a migrated SQLite file, or the session's
    PostgreSQL database emptied for this test."""
    if request.param == "sqlite":
        path = tmp_path / "catalogue.db"
        path.write_bytes(_sqlite_template.read_bytes())
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    _truncate_all(engine)
    engine.dispose()
    yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def bridge_env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Settings:
    """A clean environment for the CLI: the test's catalogue, no forum, the repository's TOML
    file."""
    for name in list(os.environ):
        if name.startswith(("BRIDGE_", "DISCOURSE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("BRIDGE_CONFIG", str(REPO_ROOT / "config" / "bridge.toml"))
    monkeypatch.chdir(tmp_path)
    # Engines are cached per URL; a test's URL is unique, so a stale engine is never reused.
    return load_settings()
