"""Start-up cost (issue 15): each command imports what it needs and nothing else.

Every command runs in a fresh interpreter, which then lists the modules it loaded. `--help` loads
Typer and the command tree only; the catalogue's read commands (`projects list/show --json`,
`export`, `status`) read through the database driver alone (bridge.dbapi): no SQLAlchemy, ORM,
SQLModel, pydantic, rich, HTTP client, scheduler or emulator (`status` without --json prints its
run tables with rich). pydantic stays out because Typer is kept below 0.29, which checks every
parameter with it (pyproject.toml says why).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from plugins.catalogue import Run, make_records, write_records_file
from tests_support import modules_loaded

from bridge.sync.lease import SYNC_LEASE, LeaseHandle

NEVER = (
    "sqlmodel",
    "sqlalchemy.orm",
    "pydantic_settings",
    "bridge.settings",
    "bridge.models.catalogue",
    "bridge.models.sync",
    "bridge.sync.runner",
    "bridge.jobs.sync_run",
    "bridge.sync.plan",
    "alembic",
    "rich",
    "requests",
    "pydiscourse",
    "apscheduler",
    "waitress",
    "bridge.emulator",
    "bridge.forum.client",
    "bridge.loop.pull",
)
NOT_FOR_HELP = (*NEVER, "sqlalchemy", "yaml", "bridge.db", "bridge.catalogue.store")


def _modules(tmp_path: Path, *args: str) -> set[str]:
    return modules_loaded(tmp_path, *args, timeout=120)[0]


def _loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(
        m for m in modules if m in packages or m.startswith(tuple(f"{p}." for p in packages))
    )


def test_help_loads_typer_and_the_command_tree_only(tmp_path: Path) -> None:
    modules = _modules(tmp_path, "--help")
    assert "bridge.cli.catalogue" in modules and "typer" in modules
    assert _loaded(modules, (*NOT_FOR_HELP, "pydantic")) == []
    for command in (["projects", "--help"], ["projects", "list", "--help"], ["status", "--help"]):
        assert _loaded(_modules(tmp_path, *command), (*NOT_FOR_HELP, "pydantic")) == [], command


def test_read_commands_load_neither_orm_nor_rich_nor_forum(
    cli: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = make_records(12)
    assert cli("import", write_records_file(tmp_path / "r.json", records)).exit_code == 0
    for args in (
        ["projects", "list", "--json"],
        ["projects", "list", "--json", "--area", "citizen-care", "--sort", "recent"],
        ["projects", "show", records[3]["ref"], "--json"],
        ["export", str(tmp_path / "out.json")],
    ):
        modules = _modules(tmp_path, *args)
        assert "bridge.catalogue.read_store" in modules and "bridge.dbapi" in modules
        assert _loaded(modules, (*NEVER, "sqlalchemy", "pydantic", "bridge.db")) == [], args
    # With an operator's file, its keys are checked (issue 27) without pydantic either.
    operators = tmp_path / "operators.toml"
    operators.write_text('[schedule]\ninterval = "5m"\n', encoding="utf-8")
    monkeypatch.setenv("BRIDGE_CONFIG", str(operators))
    modules = _modules(tmp_path, "projects", "list", "--json")
    assert "bridge.config_schema" in modules
    assert _loaded(modules, (*NEVER, "sqlalchemy", "pydantic", "bridge.db")) == []


def test_status_reads_through_the_driver_alone(
    cli: Callable[..., Run], engine: sa.Engine, tmp_path: Path
) -> None:
    """Sync state, run log, challenges and the lock's holder: all read without SQLAlchemy, with
    the lock held by another connection so that its holder is read too."""
    assert cli("import", write_records_file(tmp_path / "r.json", make_records(6))).exit_code == 0
    lean = (*NEVER, "sqlalchemy", "pydantic", "bridge.db", "bridge.sync.store")
    with LeaseHandle.acquire(engine, SYNC_LEASE, holder="a test's sync"):
        modules = _modules(tmp_path, "status", "--json")
        assert "bridge.dbapi" in modules and "bridge.sync.lease_read" in modules
        assert _loaded(modules, lean) == []
        text = _modules(tmp_path, "status")
        assert "rich" in text  # the text form's tables
        assert _loaded(text, tuple(name for name in lean if name != "rich")) == []
        assert json.loads(cli("status", "--json").stdout)["running"]["holder"] == "a test's sync"
    shown = json.loads(cli("status", "--json").stdout)
    assert shown["records"] == 6 and shown["running"] is None


def test_a_json_or_csv_export_loads_no_yaml_and_challenges_list_reads_lean(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    """Issue 20 defect 5: PyYAML only for YAML files; `challenges list` through the driver alone
    (it loaded SQLAlchemy and pydantic)."""
    assert cli("import", write_records_file(tmp_path / "r.json", make_records(6))).exit_code == 0
    lean = (*NEVER, "sqlalchemy", "pydantic", "bridge.db", "yaml")
    for name in ("out.json", "out.csv"):
        modules = _modules(tmp_path, "export", str(tmp_path / name))
        assert _loaded(modules, lean) == [], name
    assert "yaml" in _modules(tmp_path, "export", str(tmp_path / "out.yaml"))
    modules = _modules(tmp_path, "challenges", "list", "--json", "--all")
    assert "bridge.dbapi" in modules
    assert _loaded(modules, (*NEVER, "sqlalchemy", "pydantic", "bridge.db")) == []
    text = _modules(tmp_path, "challenges", "list")  # its text goes through rich, as status's
    without_rich = tuple(name for name in NEVER if name != "rich")
    assert _loaded(text, (*without_rich, "sqlalchemy", "pydantic", "bridge.db")) == []
