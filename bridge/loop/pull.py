"""Pull the forum's activity back into the catalogue, reading topic lists in bulk.

One page of up to 100 topics per request (`per_page`, which core's TopicQuery validators accept
from 1 to 100), per area category. Another page is asked for while a page comes back full: core's
TopicListSerializer includes `more_topics_url` exactly when `topics.size == per_page`, and a forum
that ignored `per_page` still answers `more_topics_url` on its own full pages of 30.
A paired topic that no list showed (moved to a category that is not ours, or deleted) is read on
its own: staff still see deleted topics, with `deleted_at`
(API-NOTES §5). `deep` also reads each paired topic's first post to find edits made in the forum.
The observatory's page topics (issue 11: an index per area, shown pinned in its area's list, and
the overview) are observed the same way: what a list item shows for an index, and one read with
its raw for the overview (its category is not an area) and for any page no list showed.
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
from bridge.loop.activity import TopicSeen, from_topic
from bridge.loop.events import SessionFactory
from bridge.observatory import store as page_store
from bridge.observatory.pages import StoredPage
from bridge.sync import store as sync_store
from bridge.sync.category_topics import category_pages
from bridge.sync.drift import Observed, body_fingerprint, detect, observe_topic, seen_aspects


class ListingClient(Protocol):
    def list_category_topics(
        self, slug: str, category_id: int, page: int = 0, per_page: int | None = None
    ) -> dict[str, Any]: ...
    def get_topic(self, topic_id: int, *, include_raw: bool = False) -> dict[str, Any]: ...
    def get_post(self, post_id: int) -> dict[str, Any]: ...


@dataclass
class PullResult:
    paired: int = 0
    # Issue 28: topics whose activity or drift changed (a topic seen unchanged is not counted;
    # `seen` counts every topic observed).
    updated: int = 0
    seen: int = 0
    read_individually: int = 0
    drift: dict[str, list[str]] = field(default_factory=dict)  # ref -> what
    pages: int = 0
    stopped: bool = False
    challenges: dict[str, Any] | None = None  # the challenges step (bridge.challenges.runner)
    # The connection requests step (issue 22, bridge.connections.step).
    connection_requests: dict[str, Any] | None = None
    page_drift: dict[str, list[str]] = field(default_factory=dict)  # page key -> what
    page_reads: int = 0  # page topics read on their own (the overview; a page no list showed)
    # Each paired topic as seen, by topic id: the requests step reads only the ones that grew.
    topics: dict[int, TopicSeen] = field(default_factory=dict)


def _first_raw(topic: dict[str, Any]) -> str | None:
    """The first post's raw from a topic view read with include_raw (its first chunk)."""
    posts = (topic.get("post_stream") or {}).get("posts") or []
    first = posts[0] if posts else {}
    return first.get("raw") if first.get("post_number") == 1 else None


def pull(
    sessions: SessionFactory,
    client: ListingClient,
    *,
    deep: bool = False,
    should_stop: Callable[[], bool] = lambda: False,
    observatory: bool = True,
) -> PullResult:
    """`observatory` False (`[observatory] enabled = false`): the page topics are not observed,
    so the overview, which no area list shows, costs no request (issue 20)."""
    result = PullResult()
    with sessions() as session:
        paired = store.paired_topics(session)
        categories = sync_store.area_categories(session)
        pages = page_store.page_topics(session.connection()) if observatory else {}
    result.paired = len(paired)
    remaining = set(paired)
    pages_unseen = set(pages)

    def observe_page(
        session: Session, row: StoredPage, observed: Observed, pinned: bool | None
    ) -> None:
        what = page_store.observe_page(session.connection(), row, observed, pinned)
        if what:
            result.page_drift[row.key] = what

    def record(
        session: Session, topic_id: int, topic: dict[str, Any] | None, observed: Observed
    ) -> None:
        item = paired[topic_id]
        changed = False
        before = store.posts_count(session, item.project_id)
        if topic is not None and not observed.deleted:
            values = from_topic(topic)
            changed = store.save_activity(session, item.project_id, values)
            closed = bool(topic.get("closed") or topic.get("archived"))
            result.topics[topic_id] = TopicSeen(before, values.posts_count, closed)
        else:
            result.topics[topic_id] = TopicSeen(before, before or 0, True)
        drift = detect(item.written, observed)
        changed |= store.save_drift(session, item.project_id, drift, seen_aspects(observed))
        result.seen += 1
        result.updated += changed
        if drift:
            result.drift[item.ref] = list(drift.what)

    for category in categories:
        for topics in category_pages(client, category.slug, category.category_id, should_stop):
            result.pages += 1
            with sessions() as session:  # one transaction per page read
                for topic in topics:
                    topic_id = topic.get("id")
                    if topic_id in remaining:
                        remaining.discard(topic_id)
                        record(session, topic_id, topic, observe_topic(topic))
                    elif topic_id in pages_unseen:
                        pages_unseen.discard(topic_id)
                        observe_page(
                            session, pages[topic_id], observe_topic(topic), topic.get("pinned")
                        )

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

    for topic_id in sorted(pages_unseen):
        # The overview (in the observatory's category, which the pull does not list), or a page
        # moved or deleted: one read, with the first post's raw, speaks for every aspect.
        if should_stop():
            result.stopped = True
            return result
        result.page_reads += 1
        try:
            found = client.get_topic(topic_id, include_raw=True)
            raw = _first_raw(found)
            observed = observe_topic(
                found, body_hash=body_fingerprint(raw) if raw is not None else None
            )
            pinned = found.get("pinned")
        except ForumNotFound:
            observed, pinned = Observed(deleted=True), None
        with sessions() as session:
            observe_page(session, pages[topic_id], observed, pinned)

    if deep:
        for row in pages.values():
            if should_stop() or row.first_post_id is None or topic_seen_gone(result, row):
                continue
            if row.topic_id in pages_unseen:
                continue  # read above with its raw
            try:
                post = client.get_post(row.first_post_id)
            except ForumNotFound:
                continue
            observed = Observed(body_hash=body_fingerprint(post.get("raw") or ""))
            with sessions() as session:
                observe_page(session, row, observed, None)
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


def topic_seen_gone(result: PullResult, row: StoredPage) -> bool:
    return "deleted" in result.page_drift.get(row.key, ())
