"""`digicanvis schedule` as a real process: SIGTERM stops it cleanly (exit 0) with its runs
recorded; two schedulers against one catalogue never sync at the same time (the lease)."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from plugins.forum import LOOP_RECORDS, write_records
from sqlmodel import Session, select
from tests_support import terminate, wait_for

from bridge.catalogue.importer import run_import
from bridge.emulator import RunningEmulator
from bridge.models import SyncRun, SyncState
from bridge.settings import Settings


def _records(n: int) -> list[dict]:
    base = LOOP_RECORDS[0]
    return [
        dict(
            base,
            ref=f"schedule-record-{i:03d}",
            title=f"Projecte de prova número {i} per al planificador",
        )
        for i in range(n)
    ]


def _start(env: dict[str, str], every: str = "1s") -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bridge", "schedule", "--every", every],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _runs(engine: sa.Engine) -> list[SyncRun]:
    with Session(engine) as session:
        return list(session.exec(select(SyncRun).order_by(SyncRun.started_at)).all())


@pytest.fixture
def schedule_env(
    bridge_env: Settings, engine: sa.Engine, emulator: RunningEmulator, tmp_path: Path
) -> dict[str, str]:
    outcome = run_import(engine, [write_records(tmp_path / "records.yaml", _records(12))])
    assert not outcome.problems
    env = dict(
        os.environ,
        DISCOURSE_URL=emulator.url,
        DISCOURSE_API_KEY=emulator.api_key,
        BRIDGE_RATE_LIMIT_PER_MINUTE="0",
    )
    return env


def test_sigterm_stops_the_scheduler_cleanly(
    schedule_env: dict[str, str], engine: sa.Engine, emulator: RunningEmulator
) -> None:
    proc = _start(schedule_env)
    try:
        wait_for(lambda: any(r.kind == "pull" and r.finished_at for r in _runs(engine)))
    finally:
        _, stderr = terminate(proc)
    assert proc.returncode == 0, stderr
    assert "stopped" in stderr
    runs = _runs(engine)
    assert {r.kind for r in runs} == {"sync", "pull"}
    assert all(r.finished_at is not None and r.status in ("ok", "interrupted") for r in runs)
    with Session(engine) as session:
        assert all(s.topic_id for s in session.exec(select(SyncState)).all())
    assert schedule_env["DISCOURSE_API_KEY"] not in stderr


def test_sigterm_mid_sync_records_progress_and_the_next_run_finishes(
    schedule_env: dict[str, str], engine: sa.Engine, emulator: RunningEmulator
) -> None:
    emulator.faults(latency_ms=150)
    proc = _start(schedule_env, every="1h")
    try:
        wait_for(lambda: any(s.topic_id for s in _states(engine)), timeout=30)
    finally:
        _, stderr = terminate(proc)
    assert proc.returncode == 0, stderr
    runs = _runs(engine)
    assert (
        runs[0].kind == "sync"
        and runs[0].status == "interrupted"
        and runs[0].finished_at is not None
    )
    paired = [s for s in _states(engine) if s.topic_id]
    assert 0 < len(paired) < 12
    # What was created is recorded: the next run creates only the rest, with no duplicate.
    emulator.faults(latency_ms=0)
    proc = _start(schedule_env, every="1h")
    try:
        wait_for(lambda: len([s for s in _states(engine) if s.topic_id]) == 12)
        wait_for(lambda: any(r.kind == "pull" and r.finished_at for r in _runs(engine)[1:]))
    finally:
        terminate(proc)
    # One topic per record in the forum (category "About" topics and the observatory's index
    # and overview topics, whose external ids are "dc_…", aside), each paired once.
    ours = [
        t
        for t in emulator.state.topics.values()
        if getattr(t, "external_id", None) and not t.external_id.startswith("dc_")
    ]
    assert len(ours) == 12
    assert {t.id for t in ours} == {s.topic_id for s in _states(engine)}


def _states(engine: sa.Engine) -> list[SyncState]:
    with Session(engine) as session:
        return list(session.exec(select(SyncState)).all())


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_schedulers_never_sync_at_the_same_time(
    schedule_env: dict[str, str], engine: sa.Engine, emulator: RunningEmulator
) -> None:
    emulator.faults(latency_ms=40)
    procs = [_start(schedule_env), _start(schedule_env)]
    try:
        # Both tick every second; whichever finds the lease held skips its turn. (With equal
        # intervals one of them may win every turn: that is fine, the work gets done once.)
        wait_for(lambda: len([r for r in _runs(engine) if r.finished_at]) >= 6, timeout=60)
    finally:
        outputs = [terminate(proc) for proc in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    runs = [r for r in _runs(engine) if r.finished_at]
    for earlier, later in itertools.pairwise(runs):
        assert later.started_at >= earlier.finished_at, f"runs {earlier.id} and {later.id} overlap"
    assert any("skipped" in err for _, err in outputs), (
        "one scheduler should have found the lease held"
    )
    assert len(emulator.state.topics) >= 12 and len({s.topic_id for s in _states(engine)}) == 12


def test_schedule_harvests_the_configured_sources_first(
    schedule_env: dict[str, str],
    engine: sa.Engine,
    emulator: RunningEmulator,
    tmp_path: Path,
    shared_dir: Path,
) -> None:
    """Issue 23: with [[harvest]] sources, each scheduled run harvests them before it syncs, so
    their records reach the forum in the same run; a second run finds the source unchanged."""
    from tests_support import repo_config_with

    source = shared_dir / "data" / "projects_jrc_ipsx_local_subset.csv"
    config = tmp_path / "bridge.toml"
    config.write_text(
        repo_config_with(
            "[schedule]", f'[[harvest]]\nsource = "{source}"\nslug = "jrc"\n\n[schedule]'
        ),
        encoding="utf-8",
    )
    env = dict(schedule_env, BRIDGE_CONFIG=str(config))
    proc = _start(env, every="2s")
    try:
        wait_for(
            lambda: sum(1 for r in _runs(engine) if r.kind == "pull" and r.finished_at) >= 2,
            timeout=120,
        )
    finally:
        _, stderr = terminate(proc)
    assert proc.returncode == 0, stderr
    assert "harvest: " in stderr and " added" in stderr
    assert f"harvest: {source}: unchanged" in stderr
    with Session(engine) as session:
        states = session.exec(select(SyncState)).all()
    assert len(states) > 12 and all(s.topic_id for s in states)
