"""Issue 20: a sync with nothing to do ends at once (the catalogue revision of migration 0016),
and issue 28: it still confirms the key once a day. Both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from bridge.catalogue.store import set_archived
from bridge.forum.client import ForumClient
from bridge.jobs.sync_run import run_sync
from bridge.models import SyncRun
from bridge.models.types import table_of, utcnow
from bridge.sync import revision, state
from bridge.sync.runner import SyncOptions, SyncStopped
from tests.plugins.sync import SyncHarness, add_project, add_projects, edit_project


def _revision(engine: sa.Engine) -> int:
    with engine.begin() as conn:
        return revision.current(conn)


def test_a_second_sync_with_nothing_changed_does_nothing(harness: SyncHarness) -> None:
    add_projects(harness.engine, 3)
    first = harness.sync()
    assert first.created == 3 and first.nothing_since is None
    before = harness.requests()
    second = harness.sync()
    assert second.nothing_since == first.run_id
    assert (second.unchanged, second.created, second.updated, second.requests) == (3, 0, 0, 0)
    assert harness.requests() == before
    # Its run is logged ok, with the counts, and the next no-op still knows the record count.
    third = harness.sync()
    assert third.nothing_since == second.run_id and third.unchanged == 3


def test_every_kind_of_write_that_can_change_a_topic_bumps_the_revision(
    harness: SyncHarness,
) -> None:
    engine = harness.engine
    add_project(engine, "rec-a", 1)
    harness.sync()
    steps = [
        lambda: edit_project(engine, "rec-a", title="Un altre títol per al projecte"),
        lambda: edit_project(engine, "rec-a", body={"population": 99}),
        lambda: set_archived(engine, "rec-a", True),
    ]
    for step in steps:
        start = _revision(engine)
        step()
        assert _revision(engine) > start
        assert harness.sync().nothing_since is None  # the work is done
        assert harness.sync().nothing_since is not None  # and then nothing


def test_the_sync_own_writes_do_not_bump_the_revision(harness: SyncHarness) -> None:
    add_projects(harness.engine, 2)
    start = _revision(harness.engine)
    harness.sync()  # creates topics, writes pairings and hashes: outputs, not inputs
    assert _revision(harness.engine) == start


def test_drift_recorded_from_the_forum_makes_the_next_sync_work(harness: SyncHarness) -> None:
    add_project(harness.engine, "rec-a", 1)
    harness.sync()
    pid = harness.states()["rec-a"].project_id
    start = _revision(harness.engine)
    with harness.engine.begin() as conn:
        state.save_drift(conn, pid, ("title",), {"title": "x"}, frozenset({"title"}))
    assert _revision(harness.engine) > start
    assert harness.sync().nothing_since is None


def test_a_settings_change_that_renders_differently_makes_the_next_sync_work(
    harness: SyncHarness,
) -> None:
    add_project(harness.engine, "rec-a", 1)
    harness.sync()
    harness.settings = harness.settings.model_copy(update={"language": "es"})
    assert harness.sync().nothing_since is None
    assert harness.sync().nothing_since is not None


def test_a_write_during_a_sync_is_done_by_the_next_one(harness: SyncHarness) -> None:
    """The import commits after the sync took its snapshot: that sync stores the revision it
    read before, so the next one sees a newer one and writes the change."""
    add_projects(harness.engine, 2)
    harness.sync()
    edit_project(harness.engine, "rec-0000", title="Primer canvi abans de la sincronització")

    def import_meanwhile(event: str, _value: object) -> None:
        if event == "plan":
            edit_project(harness.engine, "rec-0001", title="Un canvi fet durant la sincronització")

    client = harness.client()
    try:
        during = run_sync(
            harness.engine,
            harness.settings,
            client,
            SyncOptions(observatory=False),
            progress=import_meanwhile,
        )
    finally:
        client.close()
    assert during.updated == 1
    after = harness.sync()
    assert after.nothing_since is None and after.updated == 1
    assert harness.topic_of("rec-0001").title.startswith("Un canvi fet durant")


def test_a_partial_or_limited_run_is_not_a_base_for_a_no_op(harness: SyncHarness) -> None:
    add_projects(harness.engine, 2)
    harness.sync(only=frozenset({"rec-0000"}))
    assert harness.sync().nothing_since is None  # --project covered one record only
    assert harness.sync().nothing_since is not None


def _age_key_check(engine: sa.Engine, days: float) -> None:
    runs = table_of(SyncRun)
    with engine.begin() as conn:
        conn.execute(
            sa.update(runs)
            .where(runs.c.key_accepted_at.is_not(None))
            .values(key_accepted_at=utcnow() - timedelta(days=days))
        )


def test_a_no_op_confirms_the_key_at_most_once_a_day(harness: SyncHarness) -> None:
    add_projects(harness.engine, 1)
    harness.sync()
    assert harness.sync().requests == 0  # the first sync's requests confirmed the key
    _age_key_check(harness.engine, 1.01)
    checked = harness.sync()
    assert checked.nothing_since is not None and checked.key_checked
    assert checked.requests == 1
    again = harness.sync()
    assert again.requests == 0 and not again.key_checked


def test_a_refused_key_stops_a_no_op_within_a_day(harness: SyncHarness) -> None:
    add_projects(harness.engine, 1)
    harness.sync()
    _age_key_check(harness.engine, 2)
    bad = ForumClient(
        harness.emulator.url, "wrong-key", harness.emulator.api_username, rate_limit_per_minute=0
    )
    try:
        with pytest.raises(SyncStopped):
            run_sync(harness.engine, harness.settings, bad, SyncOptions(observatory=False))
    finally:
        bad.close()


def test_a_page_topic_that_failed_keeps_the_next_sync_from_skipping(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index and overview topics are retried by the next sync, as failed records are: a run
    whose page step failed is not the base of a no-op (its status stays ok: records are fine)."""
    from bridge.observatory import step

    add_projects(harness.engine, 2)
    real = step.sync_pages

    class OnePageFailed:
        def __init__(self, inner: object) -> None:
            self.inner = inner

        def as_json(self) -> dict[str, object]:
            return {**self.inner.as_json(), "failed": 1}  # type: ignore[attr-defined]

    monkeypatch.setattr(step, "sync_pages", lambda *a, **k: OnePageFailed(real(*a, **k)))
    assert harness.sync(observatory=True).pages["failed"] == 1  # type: ignore[index]
    monkeypatch.undo()
    assert harness.sync(observatory=True).nothing_since is None
    assert harness.sync(observatory=True).nothing_since is not None
