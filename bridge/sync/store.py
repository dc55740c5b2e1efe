"""SQL of the sync engine other than the sync state (bridge.sync.state): the run's snapshot of
the catalogue, the categories cache and `status`'s report. The run log is bridge.sync.runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bridge.catalogue import read_store as catalogue_store
from bridge.catalogue.canonical import plain, record_dict
from bridge.catalogue.proximity import of_body
from bridge.db import upsert
from bridge.dbapi import rows_of
from bridge.models import ForumCategory, Project
from bridge.models.types import utcnow
from bridge.sync import state, state_read
from bridge.sync.catalogue_record import CatalogueRecord

_cats = SQLModel.metadata.tables[str(ForumCategory.__tablename__)]
_projects = SQLModel.metadata.tables[str(Project.__tablename__)]


# --------------------------------------------------------------------------- reading the catalogue


def load_records(engine: Engine, home_region: str) -> list[CatalogueRecord]:
    """Every project as a CatalogueRecord, read by the catalogue's own reader (the one that
    `projects list/show` use), so the sync sees records exactly as they are shown."""
    records = []
    for item in catalogue_store.load_all(engine):
        # The one rule (bridge.catalogue.proximity): the listing and the topics agree.
        proximity = of_body(item.view.local_body, item.view.proximity, home_region).proximity
        records.append(
            CatalogueRecord(
                project_id=item.id,
                ref=item.ref,
                archived=bool(item.archived),
                content_hash=item.content_hash,
                # record_dict reads attributes only, of a Project or of its light view.
                record=record_dict(item.view),
                proximity=plain(proximity),
                place=item.place,
                relations=item.relations,
            )
        )
    return records


def unknown_refs(engine: Engine, refs: Iterable[str]) -> list[str]:
    """The refs that name no record, sorted (one query, before any lease is taken)."""
    wanted = set(refs)
    if not wanted:
        return []
    with engine.connect() as conn:
        known = {
            r[0]
            for r in conn.execute(sa.select(_projects.c.ref).where(_projects.c.ref.in_(wanted)))
        }
    return sorted(wanted - known)


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
        plain(r["area"]): CachedCategory(
            plain(r["area"]), r["category_id"], r["slug"], r["name"], r["parent_category_id"]
        )
        for r in rows
    }


def forget_category(engine: Engine, area: str) -> None:
    """Drop an area's cached category (the forum no longer has it): the next run finds or
    creates it."""
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
        upsert(conn, _cats, {"area": cat.area}, values)


def forget_forum(engine: Engine) -> None:
    """Forget every pairing and the categories cache (the demo's forum is a fresh in-memory
    emulator each time, so what a kept catalogue remembers of an earlier one is void)."""
    with engine.begin() as conn:
        state.forget_pairings(conn)
        conn.execute(sa.delete(_cats))


# --------------------------------------------------------------------------- status


def status_report(engine: Engine) -> dict[str, Any]:
    """Contract §3 `status --json`: never synced, pending, failed, drift, last runs (the SQL is
    `state_read.status_report`, which `status` runs through the driver alone)."""
    with rows_of(engine) as rows:
        return state_read.status_report(rows)


def area_categories(session: Any) -> list[ForumCategory]:
    """The area categories the sync made, by category id (what `pull` lists; moved from
    bridge/loop/store.py so that forum_category has one owner)."""
    from sqlmodel import col, select

    return list(session.exec(select(ForumCategory).order_by(col(ForumCategory.category_id))).all())
