"""The harvest's SQL: its own tables (`harvest_source`, `harvest_link`). What it reads and writes
of the catalogue's records goes through their owner, `bridge.catalogue.store`."""

from __future__ import annotations

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
