"""All SQL of the observatory's forum side: topic links of paired records, the cache of the
similar choice, and what was last written to each index and overview topic (ForumPage).

Small transactions of their own, like bridge.sync.store: progress survives a killed process.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bridge.db import from_row, upsert
from bridge.dbapi import rows_of
from bridge.discovery import index_store
from bridge.loop import activity_sql
from bridge.models import DiscoveryCache, ForumPage
from bridge.models.types import table_of, utcnow
from bridge.observatory.pages import StoredPage, merge_page_drift, page_drift
from bridge.sync import pages_read, state_read
from bridge.sync.drift import Observed

# SQLModel's table classes carry their Core table; its stubs do not say so.
_pages = table_of(ForumPage)
_cache = table_of(DiscoveryCache)


def topic_path(topic_id: int, slug: str | None) -> str:
    """A topic's path on the forum, as posts link it (relative: valid whatever the forum's
    public address; Discourse redirects a stale slug to the right one)."""
    return f"/t/{slug or '-'}/{topic_id}"


def record_link(topic_id: int) -> str:
    """How a similar-projects section links a record's topic: by id alone, so a new title (and
    slug) changes no other post. Discourse answers /t/-/{id} with a redirect to the topic's
    canonical URL (core app/controllers/topics_controller.rb `show`: slugs_do_not_match →
    redirect_to_correct_topic)."""
    return f"/t/-/{topic_id}"


def topic_links(engine: Engine) -> dict[str, str]:
    """ref → topic link for every record whose topic exists (not deleted by a moderator)."""
    with rows_of(engine) as rows:
        found = state_read.live_topics(rows)
    return {ref: record_link(topic_id) for ref, topic_id in found}


# --------------------------------------------------------------------------- the choice cache


def load_cache(engine: Engine, key: str) -> tuple[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(_cache.c.inputs_hash, _cache.c.data).where(_cache.c.key == key)
        ).first()
    return (row[0], row[1]) if row else None


# The discovery_cache rows are written by one function (bridge.discovery.index_store.save).
save_cache = index_store.save


def pages_inputs(engine: Engine, extra: str) -> str:
    """Fingerprint of everything the index and overview topics show: each record's content,
    archived state, topic and replies (one query), plus `extra` (the settings they use)."""
    with rows_of(engine) as read:
        replies = dict(read.all(activity_sql.REPLIES_SQL))
        rows = [[*row, replies.get(row[0])] for row in state_read.pages_inputs(read)]
    data = json.dumps([extra, [list(r) for r in rows]], ensure_ascii=False, default=str)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _stored(r: Any) -> StoredPage:
    return from_row(StoredPage, r, pinned=bool(r["pinned"]))


def load_pages(engine: Engine) -> dict[str, StoredPage]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(_pages)).mappings().all()
    return {r["key"]: _stored(r) for r in rows}


def page_topics(conn: sa.Connection, topic_id: int | None = None) -> dict[int, StoredPage]:
    """Every page that has a topic (or the one with `topic_id`, its row held until the caller's
    transaction ends: PostgreSQL's FOR UPDATE, as bridge.sync.state.paired does for records),
    by topic id."""
    query = sa.select(_pages).where(_pages.c.topic_id.is_not(None))
    if topic_id is not None:
        query = query.where(_pages.c.topic_id == topic_id).with_for_update()
    rows = conn.execute(query).mappings().all()
    return {r["topic_id"]: _stored(r) for r in rows}


# --------------------------------------------------------------------------- page drift
# What moderators changed on page topics (bridge.observatory.pages.page_drift), one document in the
# cache table: page key → {"what": [...], "detail": {...}}. Written by the pull, read and cleared
# by the sync.

PAGE_DRIFT_KEY = pages_read.PAGE_DRIFT_KEY


def load_page_drift(conn: sa.Connection) -> dict[str, dict[str, Any]]:
    data = conn.execute(
        sa.select(_cache.c.data).where(_cache.c.key == PAGE_DRIFT_KEY)
    ).scalar_one_or_none()
    return dict(data or {})


def save_page_drift(conn: sa.Connection, drift: dict[str, dict[str, Any]]) -> None:
    values = {"inputs_hash": "", "data": drift, "updated_at": utcnow()}
    upsert(conn, _cache, {"key": PAGE_DRIFT_KEY}, values)


def observe_page(
    conn: sa.Connection, row: StoredPage, observed: Observed, pinned: bool | None
) -> list[str] | None:
    """Record what the forum shows of a page topic (a list item, a topic read, a webhook):
    its drift is replaced for what the observation speaks for. Returns what drifted, if any."""
    drift = load_page_drift(conn)
    value = merge_page_drift(
        drift.get(row.key), page_drift(row, observed, pinned), observed, pinned
    )
    if value != drift.get(row.key):
        if value is None:
            drift.pop(row.key, None)
        else:
            drift[row.key] = value
        save_page_drift(conn, drift)
    return None if value is None else list(value["what"])


def set_page_drift(engine: Engine, key: str, value: dict[str, Any] | None) -> None:
    """One page's drift replaced (None: cleared, after a repair)."""
    with engine.begin() as conn:
        drift = load_page_drift(conn)
        if value is None and key not in drift:
            return
        if value is None:
            drift.pop(key, None)
        else:
            drift[key] = value
        save_page_drift(conn, drift)


def page_drift_report(engine: Engine) -> list[dict[str, Any]]:
    """`status`'s page drift (the SQL is `pages_read.page_drift_report`, which `status` runs
    through the driver alone)."""
    with rows_of(engine) as found:
        return pages_read.page_drift_report(found)


def page_recreated(engine: Engine, key: str, external_id: str) -> None:
    """A page whose topic a moderator deleted: forgotten, under a new external id (the deleted
    topic keeps the old one reserved), so the next step creates it again."""
    page_written(
        engine,
        key,
        external_id=external_id,
        topic_id=None,
        first_post_id=None,
        topic_slug=None,
        create_started_at=None,
        title=None,
        body_hash=None,
        pinned=False,
    )


def page_intent(engine: Engine, key: str, external_id: str) -> None:
    """Before a create is sent: from now on the next run looks the external id up first."""
    now = utcnow()
    with engine.begin() as conn:
        upsert(
            conn,
            _pages,
            {"key": key},
            {"create_started_at": now, "updated_at": now},
            on_insert={"external_id": external_id, "pinned": False},
        )


def page_written(engine: Engine, key: str, *, settled: tuple[str, ...] = (), **values: Any) -> None:
    """Confirmed writes (topic ids, title, body hash, category, pinned, a cleared error). The
    drift on the aspects just written (`settled`) goes in the same transaction, after the page's
    row: a webhook about this very edit holds that row while it compares (`page_topics` with a
    topic id), so it either sees the new values or its report is cleared here."""
    values["updated_at"] = utcnow()
    with engine.begin() as conn:
        conn.execute(sa.update(_pages).where(_pages.c.key == key).values(**values))
        if settled:
            drift = load_page_drift(conn)
            entry = drift.get(key)
            if entry is not None and set(entry.get("what") or ()) & set(settled):
                what = [a for a in entry.get("what") or () if a not in settled]
                detail = {k: v for k, v in (entry.get("detail") or {}).items() if k in what}
                if what:
                    drift[key] = {"what": what, "detail": detail}
                else:
                    drift.pop(key)
                save_page_drift(conn, drift)


def page_category(engine: Engine, key: str, category_id: int, slug: str) -> None:
    """The observatory's category, remembered on its page so a no-op sync asks nothing."""
    page_written(engine, key, category_id=category_id, category_slug=slug)


def forget_pages(engine: Engine) -> None:
    """Forget every page's topic and what was seen of it (the demo's forum is new each time)."""
    with engine.begin() as conn:
        conn.execute(sa.delete(_pages))
        conn.execute(sa.delete(_cache).where(_cache.c.key == PAGE_DRIFT_KEY))
