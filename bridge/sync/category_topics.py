"""What the challenges' and the connection requests' steps (and pull's area lists) share
(issues 12 and 22), below them all so no step imports the loop: reading a
category's topic list in pages, waiting for a step's lease in a webhook, and wrapping the
webhook processor so that a step acts at once on its events."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy.engine import Engine

from bridge.forum.errors import ForumAuthError, ForumNotFound, ForumUnreachable
from bridge.rules.discourse import parse_time
from bridge.sync.lease import LeaseHandle, LeaseHeld
from bridge.sync.step_category import StepCategory

log = logging.getLogger("bridge.loop")

PAGE_SIZE = 100  # Discourse's largest page: core TopicQuery validators, `per_page` 1–100


# Discourse's regular post type (core app/models/post.rb Post.types): whispers, small actions
# ("closed this topic") and moderator actions are never the bridge's reply.
REGULAR_POST = 1


class CategoryLister(Protocol):
    def list_category_topics(
        self, slug: str, category_id: int, page: int = 0, per_page: int | None = None
    ) -> dict[str, Any]: ...


class TopicStepForum(CategoryLister, Protocol):
    """What a step that reads a category's topics and replies in them (challenges, connection
    requests) asks of the forum client; each step's Protocol adds its own writes."""

    api_username: str

    def get_topic(self, topic_id: int, *, include_raw: bool = False) -> dict[str, Any]: ...
    def get_topic_posts(
        self, topic_id: int, post_ids: list[int], *, include_raw: bool = False
    ) -> list[dict[str, Any]]: ...
    def reply_to_topic(self, topic_id: int, raw: str) -> dict[str, Any]: ...


def unread_posts(view: dict[str, Any], posts: list[dict[str, Any]]) -> list[list[int]]:
    """The ids of a topic's posts its view did not hold (the view holds the first 20), in
    requests of 20 for `GET /t/{id}/posts.json`."""
    loaded = {p.get("id") for p in posts}
    rest = [i for i in (view.get("post_stream") or {}).get("stream") or [] if i not in loaded]
    return [rest[start : start + 20] for start in range(0, len(rest), 20)]


def same_user(a: Any, b: Any) -> bool:
    return bool(a) and bool(b) and str(a).lower() == str(b).lower()


def is_own_reply(post: dict[str, Any], api_username: str) -> bool:
    """A live regular reply (not the topic's first post) by the bridge's API user."""
    return (
        int(post.get("post_number") or 0) > 1
        and (post.get("post_type") or REGULAR_POST) == REGULAR_POST
        and not post.get("deleted_at")
        and same_user(post.get("username"), api_username)
    )


@dataclass(frozen=True)
class ListedTopic:
    """A topic as a category's list (or a topic view) shows it."""

    topic_id: int
    title: str
    bumped_at: datetime | None
    posts_count: int
    closed: bool

    @staticmethod
    def fields_of(topic: dict[str, Any]) -> dict[str, Any]:
        """From a topic-list entry or a topic view: an archived topic counts as closed."""
        return {
            "topic_id": int(topic["id"]),
            "title": str(topic.get("title") or ""),
            "bumped_at": parse_time(topic.get("bumped_at")),
            "posts_count": int(topic.get("posts_count") or 0),
            "closed": bool(topic.get("closed") or topic.get("archived")),
        }

    @classmethod
    def of(cls, topic: dict[str, Any]) -> ListedTopic:
        return cls(**cls.fields_of(topic))


T = TypeVar("T")
C = TypeVar("C", bound=StepCategory)


def read_listed(
    client: CategoryLister,
    category: StepCategory,
    should_stop: Callable[[], bool],
    make: Callable[[dict[str, Any]], T],
) -> tuple[dict[int, T], int]:
    """The category's topics by id, each made by `make`, and how many pages were read."""
    topics, pages = read_category_topics(
        client, category.slug, category.category_id, category.definition_topic_id, should_stop
    )
    return {int(t["id"]): make(t) for t in topics}, pages


@dataclass
class StepRun:
    """What a run of a category step (challenges, connection requests) counts in common."""

    listed: int = 0
    pages: int = 0
    skipped: str | None = None  # why the step did nothing
    stopped: bool = False  # asked to stop before the list was done


def listed_under_lease(
    engine: Engine,
    client: CategoryLister,
    category: C | None,
    run: StepRun,
    *,
    what: str,
    lease_name: str,
    should_stop: Callable[[], bool],
    make: Callable[[dict[str, Any]], T],
    forget: Callable[[Engine], None],
) -> tuple[C, LeaseHandle, dict[int, T]] | None:
    """The step's lease taken and its category's topics read, each made by `make`: the caller
    walks them and releases the lease. None, with `run.skipped` saying why, when the category is
    not cached yet, another run holds the lease, or the forum no longer has the category (its
    cache row forgotten, so the next sync recreates it)."""
    if category is None:
        run.skipped = f"the {what} category is not known yet: `digicanvis sync` creates it"
        return None
    try:
        lease = LeaseHandle.acquire(engine, lease_name)
    except LeaseHeld as exc:
        run.skipped = str(exc)
        return None
    read = False
    try:
        listed, run.pages = read_listed(client, category, should_stop, make)
        read = True
    except ForumNotFound:
        forget(engine)
        run.skipped = f"the {what} category is gone from the forum: the next sync recreates it"
        return None
    finally:
        if not read:
            lease.release()
    run.listed = len(listed)
    return category, lease, listed


def walk(
    listed: dict[int, Any], lease: LeaseHandle, run: StepRun, should_stop: Callable[[], bool]
) -> Iterator[int]:
    """The listed topic ids in order, the lease checked before each; stops (`run.stopped`) when
    asked to."""
    for topic_id in sorted(listed):
        if should_stop():
            run.stopped = True
            return
        lease.check()
        yield topic_id


def category_pages(
    client: CategoryLister, slug: str, category_id: int, should_stop: Callable[[], bool]
) -> Iterator[list[dict[str, Any]]]:
    """Each page of a category's topic list, the one paging rule of pull and the steps: pages of
    `per_page=100`, the largest core's TopicQuery validators accept; another page while a page
    comes back full or says `more_topics_url` (core's TopicListSerializer includes it exactly
    when `topics.size == per_page`; a forum that ignored `per_page` still says it on its own full
    pages of 30)."""
    page = 0
    while not should_stop():
        body = client.list_category_topics(slug, category_id, page=page, per_page=PAGE_SIZE)
        topic_list = body.get("topic_list") or {}
        topics = topic_list.get("topics") or []
        yield topics
        if not topics or not (len(topics) >= PAGE_SIZE or topic_list.get("more_topics_url")):
            return
        page += 1


def read_category_topics(
    client: CategoryLister,
    slug: str,
    category_id: int,
    definition_topic_id: int | None,
    should_stop: Callable[[], bool],
) -> tuple[list[dict[str, Any]], int]:
    """The category's topics (the list's entries) and how many pages were read
    (`category_pages`). A category's list shows its subcategories' topics too, and its own
    definition topic: neither is returned."""
    found: list[dict[str, Any]] = []
    pages = 0
    for topics in category_pages(client, slug, category_id, should_stop):
        pages += 1
        found += [
            t
            for t in topics
            if t.get("category_id") in (None, category_id) and t.get("id") != definition_topic_id
        ]
    return found, pages


def acquire_waiting(engine: Engine, name: str, seconds: float) -> LeaseHandle | None:
    """A step's lease for a webhook event, waiting up to `seconds` for a pull that holds it;
    None when it is still held then (the next pull does the work)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return LeaseHandle.acquire(engine, name)
        except LeaseHeld:
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.2)


def with_step(
    inner: Callable[[Any], str],
    handle: Callable[[str, dict[str, Any]], str | None],
    what: str,
) -> Callable[[Any], str]:
    """A webhook processor (bridge.loop.events) that also lets a step act at once on an event.
    The inner processor runs first and deduplicates on the event id; one event at a time (one
    forum client, whose pacer must see every request)."""
    lock = threading.Lock()

    def process(event: Any) -> str:
        outcome = inner(event)
        if outcome == "duplicate":
            return outcome
        with lock:
            try:
                mine = handle(event.name, event.payload)
            except (ForumAuthError, ForumUnreachable) as exc:
                log.warning("%s webhook %s: %s; the next pull does it", what, event.id, exc)
                mine = f"{what} deferred to the next pull"
        return mine or outcome

    return process
