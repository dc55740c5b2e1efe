"""Drift: what the forum changed that the catalogue owns (pure).

Compares what the bridge last wrote (kept in SyncState) with what the forum shows now. Discourse's
own rewriting is not drift: titles are compared after `prettify_title` (API-NOTES §8) and tags
after `clean_tag` and the 5-tag cut (API-NOTES §7).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bridge.rules.discourse import MAX_TAGS_PER_TOPIC, clean_tag, prettify_title, tag_names

# Discourse facts the loop's modules (and older callers) import from here.
from bridge.rules.discourse import body_fingerprint as body_fingerprint
from bridge.rules.discourse import stored_raw as stored_raw
from bridge.rules.status import DRIFT_ASPECTS

# The order `status` lists them in (contract §3): the sync state's own list.
ASPECTS = DRIFT_ASPECTS


@dataclass(frozen=True)
class Written:
    """What the bridge last wrote to a topic (from SyncState)."""

    title: str | None
    category_id: int | None
    tags: tuple[str, ...]
    closed: bool
    body_hash: str | None


@dataclass(frozen=True)
class Observed:
    """What the forum shows. None means "not observed" (e.g. a list item has no raw body)."""

    title: str | None = None
    category_id: int | None = None
    tags: tuple[str, ...] | None = None
    closed: bool | None = None
    body_hash: str | None = None
    deleted: bool = False


@dataclass(frozen=True)
class Drift:
    what: tuple[str, ...]
    detail: dict[str, Any]

    def __bool__(self) -> bool:
        return bool(self.what)


def seen_aspects(observed: Observed) -> frozenset[str]:
    """The aspects an observation can speak for (a list item shows no body; a post event no
    title)."""
    seen = {"deleted"} if observed.deleted else set()
    for aspect, value in (
        ("category", observed.category_id),
        ("tags", observed.tags),
        ("title", observed.title),
        ("body", observed.body_hash),
        ("closed", observed.closed),
    ):
        if value is not None:
            seen.add(aspect)
    if observed.deleted:
        return frozenset(ASPECTS)  # a deleted topic replaces every earlier report
    if observed.title is not None or observed.category_id is not None:
        seen.add("deleted")  # the topic was seen alive
    return frozenset(seen)


def observe_topic(topic: dict[str, Any], *, body_hash: str | None = None) -> Observed:
    """From a topic view, a topic-list item or a webhook topic payload."""
    return Observed(
        title=topic.get("title"),
        category_id=topic.get("category_id"),
        tags=tag_names(topic.get("tags")) if "tags" in topic else None,
        closed=topic.get("closed"),
        body_hash=body_hash,
        deleted=bool(topic.get("deleted_at")),
    )


def _as_stored_tags(tags: tuple[str, ...]) -> frozenset[str]:
    cleaned = [clean_tag(t) for t in tags]
    return frozenset(t for t in cleaned[:MAX_TAGS_PER_TOPIC] if t)


def _same_title(written: str, observed: str) -> bool:
    return prettify_title(written).casefold() == prettify_title(observed).casefold()


def detect(written: Written, observed: Observed) -> Drift:
    """The aspects the forum changed. A deleted topic reports only `deleted`: nothing else
    matters."""
    if observed.deleted:
        return Drift(("deleted",), {"deleted": True})
    detail: dict[str, Any] = {}

    def compare(aspect: str, mine: Any, theirs: Any, same: Callable[[Any, Any], bool]) -> None:
        # An aspect the forum did not report (None), or the bridge never wrote, is no drift.
        if mine is not None and theirs is not None and not same(mine, theirs):
            detail[aspect] = {"written": mine, "forum": theirs}

    compare("category", written.category_id, observed.category_id, operator.eq)
    if observed.tags is not None and _as_stored_tags(written.tags) != frozenset(
        t.lower() for t in observed.tags
    ):
        detail["tags"] = {"written": sorted(written.tags), "forum": sorted(observed.tags)}
    compare("title", written.title, observed.title, _same_title)
    compare("body", written.body_hash, observed.body_hash, operator.eq)
    compare("closed", written.closed, observed.closed, operator.eq)
    what = list(detail)
    ordered = tuple(a for a in ASPECTS if a in what)
    return Drift(ordered, detail)
