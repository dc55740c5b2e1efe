"""All SQL of the challenges: the challenge rows and the challenges category's cache."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bridge.challenges import read_store
from bridge.db import SlugCache, delete_all, from_row, upsert
from bridge.dbapi import rows_of
from bridge.models.challenges import Challenge, ChallengeCategory, ChallengeStatus
from bridge.models.types import table_of, utcnow
from bridge.sync.step_category import StepCategory

_ch = table_of(Challenge)
_cat = table_of(ChallengeCategory)


CachedCategory = StepCategory


@dataclass(frozen=True)
class Known:
    """A stored challenge, as the pull and the webhook compare against it."""

    topic_id: int
    title: str
    author: str | None
    first_post_id: int | None
    bumped_at: datetime | None
    post_version: int | None
    post_updated_at: str | None
    posts_count: int
    text_hash: str | None
    status: ChallengeStatus
    matched_refs: tuple[str, ...]
    reply_post_id: int | None
    reply_hash: str | None
    reply_started_at: datetime | None
    last_error: str | None
    attempts: int


def _status(value: Any) -> ChallengeStatus:
    return ChallengeStatus(getattr(value, "value", value))


def _known(row: Any) -> Known:
    return from_row(
        Known, row,
        status=_status(row["status"]),
        matched_refs=tuple(row["matched_refs"] or ()),
    )  # fmt: skip


# --------------------------------------------------------------------------- category cache


_categories = SlugCache(_cat, CachedCategory)
load_category = _categories.load
save_category = _categories.save
forget_category = _categories.forget


# --------------------------------------------------------------------------- challenges


def load_known(engine: Engine) -> dict[int, Known]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(_ch)).mappings().all()
    return {row["topic_id"]: _known(row) for row in rows}


def load_one(engine: Engine, topic_id: int) -> Known | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(_ch).where(_ch.c.topic_id == topic_id)).mappings().first()
    return _known(row) if row else None


def topic_of_reply(engine: Engine, post_id: int) -> int | None:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(_ch.c.topic_id).where(_ch.c.reply_post_id == post_id)
        ).scalar_one_or_none()


def save(engine: Engine, topic_id: int, **values: Any) -> None:
    """Insert or update one challenge row (only the columns given change)."""
    if "matched_refs" in values and values["matched_refs"] is not None:
        values["matched_refs"] = list(values["matched_refs"])
    values["updated_at"] = utcnow()
    with engine.begin() as conn:
        upsert(conn, _ch, {"topic_id": topic_id}, values, on_insert={"title": ""})


def rows(engine: Engine) -> list[dict[str, Any]]:
    """Every challenge row, newest first (the SQL is `read_store.rows`, which `status` runs
    through the driver alone)."""
    with rows_of(engine) as found:
        return read_store.rows(found)


def forget_forum(engine: Engine) -> None:
    """Forget every challenge and the category (the demo's forum is a fresh emulator each time)."""
    delete_all(engine, _ch, _cat)
