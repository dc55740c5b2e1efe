"""Reading connection requests through a `bridge.dbapi.Rows`: plain SQL, no SQLAlchemy, so that
`requests list` and `status` start like the other read commands (issue 15). The tables' owner,
`bridge.connections.store`, writes them and reads the rows through this same SQL."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from bridge.connections.rules import Counted
from bridge.dbapi import Rows, as_json, as_utc
from bridge.models.enums import RequestKind, RequestNote, RequestStatus

COLUMNS = (
    "id", "topic_id", "post_id", "ref", "council", "asker", "kind", "status", "note", "asked_at",
    "answered_at", "agreed_at", "reminded_at", "closed_at", "bumped_at", "posts_count", "tags",
    "reply_post_id", "reply_started_at", "reminder_post_id", "reminder_started_at", "last_error",
    "updated_at",
)  # fmt: skip
TIMESTAMPS = frozenset(
    {
        "asked_at", "answered_at", "agreed_at", "reminded_at", "closed_at", "bumped_at",
        "reply_started_at", "reminder_started_at", "updated_at",
    }
)  # fmt: skip

_ROWS_SQL = f"SELECT {', '.join(COLUMNS)} FROM connection_request"
_ORDER = " ORDER BY asked_at DESC, id DESC"


def convert(values: tuple[Any, ...]) -> dict[str, Any]:
    row = dict(zip(COLUMNS, values, strict=True))
    for name in TIMESTAMPS:
        row[name] = as_utc(row[name])
    row["tags"] = list(as_json(row["tags"]) or [])
    row["kind"] = RequestKind(row["kind"])
    row["status"] = RequestStatus(row["status"])
    row["note"] = RequestNote(row["note"]) if row["note"] else None
    return row


def rows(source: Rows, where: str = "", params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Request rows, newest first; `where` a SQL condition with `?` placeholders."""
    sql = _ROWS_SQL + (f" WHERE {where}" if where else "") + _ORDER
    return [convert(values) for values in source.all(sql, params)]


def counted(source: Rows, ref: str | None = None) -> list[Counted]:
    """Every request (or those to `ref`) as the figures need it: never who asked."""
    sql = "SELECT ref, kind, status, asked_at, answered_at, council FROM connection_request"
    params: tuple[Any, ...] = ()
    if ref is not None:
        sql, params = sql + " WHERE ref = ?", (ref,)
    return [
        Counted(r, RequestKind(k), RequestStatus(s), _when(a), as_utc(d), c)
        for r, k, s, a, d, c in source.all(sql, params)
    ]


def _when(value: Any) -> datetime:
    found = as_utc(value)
    assert found is not None  # asked_at is NOT NULL
    return found


def status_counts(source: Rows) -> dict[str, int]:
    """`status`: requests by status (every status, zero included)."""
    found = Counter(RequestStatus(s) for (s,) in source.all(
        "SELECT status FROM connection_request"
    ))  # fmt: skip
    return {status.value: found.get(status, 0) for status in RequestStatus}


def public_document(row: dict[str, Any], discourse_url: str | None) -> dict[str, Any]:
    """One request as `requests list --json` prints it (contract §4b): never an email; who asked
    is a forum username, public in the forum already."""
    return {
        "topic_id": row["topic_id"],
        "post_id": row["post_id"],
        "topic_url": f"{discourse_url or ''}/t/-/{row['topic_id']}",
        "ref": row["ref"],
        "council": row["council"],
        "asker": row["asker"],
        "kind": row["kind"].value,
        "status": row["status"].value,
        "note": row["note"].value if row["note"] else None,
        "asked_at": row["asked_at"].isoformat() if row["asked_at"] else None,
        "answered_at": row["answered_at"].isoformat() if row["answered_at"] else None,
        "agreed_at": row["agreed_at"].isoformat() if row["agreed_at"] else None,
        "reminded_at": row["reminded_at"].isoformat() if row["reminded_at"] else None,
    }


def project_requests(source: Rows, ref: str) -> dict[str, Any]:
    """`projects show --json`'s `requests` (contract §4b): counts by status and the median days
    to an answer, of the requests to one project."""
    from bridge.connections.rules import stats

    found = counted(source, ref)
    by_status = Counter(r.status for r in found)
    return {
        **{status.value: by_status.get(status, 0) for status in RequestStatus},
        "median_days": stats(found).median_days,
    }
