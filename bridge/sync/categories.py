"""One Discourse category per area (contract §5): found by slug or created, cached.

The cache (ForumCategory) is what lets an unchanged catalogue cost no request at all: the forum
is only asked when an area the run needs has no cached row, or its slug or parent changed in the
TOML file. Then one GET /categories.json (subcategories included) finds every area's category by
slug within its parent (slugs are unique per parent, API-NOTES §6) and the missing ones are
created.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from sqlalchemy.engine import Engine

from bridge.forum.client import Category
from bridge.forum.errors import AmbiguousWrite, ForumValidationError
from bridge.settings import AreaConfig, Settings
from bridge.sync import store
from bridge.sync.kernel import CategoryForum as CategoryForum
from bridge.sync.step_category import StepCategory


class CategoryError(Exception):
    """A category cannot be found or created: a configuration problem, so the run stops (exit 2)."""


def _definition_topic_id(category: Category) -> int | None:
    """The category's "About the … category" topic, from its `topic_url` (/t/{slug}/{id})."""
    found = re.search(r"/(\d+)/?$", category.topic_url or "")
    return int(found.group(1)) if found else None


def category_stands(settings: Settings, cfg: AreaConfig, cached: StepCategory) -> bool:
    """A step's cached category (`[challenges]`, `[connections]`) still serves: its parent as
    configured. A no-op sync then costs no request."""
    parent = cfg.parent or settings.sync.parent_category
    return (cached.parent_category_id is not None) == (parent is not None)


def step_category(
    client: CategoryForum, settings: Settings, cfg: AreaConfig, what: str
) -> dict[str, Any]:
    """A step's own category found or created: the fields its store caches."""
    found = find_or_create(
        client, settings, cfg, what, parent=cfg.parent or settings.sync.parent_category
    )
    return {
        "slug": cfg.slug,
        "category_id": found.id,
        "name": found.name or cfg.label(settings.language),
        "parent_category_id": found.parent_category_id,
        "definition_topic_id": _definition_topic_id(found),
    }


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
            found = find_or_create(
                client,
                settings,
                cfg,
                f"area {area}",
                parent=_parent_slug(settings, area),
                listed=forum,
                where=f"(TOML [sync].parent_category or areas.{area}.parent)",
            )
            cached[area] = store.CachedCategory(
                area,
                found.id,
                cfg.slug,
                found.name or cfg.label(settings.language),
                found.parent_category_id,
            )
            store.save_category(engine, cached[area])
    return {area: row.category_id for area, row in cached.items()}


def find_or_create(
    client: CategoryForum,
    settings: Settings,
    cfg: AreaConfig,
    what: str,
    *,
    parent: str | None,
    listed: list[Category] | None = None,
    where: str | None = None,
) -> Category:
    """A configured category (an area's, `[challenges]`, `[observatory]`) found by slug under
    the category whose slug is `parent` (None: top level), else created — the one finder
    (issue 19): a lost answer to the create is followed by a lookup, a refusal says what to
    align. `listed`: the forum's categories already read this run (what is created is added);
    `where`: how the message names the parent's setting (default: "of {what}")."""
    forum = client.categories_found() if listed is None else listed
    parent_id = None
    if parent:
        found_parent = _find(forum, parent, None)
        if found_parent is None:
            raise CategoryError(
                f"parent category {parent!r} {where or 'of ' + what} does not exist in the "
                "forum: create it there first"
            )
        parent_id = found_parent.id
    found = _find(forum, cfg.slug, parent_id)
    if found is None:
        # Under the parent it was created in, whether or not the answer says so.
        found = replace(_create_category(client, settings, cfg, what, parent_id),
                        parent_category_id=parent_id)  # fmt: skip
        forum.append(found)
    return found


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
