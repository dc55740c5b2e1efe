"""What `status` reports (contract §3): records never synced, pending, failed, drift, last runs.

Read through the light tables of `bridge.models.read_tables`, so that `status` loads neither the
ORM nor the sync engine (issue 15).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bridge.models.enums import SyncStatus
from bridge.models.read_tables import project, sync_run, sync_state

_RUN_COUNTS = ("created", "updated", "unchanged", "archived", "restored", "adopted", "failed")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def last_runs(engine: Engine, limit: int = 20, kind: str = "sync") -> list[dict[str, Any]]:
    r = sync_run
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                *(r.c[k] for k in ("id", "kind", "started_at", "finished_at", "status")),
                *(r.c[k] for k in _RUN_COUNTS),
                *(r.c[k] for k in ("requests", "failures", "message")),
            )
            .where(r.c.kind == kind)
            .order_by(r.c.started_at.desc(), r.c.id.desc())
            .limit(limit)
        ).mappings()
        return [
            {
                "id": r["id"],
                "kind": r["kind"],
                "start": _iso(r["started_at"]),
                "end": _iso(r["finished_at"]),
                "status": r["status"],
                "counts": {k: r[k] for k in _RUN_COUNTS},
                "requests": r["requests"],
                "failures": r["failures"] or [],
                "message": r["message"],
            }
            for r in rows
        ]


def is_pending(row: Any) -> bool:
    """Changed since the last good sync: content (an archived record's content waits for its
    restore, so only its open/closed state counts), or a topic not yet closed or reopened.
    (The one place `status` decides "pending": issue 8 replaces it with `effective_status`.)"""
    return (not row["archived"] and row["content_hash"] != row["synced_hash"]) or bool(
        row["archived"]
    ) != bool(row["closed"])


def status_report(engine: Engine) -> dict[str, Any]:
    """Contract §3 `status --json`: never synced, pending, failed, drift, last runs."""
    p, s = project, sync_state
    with engine.connect() as conn:
        rows = (
            conn.execute(
                sa.select(
                    p.c.ref,
                    p.c.archived,
                    p.c.content_hash,
                    s.c.topic_id,
                    s.c.state,
                    s.c.content_hash.label("synced_hash"),
                    s.c.closed,
                    s.c.drift,
                    s.c.last_error,
                )
                .select_from(p.outerjoin(s, s.c.project_id == p.c.id))
                .order_by(p.c.ref)
            )
            .mappings()
            .all()
        )
    never = pending = failed = 0
    drift: list[dict[str, Any]] = []
    failures: list[dict[str, str]] = []
    for r in rows:
        if r["state"] == SyncStatus.failed.value:
            failed += 1
            failures.append({"ref": r["ref"], "error": r["last_error"] or ""})
        if r["drift"]:
            drift.append({"ref": r["ref"], "what": list(r["drift"])})
        if r["topic_id"] is None:
            if not r["archived"]:
                never += 1  # archived records get no topic, so they are not waiting for one
            continue
        if is_pending(r):
            pending += 1
    return {
        "records": len(rows),
        "never_synced": never,
        "pending": pending,
        "failed": failed,
        "failures": failures,
        "drift": drift,
        "last_runs": last_runs(engine),
        # Pulls (of `digicanvis pull` or the scheduler) are runs too: listed beside the syncs.
        "last_pulls": last_runs(engine, kind="pull"),
    }
