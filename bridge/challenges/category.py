"""The `[challenges]` category (contract §5): found by slug or created by `sync`, then cached so
that a no-op sync costs no request, like the areas' categories (bridge.sync.categories)."""

from __future__ import annotations

import re

from sqlalchemy.engine import Engine

from bridge.challenges import store
from bridge.forum.client import Category
from bridge.settings import Settings
from bridge.sync.categories import CategoryForum, find_or_create


def _definition_topic_id(category: Category) -> int | None:
    """The category's "About the … category" topic, from its `topic_url` (/t/{slug}/{id})."""
    found = re.search(r"/(\d+)/?$", category.topic_url or "")
    return int(found.group(1)) if found else None


def ensure_challenge_category(
    client: CategoryForum, engine: Engine, settings: Settings
) -> store.CachedCategory:
    cfg = settings.challenges
    cached = store.load_category(engine, cfg.slug)
    parent_wanted = (cfg.parent or settings.sync.parent_category) is not None
    if cached is not None and (cached.parent_category_id is not None) == parent_wanted:
        return cached
    found = find_or_create(
        client,
        settings,
        cfg,
        "[challenges]",
        parent=cfg.parent or settings.sync.parent_category,
    )
    cached = store.CachedCategory(
        slug=cfg.slug,
        category_id=found.id,
        name=found.name or cfg.label(settings.language),
        parent_category_id=found.parent_category_id,
        definition_topic_id=_definition_topic_id(found),
    )
    store.save_category(engine, cached)
    return cached
