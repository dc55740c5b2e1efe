"""What a webhook event changes in the catalogue: activity and drift, at once.

Payload shapes (API-NOTES §12): `{"topic": {...topic view without post_stream...}}` for topic
events, `{"post": {..., "raw", "topic_id", "post_number", "topic_posts_count"}}` for post events.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace

from sqlmodel import Session

from bridge.loop import store
from bridge.loop.activity import from_topic, parse_time
from bridge.loop.payloads import PayloadError, event_id_problem, validated
from bridge.loop.webhook import Event, Rejected
from bridge.sync.drift import Observed, body_fingerprint, detect, observe_topic, seen_aspects

SessionFactory = Callable[[], AbstractContextManager[Session]]


def make_processor(sessions: SessionFactory) -> Callable[[Event], str]:
    """A webhook processor that works in one transaction per event (dedup included).

    A handled event whose payload is not what Discourse sends (bridge.loop.payloads) is recorded
    as delivered, in a transaction of its own, and refused with `Rejected` (the receiver answers
    422): a redelivery of it is a duplicate, so Discourse's retries do not loop."""

    def process(event: Event) -> str:
        problem = event_id_problem(event.id)
        if problem is not None:
            raise Rejected(problem)  # cannot even be recorded: refused as it is
        try:
            payload = validated(event.name, event.payload)
        except PayloadError as exc:
            with sessions() as session:
                if not store.claim_delivery(session, event.id, event.name):
                    return "duplicate"  # refused the first time; the retry is not a loop
            raise Rejected(str(exc)) from None
        if payload is None:
            payload = {}  # not an event the bridge acts on: nothing of it is read
        with sessions() as session:
            if not store.claim_delivery(session, event.id, event.name):
                return "duplicate"
            return _apply(session, replace(event, payload=payload))

    return process


def _apply(session: Session, event: Event) -> str:
    if "topic" in event.payload and event.name.startswith("topic_"):
        return _topic_event(session, event.name, event.payload["topic"])
    if "post" in event.payload and event.name.startswith("post_"):
        return _post_event(session, event.name, event.payload["post"])
    return "ignored"


def _page_event(session: Session, topic_id: int, observed: Observed, pinned: bool | None) -> str:
    """An index or overview topic of the observatory (issue 11): its drift, as the pull finds
    it."""
    from bridge.observatory import store as page_store

    conn = session.connection()
    page = page_store.page_topics(conn, topic_id).get(topic_id)
    if page is None:
        return "ignored"  # not one of ours (a practitioner's own topic, a category's About topic…)
    page_store.observe_page(conn, page, observed, pinned)
    return "updated"


def _topic_event(session: Session, name: str, topic: dict) -> str:
    paired = store.paired_topic(session, topic["id"])
    if paired is None:
        deleted = name == "topic_destroyed"
        observed = Observed(deleted=True) if deleted else observe_topic(topic)
        pinned = None if deleted else topic.get("pinned")
        return _page_event(session, topic["id"], observed, pinned)
    observed = observe_topic(topic)
    if name == "topic_destroyed":
        observed = Observed(deleted=True)
    elif name == "topic_recovered":
        observed = Observed(
            title=observed.title,
            category_id=observed.category_id,
            tags=observed.tags,
            closed=observed.closed,
        )
    if not observed.deleted:
        store.save_activity(session, paired.project_id, from_topic(topic))
    # A topic payload shows no raw body: a body drift found earlier is kept (not seen here).
    store.save_drift(
        session, paired.project_id, detect(paired.written, observed), seen_aspects(observed)
    )
    return "updated"


def _post_event(session: Session, name: str, post: dict) -> str:
    paired = store.paired_topic(session, post["topic_id"])
    if paired is None:
        if name == "post_edited" and post.get("post_number") == 1 and post.get("raw") is not None:
            observed = Observed(body_hash=body_fingerprint(post["raw"]))
            return _page_event(session, post["topic_id"], observed, None)
        return "ignored"
    if name in ("post_created", "post_destroyed", "post_recovered") and "topic_posts_count" in post:
        store.bump_posts(
            session,
            paired.project_id,
            int(post["topic_posts_count"]),
            parse_time(post.get("created_at")) if name == "post_created" else None,
        )
    if name == "post_edited" and post.get("post_number") == 1 and post.get("raw") is not None:
        observed = Observed(body_hash=body_fingerprint(post["raw"]))
        store.save_drift(
            session, paired.project_id, detect(paired.written, observed), seen_aspects(observed)
        )
    return "updated"
