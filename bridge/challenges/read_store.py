"""Reading the challenge rows through a `bridge.dbapi.Rows`: plain SQL, no SQLAlchemy, so that
`status` reports challenges without loading the ORM (issue 15). The table's owner,
`bridge.challenges.store`, writes it and reads the rows through this same SQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from bridge.dbapi import Rows, as_json, as_utc
from bridge.models.enums import ChallengeStatus

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

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


def challenge_documents(source: Rows | Engine, discourse_url: str | None) -> list[dict[str, Any]]:
    """Every challenge the bridge saw, newest first, as `challenges list --json` prints it."""
    from bridge.dbapi import rows_of

    with rows_of(source) as read:
        found = rows(read)
    documents = []
    for row in found:
        if row["status"] == ChallengeStatus.ignored:
            continue
        url = f"{discourse_url or ''}/t/-/{row['topic_id']}"
        reply_url = (
            f"{discourse_url or ''}/p/{row['reply_post_id']}" if row["reply_post_id"] else None
        )
        documents.append(
            {
                "topic_id": row["topic_id"],
                "title": row["title"],
                "author": row["author"],
                "url": url,
                "open": row["status"] != ChallengeStatus.closed,
                "status": row["status"].value,
                "answered": row["reply_post_id"] is not None
                and row["status"] != ChallengeStatus.reply_deleted,
                "reply_post_id": row["reply_post_id"],
                "reply_url": reply_url,
                "reply_deleted": row["status"] == ChallengeStatus.reply_deleted,
                "matched_refs": list(row["matched_refs"] or []),
                # Replies the challenge received, the bridge's own answer included.
                "replies": max(0, int(row["posts_count"] or 0) - 1),
                "last_error": row["last_error"],
                "first_seen_at": row["first_seen_at"].isoformat(),
            }
        )
    return documents


class DeletedReply(TypedDict):
    topic_id: int
    title: str


class FailedReply(TypedDict):
    topic_id: int
    error: str


class ChallengeReport(TypedDict):
    """The challenges part of `status --json`."""

    open: int
    answered: int
    reply_deleted: list[DeletedReply]
    failed: list[FailedReply]


def challenge_status(source: Rows | Engine) -> ChallengeReport:
    """The challenges part of `status --json`: replies a moderator deleted, refused replies."""
    docs = challenge_documents(source, None)
    open_docs = [d for d in docs if d["open"]]
    return {
        "open": len(open_docs),
        "answered": sum(1 for d in open_docs if d["answered"]),
        "reply_deleted": [
            {"topic_id": d["topic_id"], "title": d["title"]} for d in docs if d["reply_deleted"]
        ],
        "failed": [
            {"topic_id": d["topic_id"], "error": d["last_error"]}
            for d in open_docs
            if d["last_error"]
        ],
    }
