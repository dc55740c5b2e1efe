"""A step's own category (`[challenges]`, `[connections]`) as its store caches it: below the
stores that keep it and the steps that read its topics (bridge.sync.category_topics)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StepCategory:
    """A step's category as its store caches it (challenges', connections'), so that a no-op
    sync costs no request."""

    slug: str
    category_id: int
    name: str
    parent_category_id: int | None
    definition_topic_id: int | None
