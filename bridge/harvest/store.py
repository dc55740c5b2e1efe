"""The harvest's SQL: its own tables (`harvest_source`, `harvest_link`) and what it reads of the
catalogue's records to plan (harvested refs, their provenance, titles and places). Writes to the
catalogue itself go through `bridge.catalogue.store`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bridge.catalogue.canonical import provenance_dict
from bridge.db import upsert
from bridge.harvest.model import SourceState, Validators
from bridge.models.types import table_of


def _tables() -> tuple[sa.Table, sa.Table]:
    from bridge.models.harvest import HarvestLink, HarvestSource

    return table_of(HarvestSource), table_of(HarvestLink)


@dataclass(frozen=True)
class Existing:
    """A record already harvested (any source), as planning needs it."""

    ref: str
    archived: bool
    title: str
    body_name: str
    country: str
    place_code: str | None
    urls: tuple[str, ...]
    provenance: dict[str, Any] | None


def sources(conn: Connection) -> dict[str, SourceState]:
    S = _tables()[0]
    return {
        row.slug: SourceState(
            row.slug,
            row.url,
            Validators(row.etag, row.last_modified),
            row.digest,
        )
        for row in conn.execute(sa.select(S))
    }


def save_source(
    conn: Connection, slug: str, url: str, validators: Validators, digest: str, now: datetime
) -> None:
    S = _tables()[0]
    upsert(
        conn,
        S,
        {"slug": slug},
        {
            "url": url,
            "etag": validators.etag,
            "last_modified": validators.last_modified,
            "digest": digest,
            "harvested_at": now,
            "checked_at": now,
            "last_error": None,
        },
    )


def harvested(conn: Connection) -> list[Existing]:
    """Every harvested record (a ref with a source namespace), archived ones too."""
    query = sa.text(
        "SELECT p.id, p.ref, p.archived, p.title, b.name, b.country, b.place_code, "
        "p.provenance_json FROM project p JOIN local_body b ON b.id = p.local_body_id "
        "WHERE p.provenance_json IS NOT NULL"
    )
    rows = conn.execute(query).all()
    urls: dict[int, list[str]] = {}
    if rows:
        documents = sa.text(
            "SELECT d.project_id, d.url FROM document d JOIN project p ON p.id = d.project_id "
            "WHERE p.provenance_json IS NOT NULL ORDER BY d.project_id, d.position"
        )
        for project_id, url in conn.execute(documents):
            urls.setdefault(project_id, []).append(url)
    return [
        Existing(
            ref, bool(archived), title, name, country, place, tuple(urls.get(pid, ())),
            provenance_dict(provenance),
        )
        for pid, ref, archived, title, name, country, place, provenance in rows
    ]  # fmt: skip


def links(conn: Connection, slug: str | None = None) -> dict[tuple[str, str], str]:
    """(slug, source id) -> the ref each merged record was kept as."""
    L = _tables()[1]
    query = sa.select(L.c.slug, L.c.source_id, L.c.ref)
    if slug is not None:
        query = query.where(L.c.slug == slug)
    return {(s, i): ref for s, i, ref in conn.execute(query)}


def save_links(conn: Connection, slug: str, kept: dict[str, tuple[str, str]]) -> None:
    """This source's merged records, all of them: source id -> (ref kept, provenance JSON)."""
    L = _tables()[1]
    conn.execute(sa.delete(L).where(L.c.slug == slug))
    if kept:
        conn.execute(
            sa.insert(L),
            [
                {"slug": slug, "source_id": sid, "ref": ref, "provenance_json": prov}
                for sid, (ref, prov) in sorted(kept.items())
            ],
        )


def also_from(engine: Engine | Connection, ref: str) -> list[dict[str, Any]]:
    """The provenances of other sources' records merged into `ref`."""
    L = _tables()[1]
    query = sa.select(L.c.provenance_json).where(L.c.ref == ref).order_by(L.c.slug, L.c.source_id)
    if isinstance(engine, Connection):
        return [provenance_dict(p) or {} for (p,) in engine.execute(query)]
    with engine.connect() as conn:
        return [provenance_dict(p) or {} for (p,) in conn.execute(query)]


def titles(conn: Connection, refs: list[str]) -> dict[str, str]:
    """The titles of the records with these refs (to recognise one's own package)."""
    P = sa.table("project", sa.column("ref"), sa.column("title"))
    found: dict[str, str] = {}
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        found.update(conn.execute(sa.select(P.c.ref, P.c.title).where(P.c.ref.in_(chunk))).all())
    return found
