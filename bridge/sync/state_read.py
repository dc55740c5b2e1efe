"""`status`'s report, read through a `bridge.dbapi.Rows`: plain SQL, no SQLAlchemy (issue 15).

The sync state table's owner is `bridge.sync.state`; its `status_counts(engine)` runs the SQL
below on one of the engine's connections, so that `status` and the code holding an engine read
the same query. The run log's part is `bridge.sync.runs_read`.
"""

from __future__ import annotations

from typing import Any

from bridge.dbapi import Rows, as_bool, as_json
from bridge.models.enums import SyncStatus
from bridge.rules.status import RecordSummary, StateSummary, effective_status
from bridge.sync.runs_read import RunKind, last_runs
from bridge.sync.state_sql import JOIN_ON_PROJECT

# Ordered by the database, as the report always was: the failures and drift it lists keep the
# order the golden outputs hold on each backend.
_COUNTS_SQL = """
SELECT p.ref, p.archived, p.content_hash, s.project_id, s.topic_id, s.state, s.content_hash,
       s.closed, s.drift, s.last_error
FROM project p
LEFT OUTER JOIN sync_state s ON s.project_id = p.id
ORDER BY p.ref
"""


def _status_of(row: tuple[Any, ...]) -> SyncStatus:
    """One row of _COUNTS_SQL classified by `effective_status`."""
    (_ref, archived, content_hash, state_row, topic_id, state, synced_hash, closed, _what,
     _error) = row  # fmt: skip
    summary = (
        None if state_row is None else StateSummary(state, topic_id, synced_hash, as_bool(closed))
    )
    return effective_status(RecordSummary(as_bool(archived), content_hash), summary)


def records_by_status(rows: Rows) -> dict[SyncStatus, int]:
    """How many records are in each sync status (every status present): for `GET /metrics`."""
    counts = dict.fromkeys(SyncStatus, 0)
    for row in rows.all(_COUNTS_SQL):
        counts[_status_of(row)] += 1
    return counts


def status_counts(rows: Rows) -> dict[str, Any]:
    """Contract §3 `status --json` without the run log: records, never synced, pending, failed
    (with the errors) and drift, each record classified by `effective_status`."""
    found = rows.all(_COUNTS_SQL)
    counts = dict.fromkeys(SyncStatus, 0)
    never = 0
    drift: list[dict[str, Any]] = []
    failures: list[dict[str, str]] = []
    for row in found:
        ref, archived, topic_id, what, error = row[0], as_bool(row[1]), row[4], row[8], row[9]
        status = _status_of(row)
        counts[status] += 1
        # No topic yet (a failed first create included); an archived record gets none, so it is
        # not waiting for one.
        if topic_id is None and not archived:
            never += 1
        if status is SyncStatus.failed:
            failures.append({"ref": ref, "error": error or ""})
        what = as_json(what)
        if what:
            drift.append({"ref": ref, "what": list(what)})
    return {
        "records": len(found),
        "never_synced": never,
        "pending": counts[SyncStatus.pending],
        "failed": counts[SyncStatus.failed],
        "failures": failures,
        "drift": drift,
    }


def status_report(rows: Rows) -> dict[str, Any]:
    """Contract §3 `status --json`: never synced, pending, failed, drift, last runs."""
    return status_counts(rows) | {
        "last_runs": last_runs(rows),
        # Pulls (of `digicanvis pull` or the scheduler) are runs too: listed beside the syncs.
        "last_pulls": last_runs(rows, kind=RunKind.pull),
    }


# --------------------------------------------------------------------------- for the observatory
# What the observatory reads of the sync state, here with the table's other reads (issue 19:
# one owner per table); `bridge.observatory.store` runs them on its engine through `rows_of`.

_LIVE_TOPICS_SQL = """
SELECT p.ref, s.topic_id
FROM project p
JOIN sync_state s ON s.project_id = p.id
WHERE s.topic_id IS NOT NULL AND NOT s.remote_deleted
"""

# Each record's content, archived state and topic, by ref: what the index and overview topics
# show of the catalogue (their fingerprint, with the replies `bridge.loop.activity_sql` reads).
_PAGES_INPUTS_SQL = f"""
SELECT p.ref, p.content_hash, p.archived, s.topic_id, s.topic_slug
FROM project p
{JOIN_ON_PROJECT}
ORDER BY p.ref
"""


def live_topics(rows: Rows) -> list[tuple[str, int]]:
    """(ref, topic id) of every record whose topic exists (not deleted by a moderator)."""
    return [(ref, topic_id) for ref, topic_id in rows.all(_LIVE_TOPICS_SQL)]


def pages_inputs(rows: Rows) -> list[list[Any]]:
    """[ref, content hash, archived, topic id, topic slug] of every record, by ref."""
    return [
        [ref, content_hash, as_bool(archived), topic_id, slug]
        for ref, content_hash, archived, topic_id, slug in rows.all(_PAGES_INPUTS_SQL)
    ]
