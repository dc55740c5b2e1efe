"""A fixed catalogue for golden-output tests: generated and real records, with sync state,
activity and runs, every timestamp pinned, so the read commands print the same bytes each time.

Records go in through the product's import; what only the sync engine and `pull` write (sync
state, activity, the run log) is inserted with Core statements, as `plugins.sync` does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from plugins.catalogue import make_records, real_records, write_records_file

from bridge.catalogue.importer import run_import
from bridge.models import Activity, Project, SyncRun, SyncState

T0 = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
FORUM_URL = "https://forum.example.cat"


def build(engine: sa.Engine, shared_dir: Path, tmp_path: Path) -> list[str]:
    """Fill an empty, migrated catalogue; returns the refs in order."""
    # Two imports: the real data then corrects some generated local bodies (shared by name).
    for name, records in (("made", make_records(40)), ("real", real_records(shared_dir))):
        outcome = run_import(engine, [write_records_file(tmp_path / f"{name}.json", records)])
        assert not outcome.problems, outcome.problems[:3]
    P: sa.Table = Project.__table__  # type: ignore[attr-defined]
    S: sa.Table = SyncState.__table__  # type: ignore[attr-defined]
    A: sa.Table = Activity.__table__  # type: ignore[attr-defined]
    R: sa.Table = SyncRun.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        rows = conn.execute(sa.select(P.c.id, P.c.ref, P.c.content_hash).order_by(P.c.ref)).all()
        states: list[dict[str, Any]] = []
        activity: list[dict[str, Any]] = []
        for n, (pid, _ref, content_hash) in enumerate(rows):
            archived = n % 11 == 5
            conn.execute(
                sa.update(P)
                .where(P.c.id == pid)
                .values(
                    archived=archived,
                    created_at=T0 + timedelta(minutes=n),
                    # Some records share an update time: sorting must break the tie by ref.
                    updated_at=T0 + timedelta(hours=n // 3),
                )
            )
            kind = n % 7
            if kind == 0:
                continue  # never synced
            state = {1: "synced", 2: "synced", 3: "failed", 4: "drift", 5: "pending", 6: "synced"}
            states.append(
                {
                    "project_id": pid,
                    "external_id": f"dc-golden-{n:04d}",
                    "topic_id": None if kind == 5 and n % 2 else 1000 + n,
                    "topic_slug": None if kind == 6 else f"topic-{n}",
                    "state": state[kind],
                    # kind 2 changed since its last sync: pending at read time.
                    "content_hash": "0" * 64 if kind == 2 else content_hash,
                    "closed": archived if kind != 1 else False,
                    "last_error": "HTTP 422: Title has already been used" if kind == 3 else None,
                    "last_synced_at": T0 + timedelta(days=1, seconds=n) if kind != 5 else None,
                    "drift": ["title", "tags"] if kind == 4 else None,
                    "updated_at": T0,
                }
            )
            if n % 3:
                activity.append(
                    {
                        "project_id": pid,
                        "replies": (n * 7) % 13,
                        "views": (n * 31) % 500,
                        "likes": n % 5,
                        "participants": (n * 7) % 13 // 2,
                        "posts_count": (n * 7) % 13 + 1,
                        "last_posted_at": (
                            T0 + timedelta(days=2, minutes=(n * 17) % 600) if n % 4 else None
                        ),
                        "pulled_at": T0,
                    }
                )
        conn.execute(sa.insert(S), states)
        conn.execute(sa.insert(A), activity)
        runs = []
        for n in range(26):
            run_kind = "pull" if n % 5 == 4 else "sync"
            started = T0 + timedelta(hours=n)
            runs.append(
                {
                    "kind": run_kind,
                    "started_at": started,
                    "finished_at": started + timedelta(seconds=3 + n) if n != 25 else None,
                    "status": ("ok", "partial", "failed", "interrupted")[n % 4]
                    if n != 25
                    else "running",
                    "created": n,
                    "updated": n % 3,
                    "unchanged": 100 - n,
                    "archived": n % 2,
                    "restored": 0,
                    "adopted": n % 4 // 3,
                    "failed": int(n % 4 == 1),
                    "requests": 2 * n,
                    "failures": [{"ref": rows[n][1], "error": "HTTP 500"}] if n % 4 == 1 else None,
                    "message": "stopped: SIGTERM" if n % 4 == 3 else None,
                    "holder": f"host:{n}",
                }
            )
        conn.execute(sa.insert(R), runs)
    return [ref for _, ref, _ in rows]


def commands(refs: list[str]) -> dict[str, list[str]]:
    """Golden file name -> the CLI arguments whose output it holds."""
    shown = [refs[n] for n in (0, 1, 2, 3, 4, 5, 6, 16, 40, 100, 200, 400, len(refs) - 1)]
    return {
        "list.json": ["projects", "list", "--json"],
        "list-all-activity.json": [
            "projects",
            "list",
            "--json",
            "--include-archived",
            "--sort",
            "activity",
        ],
        "list-archived.json": ["projects", "list", "--json", "--archived"],
        "list-recent.json": ["projects", "list", "--json", "--sort", "recent"],
        "list-title-km0.json": [
            "projects",
            "list",
            "--json",
            "--sort",
            "title",
            "--proximity",
            "km0",
        ],
        "list-filters.json": [
            "projects",
            "list",
            "--json",
            "--area",
            "participation-open-government",
            "--proximity",
            "foreign",
            "--kind",
            "service",
            "--phase",
            "implemented",
        ],
        "list-search.json": ["projects", "list", "--json", "--search", " Participacio "],
        "list-none.json": ["projects", "list", "--json", "--search", "no such words anywhere"],
        "list.txt": ["projects", "list", "--area", "social-services"],
        "status.json": ["status", "--json"],
        "status.txt": ["status"],
        **{f"show-{ref}.json": ["projects", "show", ref, "--json"] for ref in shown},
        **{f"show-{ref}.txt": ["projects", "show", ref] for ref in shown[:8]},
    }


EXPORTS = ("export.json", "export.yaml", "export.csv")
