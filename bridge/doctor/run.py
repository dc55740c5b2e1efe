"""`digicanvis doctor`: every check, in order, read-only (GET requests and SELECTs only).

The database first (reachable, at the latest migration, the sync lock), then the catalogue's
needs (the topics the sync would write, rendered as it renders them), then the forum: the key and
its user, the site settings, categories, tags and the web hook. A check that cannot run says why
(UNCHECKED) and the ones that depend on it are left out rather than guessed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bridge.doctor import checks
from bridge.doctor.checks import Check, Needs, Status

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bridge.forum.client import ForumClient
    from bridge.settings import Settings

log = logging.getLogger(__name__)


def run_checks(
    settings: Settings, client: ForumClient | None, *, webhook_url: str | None = None
) -> list[Check]:
    found: list[Check] = []
    engine = _database(settings, found)
    needs = _needs(engine, settings, found) if engine is not None else None
    if client is None:
        found.append(
            Check(
                "forum",
                Status.UNCHECKED,
                "DISCOURSE_URL or DISCOURSE_API_KEY is not set",
                "set both (the EnvironmentFile of the deployment, or the environment)",
            )
        )
        return found
    found.extend(_forum(settings, client, needs, webhook_url))
    return found


# ---------------------------------------------------------------------------- database


def _database(settings: Settings, found: list[Check]) -> Engine | None:
    from bridge.db import DatabaseError, current_revision, engine_for
    from bridge.dbapi import HEAD

    try:
        engine = engine_for(settings.database_url)
        revision = current_revision(engine)
    except DatabaseError as exc:
        fix = "check BRIDGE_DATABASE_URL and the database server"
        found.append(Check("database", Status.UNCHECKED, str(exc), fix))
        return None
    if revision != HEAD:
        found.append(
            Check(
                "database",
                Status.PROBLEM,
                f"reachable, at migration {revision or 'none'}; this version needs {HEAD}",
                "stop the scheduler and the receiver, run `digicanvis db upgrade`, start them",
            )
        )
        return None
    found.append(Check("database", Status.OK, f"reachable, at the latest migration ({HEAD})"))
    found.append(_lock(engine))
    return engine


def _lock(engine: Engine) -> Check:
    from bridge.sync import lease

    holder = lease.running(engine)
    if holder is None:
        return Check("sync lock", Status.OK, "free")
    return Check(
        "sync lock",
        Status.NOTE,
        f"held by {holder.holder} since {holder.since:%Y-%m-%d %H:%M:%S} UTC (a sync is running)",
        "nothing to do unless that process is gone: `digicanvis status` shows its heartbeat",
    )


def _needs(engine: Engine, settings: Settings, found: list[Check]) -> Needs | None:
    """The catalogue's extremes, from the topics the sync would write (titles decided over the
    whole catalogue, posts rendered by the same renderer; the similar-projects section that the
    sync appends is not included)."""
    from bridge.sync.desired import desired_topics
    from bridge.sync.store import load_records

    topics = desired_topics(load_records(engine, settings.home_region), settings)
    needs = checks.needs_of(topics.values())
    if needs is None:
        found.append(Check("catalogue", Status.NOTE, "empty: nothing to check the forum against"))
    else:
        found.append(
            Check(
                "catalogue",
                Status.OK,
                f"{needs.records} records: longest post {needs.longest_body:,} characters, up to "
                f"{needs.most_tags} tags, titles of {needs.shortest_title}–{needs.longest_title} "
                "characters",
            )
        )
    return needs


# ---------------------------------------------------------------------------- forum


def _wanted_categories(settings: Settings) -> dict[str, str]:
    lang = settings.language
    wanted = {cfg.slug: cfg.label(lang) for cfg in settings.areas.values()}
    wanted[settings.challenges.slug] = settings.challenges.name.get(lang, settings.challenges.slug)
    if settings.observatory.enabled:
        wanted[settings.observatory.slug] = settings.observatory.name.get(
            lang, settings.observatory.slug
        )
    if settings.connections.enabled:  # issue 22
        wanted[settings.connections.slug] = settings.connections.label(lang)
    return wanted


def _forum(
    settings: Settings, client: ForumClient, needs: Needs | None, webhook_url: str | None
) -> list[Check]:
    from bridge.forum.errors import ForumAuthError, ForumError

    found: list[Check] = []
    try:
        user = client.current_user()
    except ForumAuthError:
        return [
            Check(
                "api key",
                Status.UNCHECKED,
                "refused by the forum: an unknown or revoked key, DISCOURSE_API_USERNAME not its "
                "user, or a granular key whose scopes do not include reading the session",
                f"{checks.KEYS_PAGE}: create a key with global scope for an admin (the bridge "
                "creates categories, which no granular scope allows) and set DISCOURSE_API_KEY "
                "and DISCOURSE_API_USERNAME",
            )
        ]
    except ForumError as exc:
        return [Check("forum", Status.UNCHECKED, str(exc), "check DISCOURSE_URL and the network")]
    key = checks.key_user(user, settings.discourse_api_username)
    found.append(key)
    admin = key.status is Status.OK
    if not admin:
        return found  # the admin endpoints answer 403 to anyone else
    values: dict[str, str] = {}
    try:
        values = client.site_settings()
        found.extend(checks.site_settings(values, needs, settings.rate_limit_per_minute))
    except ForumError as exc:
        found.append(_unreadable("site settings", exc))
    try:
        present = [c.slug for c in client.categories_found() if c.slug]
        found.append(checks.categories(_wanted_categories(settings), present, admin))
        tag_names = [str(t.get("name") or t.get("text") or "") for t in client.list_tags()]
        tag_check = next((c for c in found if c.name.startswith(("create_tag", "min_trust"))), None)
        creatable = values.get("tagging_enabled", "").lower() == "true" and (
            tag_check is None or tag_check.status is Status.OK
        )
        found.append(checks.tags(needs, tag_names, creatable))
    except ForumError as exc:
        found.append(_unreadable("categories and tags", exc))
    try:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        found.append(checks.web_hook(client.web_hooks(), webhook_url, secret))
    except ForumError as exc:
        found.append(_unreadable("webhook", exc))
    return found


def _unreadable(name: str, exc: Any) -> Check:
    return Check(
        name,
        Status.UNCHECKED,
        f"could not be read: {exc}",
        f"{checks.KEYS_PAGE}: give the key global scope (or the admin scopes it lacks)",
    )
