"""All SQL of connection requests (issue 22): `connection_request`, `connection_invite` and the
connections category's cache, `connection_category`. Reads for the read commands are
`read_store`'s SQL, which this module runs too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bridge.connections import read_store
from bridge.connections.rules import Counted, Target
from bridge.db import SlugCache, delete_all
from bridge.dbapi import rows_of
from bridge.models.connections import (
    ConnectionCategory,
    ConnectionInvite,
    ConnectionRequest,
    InviteState,
)
from bridge.models.types import table_of, utcnow
from bridge.sync.step_category import StepCategory

_req = table_of(ConnectionRequest)
_inv = table_of(ConnectionInvite)
_cat = table_of(ConnectionCategory)


@dataclass(frozen=True)
class CachedCategory(StepCategory):
    template_hash: str | None  # the definition post's request template, as last written


@dataclass(frozen=True)
class Invite:
    """One invite row: who (name and role only) and how far it went."""

    id: int
    request_id: int
    round: int
    ref: str
    person: str | None
    role: str | None
    channel: str
    target: str
    state: InviteState


# --------------------------------------------------------------------------- category cache


_categories = SlugCache(_cat, CachedCategory)
load_category = _categories.load
save_category = _categories.save
forget_category = _categories.forget


# --------------------------------------------------------------------------- requests


def requests(engine: Engine, where: str = "", params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    with rows_of(engine) as found:
        return read_store.rows(found, where, params)


def request(engine: Engine, request_id: int) -> dict[str, Any] | None:
    found = requests(engine, "id = ?", (request_id,))
    return found[0] if found else None


def by_topic(engine: Engine, topic_ids: list[int] | None = None) -> dict[int, dict[str, Any]]:
    """Requests made as topics (their asking post the topic's first), by topic id."""
    found = requests(engine)
    return {
        r["topic_id"]: r
        for r in reversed(found)  # oldest first: a topic's first request is its own
        if topic_ids is None or r["topic_id"] in topic_ids
    }


def insert(engine: Engine, **values: Any) -> int:
    values.setdefault("updated_at", utcnow())
    with engine.begin() as conn:
        key = conn.execute(sa.insert(_req).values(**values)).inserted_primary_key
        assert key is not None
        return int(key[0])


def save(engine: Engine, request_id: int, **values: Any) -> None:
    """Update one request (only the columns given change)."""
    values["updated_at"] = utcnow()
    with engine.begin() as conn:
        conn.execute(sa.update(_req).where(_req.c.id == request_id).values(**values))


def counted(engine: Engine) -> list[Counted]:
    with rows_of(engine) as found:
        return read_store.counted(found)


def forget_forum(engine: Engine) -> None:
    """Forget every request and the category (the demo's forum is a fresh emulator each time)."""
    delete_all(engine, _inv, _req, _cat)


# --------------------------------------------------------------------------- invites


def _invite(row: Any) -> Invite:
    return Invite(
        row["id"],
        row["request_id"],
        row["round"],
        row["ref"],
        row["person"],
        row["role"],
        getattr(row["channel"], "value", row["channel"]),
        row["target"],
        InviteState(getattr(row["state"], "value", row["state"])),
    )


def invites(engine: Engine, request_id: int) -> list[Invite]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(_inv).where(_inv.c.request_id == request_id).order_by(_inv.c.id)
        ).mappings()
        return [_invite(row) for row in rows]


def intend_invite(
    engine: Engine, request_id: int, round_: int, ref: str, target: Target
) -> Invite | None:
    """Record the intent to invite `target` (committed before the invite is sent). None when
    an invite of that person in that round is already recorded, whatever its state: an intent
    left by a run that died is never sent again."""
    values = {
        "request_id": request_id,
        "round": round_,
        "ref": ref,
        "person": (target.name or "")[:200] or None,
        "role": (target.role or "")[:200] or None,
        "channel": target.channel,
        "target": target.key,
        "state": InviteState.intended,
        "intended_at": utcnow(),
    }
    with engine.begin() as conn:
        existing = conn.execute(
            sa.select(_inv.c.id).where(
                _inv.c.request_id == request_id,
                _inv.c.target == target.key,
                _inv.c.round == round_,
            )
        ).first()
        if existing is not None:
            return None
        key = conn.execute(sa.insert(_inv).values(**values)).inserted_primary_key
        assert key is not None
        new_id = key[0]
        row = conn.execute(sa.select(_inv).where(_inv.c.id == new_id)).mappings().one()
    return _invite(row)


def mark_invite(
    engine: Engine, invite_id: int, state: InviteState, error: str | None = None
) -> None:
    values: dict[str, Any] = {"state": state, "error": error}
    if state == InviteState.sent:
        values["sent_at"] = utcnow()
    with engine.begin() as conn:
        conn.execute(sa.update(_inv).where(_inv.c.id == invite_id).values(**values))


def drop_invite(engine: Engine, invite_id: int) -> None:
    """An intent the forum never received (refused before anything was sent): forgotten, so the
    next run sends it."""
    with engine.begin() as conn:
        conn.execute(sa.delete(_inv).where(_inv.c.id == invite_id))


def invites_since(engine: Engine, ref: str, since: datetime) -> int:
    """Invites of the project recorded since `since` (the flood limit's day)."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count())
                .select_from(_inv)
                .where(_inv.c.ref == ref, _inv.c.intended_at >= since)
            ).scalar_one()
        )


def invites_today(engine: Engine, ref: str) -> int:
    return invites_since(engine, ref, utcnow() - timedelta(days=1))
