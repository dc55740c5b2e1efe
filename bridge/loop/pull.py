"""Pull the forum's activity back into the catalogue, reading topic lists in bulk.

One page of up to 100 topics per request (`per_page`, which core's TopicQuery validators accept
from 1 to 100), per area category. Another page is asked for while a page comes back full: core's
TopicListSerializer includes `more_topics_url` exactly when `topics.size == per_page`, and a forum
that ignored `per_page` still answers `more_topics_url` on its own full pages of 30.
A paired topic that no list showed (moved to a category that is not ours, or deleted) is read on
its own: staff still see deleted topics, with `deleted_at`
(API-NOTES §5). `deep` also reads each paired topic's first post to find edits made in the forum.
The values are written as they arrive, so a forum that goes away mid-pull leaves the last good
values of the topics not reached.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlmodel import Session

from bridge.forum.errors import ForumNotFound
from bridge.loop import store
from bridge.loop.activity import from_topic
from bridge.loop.drift import Observed, body_fingerprint, detect, observe_topic, seen_aspects
from bridge.loop.events import SessionFactory

PAGE_SIZE = 100  # Discourse's largest page: core TopicQuery validators, `per_page` 1–100


class ListingClient(Protocol):
    def list_category_topics(
        self, slug: str, category_id: int, page: int = 0, per_page: int | None = None
    ) -> dict[str, Any]: ...
    def get_topic(self, topic_id: int, *, include_raw: bool = False) -> dict[str, Any]: ...
    def get_post(self, post_id: int) -> dict[str, Any]: ...


@dataclass
class PullResult:
    paired: int = 0
    updated: int = 0
    read_individually: int = 0
    drift: dict[str, list[str]] = field(default_factory=dict)  # ref -> what
    pages: int = 0
    stopped: bool = False
    challenges: dict[str, Any] | None = None  # the challenges step (bridge.challenges.runner)


def _category_pages(
    client: ListingClient, slug: str, category_id: int, should_stop: Callable[[], bool]
):
    page = 0
    while not should_stop():
        body = client.list_category_topics(slug, category_id, page=page, per_page=PAGE_SIZE)
        topic_list = body.get("topic_list") or {}
        topics = topic_list.get("topics") or []
        yield topics
        full = len(topics) >= PAGE_SIZE
        if not topics or not (full or topic_list.get("more_topics_url")):
            return
        page += 1


def pull(
    sessions: SessionFactory,
    client: ListingClient,
    *,
    deep: bool = False,
    should_stop: Callable[[], bool] = lambda: False,
) -> PullResult:
    result = PullResult()
    with sessions() as session:
        paired = store.paired_topics(session)
        categories = store.area_categories(session)
    result.paired = len(paired)
    remaining = set(paired)

    def record(
        session: Session, topic_id: int, topic: dict[str, Any] | None, observed: Observed
    ) -> None:
        item = paired[topic_id]
        if topic is not None and not observed.deleted:
            store.save_activity(session, item.project_id, from_topic(topic))
        drift = detect(item.written, observed)
        store.save_drift(session, item.project_id, drift, seen_aspects(observed))
        result.updated += 1
        if drift:
            result.drift[item.ref] = list(drift.what)

    for category in categories:
        for topics in _category_pages(client, category.slug, category.category_id, should_stop):
            result.pages += 1
            with sessions() as session:  # one transaction per page read
                for topic in topics:
                    topic_id = topic.get("id")
                    if topic_id in remaining:
                        remaining.discard(topic_id)
                        record(session, topic_id, topic, observe_topic(topic))

    for topic_id in sorted(remaining):
        if should_stop():
            result.stopped = True
            return result
        result.read_individually += 1
        found: dict[str, Any] | None
        try:
            found = client.get_topic(topic_id)
            observed = observe_topic(found)
        except ForumNotFound:
            found, observed = None, Observed(deleted=True)
        with sessions() as session:
            record(session, topic_id, found, observed)

    if deep:
        for item in paired.values():
            if should_stop():
                result.stopped = True
                break
            if item.first_post_id is None or "deleted" in result.drift.get(item.ref, ()):
                continue
            try:
                post = client.get_post(item.first_post_id)
            except ForumNotFound:
                continue
            observed = Observed(body_hash=body_fingerprint(post.get("raw") or ""))
            drift = detect(item.written, observed)
            with sessions() as session:
                store.save_drift(session, item.project_id, drift, seen_aspects(observed))
            if drift:
                result.drift.setdefault(item.ref, []).extend(
                    a for a in drift.what if a not in result.drift.get(item.ref, [])
                )
    result.stopped = result.stopped or should_stop()
    return result
