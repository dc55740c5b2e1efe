"""The `[challenges]` category (contract §5): found by slug or created by `sync`, then cached so
that a no-op sync costs no request, like the areas' categories (bridge.sync.categories)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bridge.challenges import store
from bridge.settings import Settings
from bridge.sync.categories import CategoryForum, category_stands, step_category


def ensure_challenge_category(
    client: CategoryForum, engine: Engine, settings: Settings
) -> store.CachedCategory:
    cached = store.load_category(engine, settings.challenges.slug)
    if cached is not None and category_stands(settings, settings.challenges, cached):
        return cached
    cached = store.CachedCategory(
        **step_category(client, settings, settings.challenges, "[challenges]")
    )
    store.save_category(engine, cached)
    return cached
