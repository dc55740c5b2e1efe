"""The run log (`sync_run`) as `status` shows it, read through a `bridge.dbapi.Rows`: plain SQL,
no SQLAlchemy (issue 15). The table's owner, `bridge.sync.runs`, writes it and reads it through
this same SQL; the run vocabulary lives here so that both can use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bridge.catalogue.canonical import iso
from bridge.dbapi import Rows, as_json, as_utc
from bridge.models.enums import SyncResult


class RunKind(StrEnum):
    sync = "sync"
    pull = "pull"


class RunStatus(StrEnum):
    running = "running"
    ok = "ok"
    partial = "partial"  # some records failed (listed, retried next time)
    interrupted = "interrupted"  # stopped on request, by Ctrl-C, or the process died
    failed = "failed"  # the run stopped on an error


# A sync with nothing to do still asks the forum, this often at most, whether it accepts the key
# (issue 28): a revoked key then fails a cron job within a day, at one request a day.
KEY_CHECK_EVERY = timedelta(days=1)

# The per-result counts a run row keeps (SyncRun's columns), in the order they are shown: one
# per sync result (a deleted pairing is not counted).
RUN_COUNTS = tuple(r.value for r in SyncResult if r is not SyncResult.deleted)

# SyncRun's columns as `last_runs` reads them, by position (tests/test_status_read.py checks them
# against the model).
COLUMNS = (
    "id", "kind", "started_at", "finished_at", "status", *RUN_COUNTS, "requests", "failures",
    "message", "holder", "revision", "fingerprint", "key_accepted_at",
)  # fmt: skip
_AT = {name: i for i, name in enumerate(COLUMNS)}
_LAST_SQL = (
    f"SELECT {', '.join(COLUMNS)} FROM sync_run WHERE kind = ?"
    " ORDER BY started_at DESC, id DESC LIMIT ?"
)
_COUNTS = slice(5, 5 + len(RUN_COUNTS))


_KEY_SQL = "SELECT MAX(key_accepted_at) FROM sync_run"
_NEWEST_SQL = (
    f"SELECT {', '.join(COLUMNS)} FROM sync_run WHERE kind = ? AND status <> ?"
    " ORDER BY started_at DESC, id DESC LIMIT 1"
)


@dataclass(frozen=True)
class CleanSync:
    """The newest sync run, when it was a full one that ended ok: what a no-op compares with."""

    run_id: int
    revision: int
    fingerprint: str
    records: int  # the records its plan covered (each counted once in its counts)


def last_clean_sync(rows: Rows) -> CleanSync | None:
    """The newest finished sync when it ended ok with a revision stored (a full run), else None:
    after a partial, failed or interrupted run, or one of --project, the next does the work."""
    found = rows.all(_NEWEST_SQL, (RunKind.sync.value, RunStatus.running.value))
    if not found:
        return None
    row = dict(zip(COLUMNS, found[0], strict=True))
    if row["status"] != RunStatus.ok or row["revision"] is None:
        return None
    covered = sum(row[k] or 0 for k in RUN_COUNTS if k not in ("adopted", "failed"))
    return CleanSync(row["id"], int(row["revision"]), row["fingerprint"] or "", covered)


def key_accepted_at(rows: Rows) -> datetime | None:
    """When the forum last accepted the API key, in any sync or pull (issue 28)."""
    found = rows.all(_KEY_SQL)
    return as_utc(found[0][0]) if found and found[0][0] is not None else None


def last_runs(rows: Rows, limit: int = 20, kind: RunKind = RunKind.sync) -> list[dict[str, Any]]:
    """The newest runs of a kind, newest first, as `status --json` lists them (contract §3)."""
    return [
        {
            "id": row[0],
            "kind": row[1],
            "start": iso(as_utc(row[2])),
            "end": iso(as_utc(row[3])),
            "status": row[4],
            "counts": dict(zip(RUN_COUNTS, row[_COUNTS], strict=True)),
            "requests": row[_AT["requests"]],
            "failures": as_json(row[_AT["failures"]]) or [],
            "message": row[_AT["message"]],
            "holder": row[_AT["holder"]],
        }
        for row in rows.all(_LAST_SQL, (RunKind(kind).value, limit))
    ]


def run_counts(rows: Rows) -> dict[tuple[str, str], int]:
    """How many runs the log holds, by (kind, status): for `GET /metrics` (issue 26)."""
    found = rows.all("SELECT kind, status, count(*) FROM sync_run GROUP BY kind, status")
    return {(str(kind), str(status)): int(count) for kind, status, count in found}


def last_success(rows: Rows) -> dict[str, Any]:
    """The end of the newest run of each kind that finished ok (aware UTC datetimes)."""
    found = rows.all(
        "SELECT kind, max(finished_at) FROM sync_run WHERE status = ? GROUP BY kind",
        (RunStatus.ok.value,),
    )
    return {str(kind): as_utc(end) for kind, end in found if end is not None}
