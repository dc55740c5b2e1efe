"""SQL for the forum loop: activity, drift and webhook deliveries. No HTTP here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from bridge.loop.activity import ActivityValues, merge_participants
from bridge.loop.drift import ASPECTS, Drift, Written
from bridge.models import Activity, ForumCategory, Project, SyncState, SyncStatus, WebhookDelivery
from bridge.models.types import utcnow


@dataclass(frozen=True)
class PairedTopic:
    project_id: int
    ref: str
    topic_id: int
    first_post_id: int | None
    written: Written
    drift: tuple[str, ...]


def _paired(state: SyncState, ref: str) -> PairedTopic:
    assert state.topic_id is not None
    return PairedTopic(
        project_id=state.project_id,
        ref=ref,
        topic_id=state.topic_id,
        first_post_id=state.first_post_id,
        written=Written(
            title=state.title,
            category_id=state.category_id,
            tags=tuple(state.tags or ()),
            closed=state.closed,
            body_hash=state.body_hash,
        ),
        drift=tuple(state.drift or ()),
    )


def paired_topics(session: Session) -> dict[int, PairedTopic]:
    """Every record paired with a topic, keyed by topic id."""
    rows = session.exec(
        select(SyncState, Project.ref)
        .join(Project, Project.id == SyncState.project_id)
        .where(SyncState.topic_id.is_not(None))
    ).all()
    return {state.topic_id: _paired(state, ref) for state, ref in rows}


def paired_topic(session: Session, topic_id: int) -> PairedTopic | None:
    row = session.exec(
        select(SyncState, Project.ref)
        .join(Project, Project.id == SyncState.project_id)
        .where(SyncState.topic_id == topic_id)
    ).first()
    return _paired(*row) if row else None


def area_categories(session: Session) -> list[ForumCategory]:
    return list(session.exec(select(ForumCategory).order_by(ForumCategory.category_id)).all())


def save_activity(
    session: Session, project_id: int, values: ActivityValues, *, at: datetime | None = None
) -> None:
    row = session.get(Activity, project_id)
    if row is None:
        row = Activity(project_id=project_id)
        previous = None
    else:
        previous = row.participants
    row.replies = values.replies
    row.views = values.views
    row.likes = values.likes
    row.posts_count = values.posts_count
    row.participants = merge_participants(values, previous)
    row.last_posted_at = values.last_posted_at
    row.pulled_at = at or utcnow()
    session.add(row)


def bump_posts(
    session: Session, project_id: int, posts_count: int, last_posted_at: datetime | None
) -> None:
    """A post event: Discourse tells the topic's new post count (`topic_posts_count`), not its views."""
    row = session.get(Activity, project_id) or Activity(project_id=project_id)
    row.posts_count = posts_count
    row.replies = max(posts_count - 1, 0)
    if last_posted_at and (row.last_posted_at is None or last_posted_at > row.last_posted_at):
        row.last_posted_at = last_posted_at
    row.pulled_at = utcnow()
    session.add(row)


def save_drift(session: Session, project_id: int, drift: Drift, seen: frozenset[str]) -> None:
    """Record what the forum changed, for the aspects this observation could see (`seen`).

    Aspects it could not see keep their earlier report: a topic-list item shows no body, so a pull
    must not clear a body drift that a webhook found. When nothing is left, the report is cleared.
    """
    state = session.get(SyncState, project_id)
    if state is None:
        return
    old_detail = state.drift_detail or {}
    kept = [a for a in (state.drift or ()) if a not in seen]
    what = [a for a in ASPECTS if a in kept or a in drift.what]
    detail = {a: drift.detail.get(a, old_detail.get(a)) for a in what}
    if what:
        if state.drift != what or state.drift_detail != detail:
            state.drift = what
            state.drift_detail = detail
            state.drift_seen_at = utcnow()
        state.remote_deleted = "deleted" in what
        if state.state in (SyncStatus.synced, SyncStatus.drift):
            state.state = SyncStatus.drift
    elif state.drift:
        state.drift = None
        state.drift_detail = None
        state.remote_deleted = False
        if state.state == SyncStatus.drift:
            state.state = SyncStatus.synced
    session.add(state)


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
