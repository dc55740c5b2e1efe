"""SQL for the forum loop: activity and webhook deliveries; the sync state (pairings, drift)
through bridge.sync.state, its one owner. No HTTP here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from bridge.loop.activity import ActivityValues, merge_participants
from bridge.models import Activity, WebhookDelivery
from bridge.models.types import utcnow
from bridge.sync import state
from bridge.sync.drift import Drift, Written


@dataclass(frozen=True)
class PairedTopic:
    project_id: int
    ref: str
    topic_id: int
    first_post_id: int | None
    written: Written
    drift: tuple[str, ...]


def _paired(ref: str, stored: state.Stored) -> PairedTopic:
    assert stored.topic_id is not None
    return PairedTopic(
        project_id=stored.project_id,
        ref=ref,
        topic_id=stored.topic_id,
        first_post_id=stored.first_post_id,
        written=Written(
            title=stored.title,
            category_id=stored.category_id,
            tags=tuple(stored.tags or ()),
            closed=stored.closed,
            body_hash=stored.body_hash,
        ),
        drift=stored.drift,
    )


def paired_topics(session: Session) -> dict[int, PairedTopic]:
    """Every record paired with a topic, keyed by topic id."""
    found = [_paired(ref, stored) for ref, stored in state.paired(session.connection())]
    return {item.topic_id: item for item in found}


def paired_topic(session: Session, topic_id: int) -> PairedTopic | None:
    """The record paired with a topic, its state row held until the event's transaction ends
    (see `state.paired`)."""
    found = state.paired(session.connection(), topic_id, lock=True)
    return _paired(*found[0]) if found else None


def _shown(row: Activity) -> tuple[object, ...]:
    """What a pull can change of a topic's activity (not when it was pulled)."""
    return (
        row.replies, row.views, row.likes, row.posts_count, row.participants, row.last_posted_at
    )  # fmt: skip


def save_activity(
    session: Session, project_id: int, values: ActivityValues, *, at: datetime | None = None
) -> bool:
    """Store a topic's activity; True when it differs from what was stored (issue 28: a pull
    counts only what changed)."""
    row = session.get(Activity, project_id)
    if row is None:
        row = Activity(project_id=project_id)
        previous = None
        before: tuple[object, ...] | None = None
    else:
        previous = row.participants
        before = _shown(row)
    row.replies = values.replies
    row.views = values.views
    row.likes = values.likes
    row.posts_count = values.posts_count
    row.participants = merge_participants(values, previous)
    row.last_posted_at = values.last_posted_at
    row.pulled_at = at or utcnow()
    session.add(row)
    return before != _shown(row)


def posts_count(session: Session, project_id: int) -> int | None:
    """The topic's post count as last recorded (a pull or a post event); None before any."""
    row = session.get(Activity, project_id)
    return row.posts_count if row is not None else None


def bump_posts(
    session: Session, project_id: int, posts_count: int, last_posted_at: datetime | None
) -> None:
    """A post event: Discourse tells the topic's new post count (`topic_posts_count`), not its
    views."""
    row = session.get(Activity, project_id) or Activity(project_id=project_id)
    row.posts_count = posts_count
    row.replies = max(posts_count - 1, 0)
    if last_posted_at and (row.last_posted_at is None or last_posted_at > row.last_posted_at):
        row.last_posted_at = last_posted_at
    row.pulled_at = utcnow()
    session.add(row)


def save_drift(session: Session, project_id: int, drift: Drift, seen: frozenset[str]) -> bool:
    """Record what the forum changed (bridge.sync.state.save_drift), in the session's
    transaction. True when the recorded drift changed."""
    return state.save_drift(session.connection(), project_id, drift.what, drift.detail, seen)


def claim_delivery(session: Session, event_id: str, event: str) -> bool:
    """True the first time an event id is seen. Runs inside the caller's transaction, so a crash
    before commit leaves the event unclaimed and a redelivery is processed."""
    if session.get(WebhookDelivery, event_id) is not None:
        return False
    session.add(WebhookDelivery(event_id=event_id, event=event))
    try:
        session.flush()
    except sa.exc.IntegrityError:  # the same event delivered twice at the same moment
        session.rollback()
        return False
    return True
