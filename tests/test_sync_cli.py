"""`digicanvis sync`, `status` and `demo` through the CLI: JSON shapes and exit codes of contract
§3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from plugins.sync import add_project, add_projects, edit_project
from typer.testing import CliRunner

from bridge.cli import app
from bridge.db import engine_for, make_engine
from bridge.emulator import RunningEmulator
from bridge.settings import Settings
from bridge.sync.lease import SYNC_LEASE, LeaseHandle

SUMMARY_KEYS = {"created", "updated", "unchanged", "archived", "restored", "failed", "failures"}


@pytest.fixture
def cli_env(
    bridge_env: Settings, sync_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> sa.Engine:
    monkeypatch.setenv("DISCOURSE_URL", sync_emulator.url)
    monkeypatch.setenv("DISCOURSE_API_KEY", sync_emulator.api_key)
    monkeypatch.setenv("BRIDGE_RATE_LIMIT_PER_MINUTE", "0")
    engine = make_engine(bridge_env.database_url)
    yield engine
    engine.dispose()
    engine_for(
        bridge_env.database_url
    ).dispose()  # the CLI's cached engine: close its connections too


def run(*args: str) -> tuple[int, dict | list | None, str]:
    result = CliRunner().invoke(app, list(args))
    doc = json.loads(result.stdout) if "--json" in args and result.stdout.strip() else None
    return result.exit_code, doc, result.stderr


def test_sync_json_summary_and_rerun(cli_env: sa.Engine) -> None:
    add_projects(cli_env, 4)
    code, doc, _ = run("sync", "--json")
    assert code == 0
    assert set(doc) >= SUMMARY_KEYS
    assert (doc["created"], doc["failed"], doc["failures"]) == (4, 0, [])
    code, doc, _ = run("sync", "--json")
    assert (code, doc["unchanged"], doc["requests"]) == (0, 4, 0)


def test_dry_run_json_has_the_plan_and_changes_nothing(cli_env: sa.Engine) -> None:
    add_projects(cli_env, 2)
    code, doc, _ = run("sync", "--dry-run", "--json")
    assert code == 0
    assert doc["created"] == 2
    assert doc["plan"] == [
        {"ref": "rec-0000", "action": "create", "fields": ["title", "body", "category", "tags"]},
        {"ref": "rec-0001", "action": "create", "fields": ["title", "body", "category", "tags"]},
    ]
    with cli_env.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM sync_state")).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM sync_run")).scalar() == 0


def test_failures_exit_1_and_are_listed_then_status_shows_them(cli_env: sa.Engine) -> None:
    add_project(cli_env, "too-long", 1, description="Massa llarg. " * 3000)
    add_project(cli_env, "fine", 2)
    code, doc, stderr = run("sync", "--json")
    assert code == 1
    assert doc["failed"] == 1 and doc["failures"][0]["ref"] == "too-long"
    code, _, stderr = run("sync")
    assert code == 1 and "failed: too-long" in stderr
    code, status, _ = run("status", "--json")
    assert code == 0
    assert {k: status[k] for k in ("records", "never_synced", "pending", "failed", "drift")} == {
        "records": 2,
        "never_synced": 1,
        "pending": 0,
        "failed": 1,
        "drift": [],
    }
    assert len(status["last_runs"]) == 2
    newest = status["last_runs"][0]
    assert newest["start"] and newest["end"] and newest["counts"]["failed"] == 1
    edit_project(cli_env, "fine", title="Un títol nou per al projecte que va bé")
    assert run("status", "--json")[1]["pending"] == 1


def test_unknown_ref_exits_2(cli_env: sa.Engine) -> None:
    add_projects(cli_env, 1)
    code, _, stderr = run("sync", "--project", "no-such-ref")
    assert code == 2 and "unknown ref: no-such-ref" in stderr


def test_bad_key_exits_2_with_a_clear_message(
    cli_env: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_projects(cli_env, 1)
    monkeypatch.setenv("DISCOURSE_API_KEY", "not-the-key")
    code, _, stderr = run("sync", "--json")
    assert code == 2
    assert stderr.startswith("error: sync stopped") and "not-the-key" not in stderr


def test_unreachable_forum_exits_2(cli_env: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from bridge.forum.client import ForumClient

    add_projects(cli_env, 1)
    monkeypatch.setenv("DISCOURSE_URL", "http://127.0.0.1:9")
    # The production client retries a refused connection for ~15 s; one quick retry here.
    original = ForumClient.from_settings.__func__
    monkeypatch.setattr(
        ForumClient,
        "from_settings",
        classmethod(lambda cls, cfg: original(cls, cfg, max_retries=1, max_backoff=0.01)),
    )
    code, _, stderr = run("sync")
    assert code == 2 and "cannot connect" in stderr


def test_forum_not_configured_exits_2(cli_env: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISCOURSE_URL")
    code, _, stderr = run("sync")
    assert code == 2 and "DISCOURSE_URL" in stderr


def test_second_sync_says_who_holds_the_lease(cli_env: sa.Engine) -> None:
    add_projects(cli_env, 1)
    with LeaseHandle.acquire(cli_env, SYNC_LEASE, holder="host-a pid 1234 (abcd)"):
        code, _, stderr = run("sync")
    assert code == 2 and "host-a pid 1234" in stderr


def _write_sample(path: Path) -> Path:
    records = [
        {
            "ref": f"demo-{i}",
            "title": f"Projecte de demostració número {i}",
            "local_body": {
                "name": f"Ajuntament {i}",
                "country": "ES",
                "region": "ES-CT" if i % 2 else "ES-MD",
            },
            "description": "Una descripció prou llarga per a un tema del fòrum.",
            "area": area,
            "kind": "service",
            "phase": "pilot",
        }
        for i, area in enumerate(["citizen-care", "social-services", "planning-management"])
    ]
    path.write_text(json.dumps({"projects": records}), encoding="utf-8")
    return path


def test_demo_syncs_then_shows_zero_writes(
    bridge_env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bridge.jobs.demo as demo_job

    monkeypatch.setattr(demo_job, "DEMO_CATALOGUE", _write_sample(tmp_path / "sample.json"))
    code, doc, _ = run("demo", "--json")
    assert code == 0
    assert doc["first_sync"]["created"] == 3
    assert (
        doc["second_sync"]["created"],
        doc["second_sync"]["updated"],
        doc["second_sync"]["requests"],
    ) == (0, 0, 0)
    assert {t["ref"] for t in doc["topics"]} == {"demo-0", "demo-1", "demo-2"}
    assert all(
        t["url"].startswith("http://127.0.0.1:") and t["category"] and len(t["tags"]) == 3
        for t in doc["topics"]
    )


def test_demo_keeps_its_catalogue_with_database(
    bridge_env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bridge.jobs.demo as demo_job

    monkeypatch.setattr(demo_job, "DEMO_CATALOGUE", _write_sample(tmp_path / "sample.json"))
    url = f"sqlite:///{tmp_path / 'kept.db'}"
    for _ in range(2):  # a kept catalogue, a fresh forum each time: still one topic per record
        code, doc, _ = run("demo", "--database", url, "--json")
        assert (
            code == 0 and doc["first_sync"]["created"] == 3 and doc["second_sync"]["requests"] == 0
        )


def test_demo_runs_on_the_bundled_sample_catalogue(bridge_env: Settings) -> None:
    import bridge.jobs.demo as demo_job

    if not demo_job.DEMO_CATALOGUE.is_file():
        pytest.skip(
            "bridge/samples/demo_catalogue.yaml not there yet (the catalogue issue ships it)"
        )
    code, doc, _ = run("demo", "--json")
    assert code == 0
    assert doc["first_sync"]["failed"] == 0 and doc["first_sync"]["created"] >= 25
    assert doc["second_sync"]["requests"] == 0


def _three_answers(ref: str) -> tuple[str, int, dict]:
    """`projects show` sync_state, `status` pending count, and the dry run's plan row for `ref`."""
    code, shown, _ = run("projects", "show", ref, "--json")
    assert code == 0
    code, status, _ = run("status", "--json")
    assert code == 0
    code, dry, _ = run("sync", "--dry-run", "--json")
    assert code == 0
    (row,) = [r for r in dry["plan"] if r["ref"] == ref]
    return shown["sync_state"], status["pending"], row


def test_pending_has_one_answer_in_show_status_and_dry_run(cli_env: sa.Engine) -> None:
    """Issue 8's repro: an archived record re-imported with an edited description. Its topic is
    closed as the catalogue wants, and its content waits for a restore: not pending anywhere.
    Restored, it is pending everywhere, and the sync that writes it ends the pending state."""
    refs = add_projects(cli_env, 12)
    ref = refs[3]
    assert run("sync", "--json")[0] == 0
    assert run("projects", "archive", ref)[0] == 0
    assert run("sync", "--json")[0] == 0
    edit_project(cli_env, ref, description="Una descripció nova, escrita de nou per a la prova.")

    state, pending, row = _three_answers(ref)
    assert (state, pending, row["action"]) == ("synced", 0, "unchanged")

    assert run("projects", "restore", ref)[0] == 0
    state, pending, row = _three_answers(ref)
    assert (state, pending, row["action"]) == ("pending", 1, "reopen")
    assert "body" in row["fields"]

    assert run("sync", "--json")[0] == 0
    state, pending, row = _three_answers(ref)
    assert (state, pending, row["action"]) == ("synced", 0, "unchanged")


# --------------------------------------------------------------------------- issue 20: no-op fast


def _run_rows(engine: sa.Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM sync_run WHERE kind = 'sync' ORDER BY id"))
        return [dict(row._mapping) for row in rows]


def test_a_noop_sync_in_a_new_process_loads_neither_sqlalchemy_nor_pydantic(
    cli_env: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 20: nothing to do is decided and recorded through the driver alone, and says and
    records what the engine's no-op says and records."""
    from tests_support import modules_loaded

    from bridge.sync import noop

    add_projects(cli_env, 3)
    assert run("sync", "--json")[1]["created"] == 3
    with monkeypatch.context() as patched:  # the engine's own no-op, for comparison
        patched.setattr(noop, "nothing_to_do", lambda: None)
        code, by_engine, _ = run("sync", "--json")
    assert code == 0 and by_engine["nothing_changed_since_run"] == _run_rows(cli_env)[0]["id"]
    modules, _ = modules_loaded(tmp_path, "sync", "--json")
    assert "bridge.sync.noop" in modules and "bridge.dbapi" in modules
    heavy = ("sqlalchemy", "pydantic", "sqlmodel", "bridge.settings", "bridge.sync.runner")
    assert sorted(m for m in modules if m.split(".")[0] in heavy or m in heavy) == []
    code, fast, _ = run("sync", "--json")
    assert code == 0
    runs = _run_rows(cli_env)
    assert [r["status"] for r in runs] == ["ok"] * 4
    assert fast["run_id"] == runs[-1]["id"] and fast["nothing_changed_since_run"] == runs[-2]["id"]
    ids = ("run_id", "nothing_changed_since_run")
    assert {k: v for k, v in fast.items() if k not in ids} == {
        k: v for k, v in by_engine.items() if k not in ids
    }
    assert list(fast) == list(by_engine)
    engine_row, fast_row = runs[1], runs[-1]
    same = ("status", "created", "updated", "unchanged", "failed", "requests", "failures")
    assert {k: fast_row[k] for k in same} == {k: engine_row[k] for k in same}
    assert (fast_row["revision"], fast_row["fingerprint"]) == (
        engine_row["revision"],
        engine_row["fingerprint"],
    )
    assert fast_row["message"] == f"nothing changed since run {runs[-2]['id']}"
    assert fast_row["finished_at"] is not None and fast_row["key_accepted_at"] is None
    with cli_env.connect() as conn:  # the lease row is gone with the lease
        assert conn.execute(sa.text("SELECT count(*) FROM lease")).scalar() == 0


def test_the_fast_path_gives_way_whenever_the_engine_would_work_or_ask(
    cli_env: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime, timedelta

    from bridge.sync.noop import nothing_to_do

    add_projects(cli_env, 2)
    assert nothing_to_do() is None  # never synced
    assert run("sync", "--json")[1]["created"] == 2
    assert nothing_to_do() is not None
    # A catalogue write bumps the revision.
    edit_project(cli_env, "rec-0001", title="Un títol nou per al projecte")
    assert nothing_to_do() is None
    assert run("sync", "--json")[1]["updated"] >= 1  # its topic (and lists naming it)
    # Settings read from other sources (a value a topic shows).
    monkeypatch.setenv("DISCOURSE_API_USERNAME", "moderacio")
    assert nothing_to_do() is None
    assert run("sync", "--json")[1]["unchanged"] == 2
    assert nothing_to_do() is not None
    monkeypatch.delenv("DISCOURSE_API_USERNAME")  # the emulator knows `system` only
    assert nothing_to_do() is None
    assert run("sync", "--json")[1]["unchanged"] == 2
    # Another sync holds the lease: the engine says who (exit 2), no run is written.
    before = len(_run_rows(cli_env))
    with LeaseHandle.acquire(cli_env, SYNC_LEASE, holder="host-b pid 99 (ef01)"):
        assert nothing_to_do() is None
        code, _, stderr = run("sync")
    assert code == 2 and "host-b pid 99" in stderr and len(_run_rows(cli_env)) == before
    # The daily key check is due: the engine asks the forum.
    with cli_env.begin() as conn:
        conn.execute(
            sa.text("UPDATE sync_run SET key_accepted_at = :t"),
            {"t": datetime.now(UTC) - timedelta(days=2)},
        )
    assert nothing_to_do() is None
    code, doc, _ = run("sync", "--json")
    assert code == 0 and doc["requests"] == 1  # categories read: the key accepted
    assert nothing_to_do() is not None
    # A run that did not end ok (a record failed) is never followed by a no-op.
    add_project(cli_env, "too-long", 9, description="Massa llarg. " * 3000)
    assert run("sync", "--json")[0] == 1
    assert nothing_to_do() is None


def test_only_settings_read_from_their_sources_carry_the_sources_digest(
    bridge_env: Settings,
) -> None:
    from bridge.settings import load_settings
    from bridge.sync import revision

    loaded = load_settings()
    own = loaded.observatory.enabled
    whole = revision.fingerprint(loaded, observatory=own)
    assert not whole.endswith(revision.NO_SOURCES) and len(whole) == 64
    # Made or changed in code, or run with another observatory switch: nothing about sources.
    changed = loaded.model_copy(update={"discourse_api_username": "moderacio"})
    assert revision.fingerprint(changed, observatory=own).endswith(revision.NO_SOURCES)
    assert revision.fingerprint(loaded, observatory=not own).endswith(revision.NO_SOURCES)
    loaded.tags["pilot"] = "prova"
    assert revision.fingerprint(loaded, observatory=own).endswith(revision.NO_SOURCES)
    assert load_settings(language="es").sources() is None
