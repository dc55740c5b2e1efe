"""The sync state table (`SyncState`): every read and write of it, and the one rule that says
what a record's sync state is.

`effective_status(record, state)` is the only answer to "is this record never synced, synced,
pending, failed or in drift?": `projects list/show` (bridge.catalogue.store), `status` and the
planner's bookkeeping rule all call it, so they cannot disagree. `settled(drift)` is the one
place that turns the drift a record still has into its stored state.

Writes are small transactions of their own (one per step of an action), because progress must
survive a process killed at any moment: the next run reads exactly what was confirmed. They use
SQLAlchemy Core rather than the ORM: a first sync of thousands of records does several writes per
record, and those must cost far less than the HTTP request they record.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from bridge.db import from_row
from bridge.dbapi import rows_of
from bridge.models import ForumCategory, Project, SyncState, SyncStatus
from bridge.models.types import utcnow
from bridge.redact import scrub
from bridge.sync import state_read

S = SQLModel.metadata.tables[str(SyncState.__tablename__)]
P = SQLModel.metadata.tables[str(Project.__tablename__)]
_CATS = SQLModel.metadata.tables[str(ForumCategory.__tablename__)]


# --------------------------------------------------------------------------- the rule
# Written in bridge.rules.status (no ORM there: `projects list/show` apply it too).
from bridge.rules.status import (  # noqa: E402
    DRIFT_ASPECTS as DRIFT_ASPECTS,
)
from bridge.rules.status import (  # noqa: E402
    RecordFacts as RecordFacts,
)
from bridge.rules.status import (  # noqa: E402
    StateFacts as StateFacts,
)
from bridge.rules.status import (  # noqa: E402
    StateSummary as StateSummary,
)
from bridge.rules.status import (  # noqa: E402
    effective_status as effective_status,
)
from bridge.rules.status import (  # noqa: E402
    is_pending as is_pending,
)
from bridge.rules.status import (  # noqa: E402
    merge_drift,
)
from bridge.rules.status import (  # noqa: E402
    needs_bookkeeping as needs_bookkeeping,
)
from bridge.rules.status import (  # noqa: E402
    settled as settled,
)

# --------------------------------------------------------------------------- the row, read


@dataclass(frozen=True)
class Stored:
    """A frozen copy of one SyncState row: what was last written for a record."""

    project_id: int
    external_id: str
    topic_id: int | None = None
    first_post_id: int | None = None
    state: SyncStatus = SyncStatus.never
    create_started_at: datetime | None = None
    category_id: int | None = None
    tags: tuple[str, ...] | None = None
    title: str | None = None  # as Discourse stored it
    body_hash: str | None = None
    closed: bool = False
    content_hash: str | None = None
    # Remote observation (pull, webhooks): which owned fields the forum changed, and the values
    # it showed. `closed` in drift_detail is the topic's remote open/closed state.
    drift: tuple[str, ...] = ()
    drift_detail: Mapping[str, Any] | None = None
    remote_deleted: bool = False


def _stored(row: Any) -> Stored:
    return from_row(
        Stored, row,
        state=SyncStatus(row["state"]),
        tags=tuple(row["tags"]) if row["tags"] is not None else None,
        closed=bool(row["closed"]),
        drift=tuple(row["drift"] or ()),
        remote_deleted=bool(row["remote_deleted"]),
    )  # fmt: skip


def load_states(engine: Engine) -> dict[int, Stored]:
    with engine.connect() as conn:
        return {row["project_id"]: _stored(row) for row in conn.execute(sa.select(S)).mappings()}


def load_state(engine: Engine, project_id: int) -> Stored | None:
    with engine.connect() as conn:
        return _one(conn, project_id)


def _one(conn: Connection, project_id: int) -> Stored | None:
    row = conn.execute(sa.select(S).where(S.c.project_id == project_id)).mappings().first()
    return _stored(row) if row else None


def paired(
    conn: Connection, topic_id: int | None = None, *, lock: bool = False
) -> list[tuple[str, Stored]]:
    """(ref, state) of every record paired with a topic, or of the one paired with `topic_id`.

    `lock`: hold the state rows until the caller's transaction ends (PostgreSQL's FOR UPDATE;
    SQLite has one writer at a time and refuses a write from a stale read). A webhook compares
    what the forum shows with what the bridge last wrote: without the lock, the sync could
    record its own edit between that read and the webhook's write, and the webhook would report
    the bridge's own edit as a moderator's drift."""
    query = sa.select(S, P.c.ref).join(P, P.c.id == S.c.project_id)
    query = query.where(S.c.topic_id.is_not(None) if topic_id is None else S.c.topic_id == topic_id)
    if lock:
        query = query.with_for_update(of=S)
    return [(row["ref"], _stored(row)) for row in conn.execute(query).mappings()]


# --------------------------------------------------------------------------- the row, written


# Reused statement objects (their compiled form is cached by SQLAlchemy): see _update_statement.
_INSERT = sa.insert(S)


@functools.cache
def _update_statement(columns: tuple[str, ...]) -> sa.Update:
    """One UPDATE per set of columns, built once: a first sync does two writes per record, and
    building and keying a fresh statement each time cost more than SQLite's own work."""
    return (
        sa.update(S)
        .where(S.c.project_id == sa.bindparam("_project_id"))
        .values({name: sa.bindparam(name, type_=S.c[name].type) for name in columns})
    )


def _update(conn: Connection, project_id: int, **values: Any) -> int:
    values["updated_at"] = utcnow()
    if values.get("tags") is not None:
        values["tags"] = list(values["tags"])
    if any(isinstance(v, sa.ColumnElement) for v in values.values()):  # e.g. attempts + 1
        statement = sa.update(S).where(S.c.project_id == project_id).values(**values)
        return conn.execute(statement).rowcount
    statement = _update_statement(tuple(sorted(values)))
    return conn.execute(statement, {"_project_id": project_id, **values}).rowcount


def record_intent(
    engine: Engine, project_id: int, external_id: str, *, new: bool, replaces_deleted: bool = False
) -> None:
    """Before a create is sent: the external id and the time, committed. From now on the next run
    looks the id up before creating anything (the create may reach the forum, its answer lost)."""
    now = utcnow()
    with engine.begin() as conn:
        if new:
            conn.execute(
                _INSERT,
                {
                    "project_id": project_id,
                    "external_id": external_id,
                    "state": SyncStatus.pending,
                    "create_started_at": now,
                    "closed": False,
                    "attempts": 0,
                    "remote_deleted": False,
                    "updated_at": now,
                },
            )
            return
        values: dict[str, Any] = {"create_started_at": now}
        if replaces_deleted:
            # The deleted topic's pairing is forgotten on purpose (sync --recreate-deleted).
            values |= dict.fromkeys(
                ("topic_id", "first_post_id", "topic_slug", "category_id", "tags", "title",
                 "body_hash", "drift", "drift_detail", "drift_seen_at"),
            )  # fmt: skip
            values |= {
                "external_id": external_id,
                "closed": False,
                "remote_deleted": False,
                "state": SyncStatus.pending,
            }
        _update(conn, project_id, **values)


def clear_intent(engine: Engine, project_id: int) -> None:
    """The forum refused the create outright (422): no topic can exist, no lookup is needed."""
    with engine.begin() as conn:
        _update(conn, project_id, create_started_at=None)


def record_paired(
    engine: Engine,
    project_id: int,
    *,
    topic_id: int,
    first_post_id: int | None,
    topic_slug: str | None,
    title: str | None,
    category_id: int | None,
    tags: Iterable[str] | None,
    body_hash: str | None,
    closed: bool,
    content_hash: str | None,
    complete: bool,
) -> None:
    """A topic now belongs to the record (created, or adopted as found). `complete` when what was
    stored is exactly what the catalogue wants (a fresh create); an adopted topic is stored as the
    forum shows it and brought in line by the update that follows."""
    values: dict[str, Any] = {
        "topic_id": topic_id,
        "first_post_id": first_post_id,
        "topic_slug": topic_slug,
        "title": title,
        "category_id": category_id,
        "tags": list(tags) if tags is not None else None,
        "body_hash": body_hash,
        "closed": closed,
        "create_started_at": None,
    }
    if complete:
        values |= {
            "content_hash": content_hash,
            "state": SyncStatus.synced,
            "last_synced_at": utcnow(),
            "last_error": None,
            "attempts": 0,
        }
    with engine.begin() as conn:
        _update(conn, project_id, **values)


def record_written(engine: Engine, project_id: int, **written: Any) -> None:
    """One request's worth of confirmed writes (body_hash, title, category_id, tags, closed)."""
    with engine.begin() as conn:
        _update(conn, project_id, **written)


def record_synced(
    engine: Engine,
    project_id: int,
    *,
    content_hash: str | None,
    repaired: Iterable[str] = (),
    **written: Any,
) -> None:
    """Every step of the record's action is confirmed (with the last step's `written` fields in the
    same transaction): settled, error cleared, the drift that was repaired removed (what remains
    stays reported)."""
    repaired = set(repaired)
    with engine.begin() as conn:
        # Read and written under the row's lock (as a webhook's drift is: see `paired`).
        row = conn.execute(
            sa.select(S.c.drift, S.c.drift_detail)
            .where(S.c.project_id == project_id)
            .with_for_update()
        ).one()
        drift = [a for a in (row.drift or []) if a not in repaired]
        detail = {k: v for k, v in (row.drift_detail or {}).items() if k in drift} or None
        values: dict[str, Any] = written | {
            "state": settled(drift),
            "last_error": None,
            "attempts": 0,
            "last_synced_at": utcnow(),
            "drift": drift or None,
            "drift_detail": detail,
        }
        if not drift:
            values["drift_seen_at"] = None
        if content_hash is not None:
            values["content_hash"] = content_hash
        _update(conn, project_id, **values)


def record_failure(
    engine: Engine, project_id: int, error: str, *, external_id: str | None = None
) -> None:
    """The record's action failed: kept for `status`, retried by the next run. A record that had
    no state row yet gets one (with its new external id) so the failure is visible."""
    now = utcnow()
    with engine.begin() as conn:
        done = _update(
            conn,
            project_id,
            state=SyncStatus.failed,
            last_error=scrub(error)[:2000],
            attempts=S.c.attempts + 1,
        )
        if not done and external_id is not None:
            conn.execute(
                sa.insert(S).values(
                    project_id=project_id,
                    external_id=external_id,
                    state=SyncStatus.failed,
                    last_error=scrub(error)[:2000],
                    attempts=1,
                    closed=False,
                    remote_deleted=False,
                    updated_at=now,
                )
            )


def record_remote_deleted(engine: Engine, project_id: int) -> None:
    """The forum answered 404 for the record's topic or post: a moderator deleted it. Reported as
    drift, never recreated without --recreate-deleted."""
    with engine.begin() as conn:
        save_drift(conn, project_id, ("deleted",), {"deleted": True}, frozenset(DRIFT_ASPECTS))


def touch(
    engine: Engine,
    project_id: int,
    content_hash: str | None,
    *,
    agreed_closed: bool | None = None,
) -> None:
    """Nothing to send, but the bookkeeping moves on (content_hash, a cleared failure; a topic
    closed or reopened in the forum as the catalogue wants it, stored and its drift cleared)."""
    with engine.begin() as conn:
        row = conn.execute(
            sa.select(S.c.drift, S.c.drift_detail).where(S.c.project_id == project_id)
        ).first()
        if row is None:
            return
        drift = list(row.drift or ())
        values: dict[str, Any] = {} if content_hash is None else {"content_hash": content_hash}
        if agreed_closed is not None and "closed" in drift:
            drift.remove("closed")
            detail = {k: v for k, v in (row.drift_detail or {}).items() if k in drift}
            values |= {
                "closed": agreed_closed,
                "drift": drift or None,
                "drift_detail": detail or None,
            }
        _update(
            conn,
            project_id,
            state=settled(drift),
            last_error=None,
            attempts=0,
            **values,
        )


def save_drift(
    conn: Connection,
    project_id: int,
    what: Sequence[str],
    detail: Mapping[str, Any],
    seen: frozenset[str],
) -> bool:
    """Record what the forum changed, for the aspects this observation could see (`seen`).
    True when the recorded drift changed.

    Aspects it could not see keep their earlier report: a topic-list item shows no body, so a pull
    must not clear a body drift that a webhook found. When nothing is left, the report is cleared.
    Runs in the caller's transaction (a pull page, a webhook event)."""
    row = (
        conn.execute(
            sa.select(S.c.state, S.c.drift, S.c.drift_detail).where(S.c.project_id == project_id)
        )
        .mappings()
        .first()
    )
    if row is None:
        return False
    old_detail = row["drift_detail"] or {}
    merged, now_detail = merge_drift(row["drift"] or (), old_detail, what, detail, seen)
    now_what = list(merged)
    current = SyncStatus(row["state"])
    # Only a settled record follows its drift: a failure or an unconfirmed create stays as it is.
    state = settled(now_what) if current in (SyncStatus.synced, SyncStatus.drift) else current
    values: dict[str, Any] = {"state": state, "remote_deleted": "deleted" in now_what}
    changed = now_what != (row["drift"] or []) or now_detail != old_detail
    if changed:
        values |= {
            "drift": now_what or None,
            "drift_detail": now_detail or None,
            "drift_seen_at": utcnow() if now_what else None,
        }
    _update(conn, project_id, **values)
    return changed


# --------------------------------------------------------------------------- reports


def status_counts(engine: Engine) -> dict[str, Any]:
    """Contract §3 `status --json` without the run log (the SQL is `state_read.status_counts`,
    which `status` runs through the driver alone)."""
    with rows_of(engine) as rows:
        return state_read.status_counts(rows)


def topics_table(engine: Engine) -> list[dict[str, Any]]:
    """Every paired record with its topic, category and tags (for the demo's table)."""
    with engine.connect() as conn:
        rows = (
            conn.execute(
                sa.select(
                    P.c.ref,
                    S.c.topic_id,
                    S.c.topic_slug,
                    S.c.title,
                    S.c.tags,
                    S.c.closed,
                    _CATS.c.name.label("category"),
                )
                .join(S, S.c.project_id == P.c.id)
                .outerjoin(_CATS, _CATS.c.category_id == S.c.category_id)
                .where(S.c.topic_id.is_not(None))
                .order_by(P.c.ref)
            )
            .mappings()
            .all()
        )
    return [dict(r) for r in rows]


def forget_pairings(conn: Connection) -> None:
    """Forget every pairing (the demo's forum is a fresh emulator each time)."""
    conn.execute(sa.delete(S))
