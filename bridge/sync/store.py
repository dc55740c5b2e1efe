"""All SQL of the sync engine: reading the catalogue for a run, sync state, the categories cache,
the run log, and what `status` reports.

Writes are small transactions of their own (one per step of an action), because progress must
survive a process killed at any moment: the next run reads exactly what was confirmed. They use
SQLAlchemy Core rather than the ORM: a first sync of thousands of records does several writes per
record, and those must cost far less than the HTTP request they record.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bridge.catalogue.canonical import proximity_for, record_dict
from bridge.catalogue.views import BodyView, ContactView, DocumentView, ProjectView
from bridge.models import (
    Contact,
    Document,
    ForumCategory,
    LocalBody,
    Project,
    SyncRun,
    SyncState,
    SyncStatus,
)
from bridge.models.types import utcnow
from bridge.sync.desired import CatalogueRecord
from bridge.sync.plan import Stored

# `status` reads through bridge.sync.status (no ORM to load); its functions stay reachable here.
from bridge.sync.status import last_runs as last_runs
from bridge.sync.status import status_report as status_report

_state = SyncState.__table__
_runs = SyncRun.__table__
_cats = ForumCategory.__table__
_projects = Project.__table__
_bodies = LocalBody.__table__
_contacts = Contact.__table__
_documents = Document.__table__


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


# --------------------------------------------------------------------------- reading the catalogue


def load_records(engine: Engine, home_region: str) -> list[CatalogueRecord]:
    """Every project as a CatalogueRecord, in four queries (not one per record)."""
    with engine.connect() as conn:
        projects = (
            conn.execute(
                sa.select(_projects, *[c.label(f"lb_{c.name}") for c in _bodies.c]).join(
                    _bodies, _bodies.c.id == _projects.c.local_body_id
                )
            )
            .mappings()
            .all()
        )
        contacts: dict[int, list[ContactView]] = defaultdict(list)
        for row in conn.execute(
            sa.select(_contacts).order_by(_contacts.c.project_id, _contacts.c.position)
        ).mappings():
            contacts[row["project_id"]].append(
                ContactView(
                    name=row["name"],
                    role=row["role"],
                    email=row["email"],
                    phone=row["phone"],
                    forum_username=row["forum_username"],
                    public=bool(row["public"]),
                )
            )
        documents: dict[int, list[DocumentView]] = defaultdict(list)
        for row in conn.execute(
            sa.select(_documents).order_by(_documents.c.project_id, _documents.c.position)
        ).mappings():
            documents[row["project_id"]].append(
                DocumentView(kind=_plain(row["kind"]), url=row["url"], title=row["title"])
            )
    records = []
    for row in projects:
        body = BodyView(
            name=row["lb_name"],
            country=row["lb_country"],
            region=row["lb_region"],
            kind=row["lb_kind"],
            municipality_code=row["lb_municipality_code"],
            population=row["lb_population"],
            latitude=row["lb_latitude"],
            longitude=row["lb_longitude"],
        )
        view = ProjectView(
            ref=row["ref"],
            title=row["title"],
            local_body=body,
            description=row["description"],
            area=_plain(row["area"]),
            kind=_plain(row["kind"]),
            phase=_plain(row["phase"]),
            value=row["value"],
            savings=row["savings"],
            savings_eur_per_year=row["savings_eur_per_year"],
            analysis_barriers=row["analysis_barriers"],
            analysis_benefits=row["analysis_benefits"],
            analysis_technology=row["analysis_technology"],
            proximity=_plain(row["proximity"]),
            contacts=contacts.get(row["id"], []),
            documents=documents.get(row["id"], []),
        )
        proximity = proximity_for(body.country, body.region, view.proximity, home_region)
        records.append(
            CatalogueRecord(
                project_id=row["id"],
                ref=row["ref"],
                archived=bool(row["archived"]),
                content_hash=row["content_hash"],
                record=record_dict(view),  # type: ignore[arg-type]  (reads attributes only)
                proximity=_plain(proximity),
            )
        )
    return records


def _stored(row: Any) -> Stored:
    return Stored(
        project_id=row["project_id"],
        external_id=row["external_id"],
        topic_id=row["topic_id"],
        first_post_id=row["first_post_id"],
        state=_plain(row["state"]),
        create_started_at=row["create_started_at"],
        category_id=row["category_id"],
        tags=tuple(row["tags"]) if row["tags"] is not None else None,
        title=row["title"],
        body_hash=row["body_hash"],
        closed=bool(row["closed"]),
        content_hash=row["content_hash"],
        drift=tuple(row["drift"] or ()),
        drift_detail=row["drift_detail"],
        remote_deleted=bool(row["remote_deleted"]),
        last_error=row["last_error"],
        attempts=row["attempts"] or 0,
    )


def load_states(engine: Engine) -> dict[int, Stored]:
    with engine.connect() as conn:
        return {
            row["project_id"]: _stored(row) for row in conn.execute(sa.select(_state)).mappings()
        }


def load_state(engine: Engine, project_id: int) -> Stored | None:
    with engine.connect() as conn:
        row = (
            conn.execute(sa.select(_state).where(_state.c.project_id == project_id))
            .mappings()
            .first()
        )
    return _stored(row) if row else None


# --------------------------------------------------------------------------- categories cache


@dataclass(frozen=True)
class CachedCategory:
    area: str
    category_id: int
    slug: str
    name: str
    parent_category_id: int | None


def load_categories(engine: Engine) -> dict[str, CachedCategory]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(_cats)).mappings().all()
    return {
        _plain(r["area"]): CachedCategory(
            _plain(r["area"]), r["category_id"], r["slug"], r["name"], r["parent_category_id"]
        )
        for r in rows
    }


def forget_category(engine: Engine, area: str) -> None:
    """Drop an area's cached category (the forum no longer has it): the next run finds or creates it."""
    with engine.begin() as conn:
        conn.execute(sa.delete(_cats).where(_cats.c.area == area))


def save_category(engine: Engine, cat: CachedCategory) -> None:
    values = {
        "category_id": cat.category_id,
        "slug": cat.slug,
        "name": cat.name[:50],
        "parent_category_id": cat.parent_category_id,
        "checked_at": utcnow(),
    }
    with engine.begin() as conn:
        done = conn.execute(
            sa.update(_cats).where(_cats.c.area == cat.area).values(**values)
        ).rowcount
        if not done:
            conn.execute(sa.insert(_cats).values(area=cat.area, **values))


# --------------------------------------------------------------------------- sync state writes


def written_hash(
    title: str | None,
    body_hash: str | None,
    category_id: int | None,
    tags: Iterable[str] | None,
    closed: bool,
) -> str:
    """Fingerprint of everything written to a topic, for a quick "did anything we own change"."""
    data = [title, body_hash, category_id, sorted(tags or ()), bool(closed)]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode("utf-8")).hexdigest()


def record_intent(
    engine: Engine, project_id: int, external_id: str, *, new: bool, replaces_deleted: bool = False
) -> None:
    """Before a create is sent: the external id and the time, committed. From now on the next run
    looks the id up before creating anything (the create may reach the forum and the answer be lost)."""
    now = utcnow()
    with engine.begin() as conn:
        if new:
            conn.execute(
                sa.insert(_state).values(
                    project_id=project_id,
                    external_id=external_id,
                    state=SyncStatus.pending.value,
                    create_started_at=now,
                    closed=False,
                    attempts=0,
                    remote_deleted=False,
                    updated_at=now,
                )
            )
            return
        values: dict[str, Any] = {"create_started_at": now, "updated_at": now}
        if replaces_deleted:
            # The deleted topic's pairing is forgotten on purpose (sync --recreate-deleted).
            values |= {
                "external_id": external_id,
                "topic_id": None,
                "first_post_id": None,
                "topic_slug": None,
                "category_id": None,
                "tags": None,
                "title": None,
                "body_hash": None,
                "written_hash": None,
                "closed": False,
                "drift": None,
                "drift_detail": None,
                "drift_seen_at": None,
                "remote_deleted": False,
                "state": SyncStatus.pending.value,
            }
        conn.execute(sa.update(_state).where(_state.c.project_id == project_id).values(**values))


def clear_intent(engine: Engine, project_id: int) -> None:
    """The forum refused the create outright (422): no topic can exist, no lookup is needed."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(_state)
            .where(_state.c.project_id == project_id)
            .values(create_started_at=None)
        )


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
    tags = list(tags) if tags is not None else None
    values: dict[str, Any] = {
        "topic_id": topic_id,
        "first_post_id": first_post_id,
        "topic_slug": topic_slug,
        "title": title,
        "category_id": category_id,
        "tags": tags,
        "body_hash": body_hash,
        "closed": closed,
        "written_hash": written_hash(title, body_hash, category_id, tags, closed),
        "create_started_at": None,
        "updated_at": utcnow(),
    }
    if complete:
        values |= {
            "content_hash": content_hash,
            "state": SyncStatus.synced.value,
            "last_synced_at": utcnow(),
            "last_error": None,
            "attempts": 0,
        }
    with engine.begin() as conn:
        conn.execute(sa.update(_state).where(_state.c.project_id == project_id).values(**values))


def record_written(engine: Engine, project_id: int, **written: Any) -> None:
    """One request's worth of confirmed writes (body_hash, or title/category_id/tags, or closed)."""
    written["updated_at"] = utcnow()
    if "tags" in written and written["tags"] is not None:
        written["tags"] = list(written["tags"])
    with engine.begin() as conn:
        conn.execute(sa.update(_state).where(_state.c.project_id == project_id).values(**written))


def record_synced(
    engine: Engine, project_id: int, *, content_hash: str | None, repaired: Iterable[str] = ()
) -> None:
    """Every step of the record's action is confirmed: synced, error cleared, written_hash
    refreshed, drift that was repaired removed (what remains stays reported)."""
    repaired = set(repaired)
    with engine.begin() as conn:
        row = (
            conn.execute(sa.select(_state).where(_state.c.project_id == project_id))
            .mappings()
            .one()
        )
        drift = [a for a in (row["drift"] or []) if a not in repaired]
        detail = {k: v for k, v in (row["drift_detail"] or {}).items() if k in drift} or None
        values: dict[str, Any] = {
            "state": (SyncStatus.drift if drift else SyncStatus.synced).value,
            "last_error": None,
            "attempts": 0,
            "last_synced_at": utcnow(),
            "updated_at": utcnow(),
            "drift": drift or None,
            "drift_detail": detail,
            "written_hash": written_hash(
                row["title"], row["body_hash"], row["category_id"], row["tags"], row["closed"]
            ),
        }
        if not drift:
            values["drift_seen_at"] = None
        if content_hash is not None:
            values["content_hash"] = content_hash
        conn.execute(sa.update(_state).where(_state.c.project_id == project_id).values(**values))


def record_failure(
    engine: Engine, project_id: int, error: str, *, external_id: str | None = None
) -> None:
    """The record's action failed: kept for `status`, retried by the next run. A record that had
    no state row yet gets one (with its new external id) so the failure is visible."""
    now = utcnow()
    with engine.begin() as conn:
        done = conn.execute(
            sa.update(_state)
            .where(_state.c.project_id == project_id)
            .values(
                state=SyncStatus.failed.value,
                last_error=error[:2000],
                attempts=_state.c.attempts + 1,
                updated_at=now,
            )
        ).rowcount
        if not done and external_id is not None:
            conn.execute(
                sa.insert(_state).values(
                    project_id=project_id,
                    external_id=external_id,
                    state=SyncStatus.failed.value,
                    last_error=error[:2000],
                    attempts=1,
                    closed=False,
                    remote_deleted=False,
                    updated_at=now,
                )
            )


def record_remote_deleted(engine: Engine, project_id: int) -> None:
    """The forum answered 404 for the record's topic or post: a moderator deleted it. Reported as
    drift (bridge.loop.drift's shape), never recreated without --recreate-deleted."""
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            sa.update(_state)
            .where(_state.c.project_id == project_id)
            .values(
                state=SyncStatus.drift.value,
                drift=["deleted"],
                drift_detail={"deleted": True},
                drift_seen_at=now,
                remote_deleted=True,
                updated_at=now,
            )
        )


def touch(engine: Engine, project_id: int, content_hash: str) -> None:
    """Nothing to send, but the bookkeeping moves on (content_hash, a cleared failure)."""
    with engine.begin() as conn:
        row = conn.execute(
            sa.select(_state.c.drift).where(_state.c.project_id == project_id)
        ).first()
        if row is None:
            return
        state = SyncStatus.drift if row[0] else SyncStatus.synced
        conn.execute(
            sa.update(_state)
            .where(_state.c.project_id == project_id)
            .values(
                content_hash=content_hash,
                state=state.value,
                last_error=None,
                attempts=0,
                updated_at=utcnow(),
            )
        )


# --------------------------------------------------------------------------- run log


def start_run(engine: Engine, holder: str, kind: str = "sync") -> int:
    """A new run row. Rows still `running` from a process that died are marked `interrupted`:
    the caller holds the lease, so no other run of this kind can be alive."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(_runs)
            .where(_runs.c.kind == kind, _runs.c.status == "running")
            .values(
                status="interrupted",
                message="the process stopped before finishing (killed or crashed)",
            )
        )
        result = conn.execute(
            sa.insert(_runs).values(
                kind=kind, started_at=utcnow(), status="running", holder=holder[:200]
            )
        )
        return int(result.inserted_primary_key[0])


def finish_run(
    engine: Engine,
    run_id: int,
    *,
    status: str,
    counts: dict[str, int],
    failures: list[dict[str, str]],
    message: str | None,
) -> None:
    columns = {
        "created",
        "updated",
        "unchanged",
        "archived",
        "restored",
        "adopted",
        "failed",
        "requests",
    }
    values = {k: v for k, v in counts.items() if k in columns}
    with engine.begin() as conn:
        conn.execute(
            sa.update(_runs)
            .where(_runs.c.id == run_id)
            .values(
                status=status,
                finished_at=utcnow(),
                failures=failures or None,
                message=message,
                **values,
            )
        )


def ref_exists(engine: Engine, refs: Iterable[str]) -> set[str]:
    refs = list(refs)
    with engine.connect() as conn:
        return {
            r[0] for r in conn.execute(sa.select(_projects.c.ref).where(_projects.c.ref.in_(refs)))
        }


def forget_forum(engine: Engine) -> None:
    """Forget every pairing and the categories cache (the demo's forum is a fresh in-memory
    emulator each time, so what a kept catalogue remembers of an earlier one is void)."""
    with engine.begin() as conn:
        conn.execute(sa.delete(_state))
        conn.execute(sa.delete(_cats))


def topics_table(engine: Engine) -> list[dict[str, Any]]:
    """Every paired record with its topic, category and tags (for the demo's table)."""
    p, s, c = _projects, _state, _cats
    with engine.connect() as conn:
        rows = (
            conn.execute(
                sa.select(
                    p.c.ref,
                    s.c.topic_id,
                    s.c.topic_slug,
                    s.c.title,
                    s.c.tags,
                    s.c.closed,
                    c.c.name.label("category"),
                )
                .join(s, s.c.project_id == p.c.id)
                .outerjoin(c, c.c.category_id == s.c.category_id)
                .where(s.c.topic_id.is_not(None))
                .order_by(p.c.ref)
            )
            .mappings()
            .all()
        )
    return [dict(r) for r in rows]
