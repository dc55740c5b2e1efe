"""Reading the challenge rows through a `bridge.dbapi.Rows`: plain SQL, no SQLAlchemy, so that
`status` reports challenges without loading the ORM (issue 15). The table's owner,
`bridge.challenges.store`, writes it and reads the rows through this same SQL."""

from __future__ import annotations

from typing import Any

from bridge.dbapi import Rows, as_json, as_utc
from bridge.models.enums import ChallengeStatus

# The `challenge` table's columns (tests/test_status_read.py checks them, and the conversions
# below, against the model).
COLUMNS = (
    "topic_id", "title", "author", "first_post_id", "bumped_at", "post_version",
    "post_updated_at", "posts_count", "text_hash", "status", "matched_refs", "reply_post_id",
    "reply_hash", "reply_started_at", "last_error", "attempts", "first_seen_at", "answered_at",
    "updated_at",
)  # fmt: skip
# Values the drivers give differently, converted as the model's column types convert them.
TIMESTAMPS = frozenset(
    {"bumped_at", "reply_started_at", "first_seen_at", "answered_at", "updated_at"}
)
JSON = frozenset({"matched_refs"})

_ROWS_SQL = f"SELECT {', '.join(COLUMNS)} FROM challenge ORDER BY first_seen_at DESC, topic_id DESC"


def rows(source: Rows) -> list[dict[str, Any]]:
    """Every challenge row, newest first (for `challenges list` and `status`), its status a
    ChallengeStatus, its timestamps aware UTC datetimes."""
    found = []
    for values in source.all(_ROWS_SQL):
        row = dict(zip(COLUMNS, values, strict=True))
        for name in TIMESTAMPS:
            row[name] = as_utc(row[name])
        for name in JSON:
            row[name] = as_json(row[name])
        row["status"] = ChallengeStatus(row["status"])
        found.append(row)
    return found
