"""What the challenges' and the connection requests' steps (and pull's area lists) share
(issues 12 and 22), below them all so no step imports the loop: reading a
category's topic list in pages, waiting for a step's lease in a webhook, and wrapping the
webhook processor so that a step acts at once on its events."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy.engine import Engine

from bridge.forum.errors import ForumAuthError, ForumUnreachable
from bridge.sync.lease import LeaseHandle, LeaseHeld

log = logging.getLogger("bridge.loop")

PAGE_SIZE = 100  # Discourse's largest page: core TopicQuery validators, `per_page` 1–100


class CategoryLister(Protocol):
    def list_category_topics(
        self, slug: str, category_id: int, page: int = 0, per_page: int | None = None
    ) -> dict[str, Any]: ...


def read_category_topics(
    client: CategoryLister,
    slug: str,
    category_id: int,
    definition_topic_id: int | None,
    should_stop: Callable[[], bool],
) -> tuple[list[dict[str, Any]], int]:
    """The category's topics (the list's entries) and how many pages were read: pages of
    `per_page=100`, the largest core's TopicQuery validators accept (a forum that ignored it
    would answer pages of 30, followed through `more_topics_url`). A category's list shows its
    subcategories' topics too, and its own definition topic: neither is returned."""
    found: list[dict[str, Any]] = []
    page = pages = 0
    while not should_stop():
        body = client.list_category_topics(slug, category_id, page=page, per_page=PAGE_SIZE)
        pages += 1
        topic_list = body.get("topic_list") or {}
        topics = topic_list.get("topics") or []
        found += [
            t
            for t in topics
            if t.get("category_id") in (None, category_id) and t.get("id") != definition_topic_id
        ]
        if not topics or not topic_list.get("more_topics_url"):
            break
        page += 1
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
