"""Two cases the property test found (now tests/test_sync_machine.py), kept as plain regressions."""

from __future__ import annotations

from plugins.sync import SyncHarness, add_projects

from bridge.catalogue.store import set_archived
from bridge.db import session_scope
from bridge.loop.pull import pull


def _pull(harness: SyncHarness) -> None:
    with harness.client() as client:
        pull(lambda: session_scope(harness.engine), client, deep=True)


def test_a_moderator_closing_an_archived_records_topic_settles_it(harness: SyncHarness) -> None:
    """The forum already shows what the catalogue wants: nothing to send, drift cleared, and the
    state records the topic as closed (it said open, with `closed` drift, forever)."""
    add_projects(harness.engine, 2)
    harness.sync()
    set_archived(harness.engine, "rec-0000", True)
    harness.emulator.control("close", topic_id=harness.states()["rec-0000"].topic_id)
    _pull(harness)
    assert harness.states()["rec-0000"].drift == ["closed"]
    summary = harness.sync()
    assert summary.requests == 0 and summary.archived == 0
    state = harness.states()["rec-0000"]
    assert (state.closed, state.drift, state.state) == (True, None, "synced")
    assert harness.sync(dry_run=True).plan == (
        {"ref": "rec-0000", "action": "unchanged", "fields": []},
        {"ref": "rec-0001", "action": "unchanged", "fields": []},
    )


def test_archiving_does_not_forget_drift_on_content_it_leaves_alone(harness: SyncHarness) -> None:
    """An archived record's topic is closed, its content left as it is: a moderator's retitle is
    still reported after the close (the close used to clear it as if it were repaired)."""
    add_projects(harness.engine, 2)
    harness.sync()
    topic_id = harness.states()["rec-0000"].topic_id
    harness.emulator.control(
        "retitle", topic_id=topic_id, title="Un títol que ha posat la moderació"
    )
    set_archived(harness.engine, "rec-0000", True)
    _pull(harness)
    summary = harness.sync()
    assert summary.archived == 1
    state = harness.states()["rec-0000"]
    assert state.closed and state.drift == ["title"] and state.state == "drift"
    assert harness.topic_of("rec-0000").title == "Un títol que ha posat la moderació"
