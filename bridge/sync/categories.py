"""One Discourse category per area (contract §5): found by slug or created, cached.

The cache (ForumCategory) is what lets an unchanged catalogue cost no request at all: the forum
is only asked when an area the run needs has no cached row, or its slug or parent changed in the
TOML file. Then one GET /categories.json (subcategories included) finds every area's category by
slug within its parent (slugs are unique per parent, API-NOTES §6) and the missing ones are
created.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from sqlalchemy.engine import Engine

from bridge.forum.client import Category
from bridge.forum.errors import AmbiguousWrite, ForumValidationError
from bridge.settings import AreaConfig, Settings
from bridge.sync import store


class CategoryError(Exception):
    """A category cannot be found or created: a configuration problem, so the run stops (exit 2)."""


class CategoryForum(Protocol):
    def categories_found(self) -> list[Category]: ...
    def new_category(
        self,
        *,
        name: str,
        slug: str,
        color: str,
        text_color: str,
        description: str | None = None,
        parent_category_id: int | None = None,
    ) -> Category: ...


def _parent_slug(settings: Settings, area: str) -> str | None:
    return settings.area(area).parent or settings.sync.parent_category


def stale_areas(
    settings: Settings, cached: dict[str, store.CachedCategory], areas: Iterable[str]
) -> list[str]:
    """Areas without a usable cache row: none yet, or the TOML file changed its slug or parent."""
    stale = []
    for area in sorted(set(areas)):
        row = cached.get(area)
        if (
            row is None
            or row.slug != settings.area(area).slug
            or (_parent_slug(settings, area) is None) != (row.parent_category_id is None)
        ):
            stale.append(area)
    return stale


def _find(categories: list[Category], slug: str, parent_id: int | None) -> Category | None:
    for cat in categories:
        if cat.slug == slug and cat.parent_category_id == parent_id:
            return cat
    return None


def ensure_categories(
    client: CategoryForum, engine: Engine, settings: Settings, areas: Iterable[str]
) -> dict[str, int]:
    """Area → category id for every area given, asking the forum only for stale ones."""
    cached = store.load_categories(engine)
    stale = stale_areas(settings, cached, areas)
    if stale:
        forum = client.categories_found()
        for area in stale:
            cfg = settings.area(area)
            parent_slug = _parent_slug(settings, area)
            parent_id = None
            if parent_slug:
                parent = _find(forum, parent_slug, None)
                if parent is None:
                    raise CategoryError(
                        f"parent category {parent_slug!r} (TOML [sync].parent_category or "
                        f"areas.{area}.parent) "
                        "does not exist in the forum: create it there first"
                    )
                parent_id = parent.id
            found = _find(forum, cfg.slug, parent_id)
            if found is None:
                found = _create(client, settings, area, parent_id)
                forum.append(found)
            cached[area] = store.CachedCategory(
                area,
                found.id,
                cfg.slug,
                found.name or cfg.label(settings.language),
                parent_id,
            )
            store.save_category(engine, cached[area])
    return {area: row.category_id for area, row in cached.items()}


def find_or_create(
    client: CategoryForum, settings: Settings, cfg: AreaConfig, what: str
) -> Category:
    """One configured category that is not an area's (e.g. `[challenges]`), found by slug or
    created, under `cfg.parent` or `[sync].parent_category` like the areas' categories."""
    forum = client.categories_found()
    parent_slug = cfg.parent or settings.sync.parent_category
    parent_id = None
    if parent_slug:
        parent = _find(forum, parent_slug, None)
        if parent is None:
            raise CategoryError(
                f"parent category {parent_slug!r} of {what} does not exist in the forum: "
                "create it there first"
            )
        parent_id = parent.id
    return _find(forum, cfg.slug, parent_id) or _create_category(
        client, settings, cfg, what, parent_id
    )


def _create(
    client: CategoryForum, settings: Settings, area: str, parent_id: int | None
) -> Category:
    return _create_category(client, settings, settings.area(area), f"area {area}", parent_id)


def _create_category(
    client: CategoryForum, settings: Settings, cfg: AreaConfig, what: str, parent_id: int | None
) -> Category:
    name = cfg.label(settings.language)
    try:
        return client.new_category(
            name=name,
            slug=cfg.slug,
            color=cfg.color,
            text_color=cfg.text_color,
            description=cfg.describe(settings.language) or None,
            parent_category_id=parent_id,
        )
    except AmbiguousWrite as exc:
        # The answer was lost: the category may exist now. Look before trying again.
        found = _find(client.categories_found(), cfg.slug, parent_id)
        if found is not None:
            return found
        raise CategoryError(
            f"creating category {cfg.slug!r} for {what}: the forum's answer was lost and the "
            "category is not there; run the sync again"
        ) from exc
    except ForumValidationError as exc:
        reasons = "; ".join(exc.errors) or exc.message
        raise CategoryError(
            f"the forum refused to create category {name!r} (slug {cfg.slug!r}) for {what}: "
            f"{reasons}. A category with that name but another slug may exist: align the TOML "
            "file with the forum"
        ) from exc
