"""What `digicanvis doctor` concludes, as pure functions: forum answers and catalogue needs in,
`Check`s out. Every failing check names the Discourse admin page and setting that fixes it.

The site settings are the ones the bridge depends on (API-NOTES §7–§9): Discourse sends every
value as a string (`SiteSetting.all_settings`: `value.to_s`), so they are read as such here.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

# The events the bridge acts on (bridge.loop.events): topic and first-post changes, replies.
REQUIRED_EVENTS = (
    "topic_created",
    "topic_edited",
    "topic_destroyed",
    "topic_recovered",
    "post_created",
    "post_edited",
    "post_destroyed",
    "post_recovered",
)
JSON_CONTENT_TYPE = 1  # WebHook.content_types: "application/json" => 1
WEBHOOK_PATH = "/webhooks/discourse"  # bridge.loop.webhook.PATH
# Group ids of Group::AUTO_GROUPS: everyone 0, admins 1, staff 3, trust_level_N 10 + N.
_ADMIN_GROUPS = {"0", "1", "3"}
SETTINGS_PAGE = "Admin › All site settings"
WEBHOOKS_PAGE = "Admin › API › Webhooks (/admin/api/web_hooks)"
KEYS_PAGE = "Admin › API › API keys (/admin/api/keys)"


class Status(StrEnum):
    OK = "ok"
    PROBLEM = "problem"
    UNCHECKED = "unchecked"  # could not be checked (the forum or database is out of reach)
    NOTE = "note"  # nothing to fix, something to know


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"status": self.status.value}


@dataclass(frozen=True)
class Needs:
    """What the catalogue asks of the forum, from the topics the sync would write."""

    records: int
    longest_body: int
    shortest_body: int
    most_tags: int
    longest_tag: int
    shortest_title: int
    longest_title: int
    tags: tuple[str, ...]


def needs_of(topics: Iterable[Any]) -> Needs | None:
    """Needs from `DesiredTopic`s (title, raw, tags); None for an empty catalogue."""
    topics = list(topics)
    if not topics:
        return None
    tags = sorted({tag for t in topics for tag in t.tags})
    return Needs(
        records=len(topics),
        longest_body=max(len(t.raw) for t in topics),
        shortest_body=min(len(t.raw) for t in topics),
        most_tags=max(len(t.tags) for t in topics),
        longest_tag=max((len(tag) for tag in tags), default=0),
        shortest_title=min(len(t.stored_title) for t in topics),
        longest_title=max(len(t.stored_title) for t in topics),
        tags=tuple(tags),
    )


def exit_code(checks: Sequence[Check]) -> int:
    """Contract §3 for doctor: 2 when something could not be checked, else 1 when a problem was
    found, else 0."""
    statuses = {c.status for c in checks}
    if Status.UNCHECKED in statuses:
        return 2
    return 1 if Status.PROBLEM in statuses else 0


# ---------------------------------------------------------------------------- the key


def key_user(user: Mapping[str, Any], username: str) -> Check:
    """The key was accepted (GET /session/current answered); its user must be an admin."""
    shown = user.get("username") or username
    if user.get("admin") is True:
        return Check("api key", Status.OK, f"accepted; acts as {shown}, an admin")
    return Check(
        "api key",
        Status.PROBLEM,
        f"accepted, but {shown} is not an admin: the bridge creates categories, reads admin "
        "settings and edits any topic",
        f"{KEYS_PAGE}: create a key for an admin user (user level 'All users' or that admin) with "
        "global scope, or grant the user admin in Admin › Users › {shown} › Grant admin".replace(
            "{shown}", str(shown)
        ),
    )


# ---------------------------------------------------------------------------- site settings


def _setting_fix(name: str, wanted: str) -> str:
    return f"{SETTINGS_PAGE}: search '{name}' and set it to {wanted}"


def _int(values: Mapping[str, str], name: str) -> int | None:
    try:
        return int(values[name])
    except (KeyError, ValueError):
        return None


def _missing(name: str) -> Check:
    return Check(
        name,
        Status.UNCHECKED,
        "not listed by /admin/site_settings.json",
        "check the key's scopes include admin access to site settings",
    )


def site_settings(
    values: Mapping[str, str], needs: Needs | None, rate_limit_per_minute: int
) -> list[Check]:
    checks: list[Check] = []

    def bool_setting(name: str, wanted: bool, why: str) -> None:
        if name not in values:
            checks.append(_missing(name))
            return
        if (values[name].lower() == "true") == wanted:
            checks.append(Check(name, Status.OK, f"{values[name]}"))
        else:
            word = "true" if wanted else "false"
            checks.append(
                Check(name, Status.PROBLEM, f"{values[name]}: {why}", _setting_fix(name, word))
            )

    def bound(name: str, need: int | None, upper: bool, what: str) -> None:
        """`upper`: the setting is a maximum that must be ≥ need; else a minimum ≤ need."""
        value = _int(values, name)
        if value is None:
            checks.append(_missing(name))
            return
        if need is None:
            checks.append(Check(name, Status.OK, f"{value} (the catalogue is empty)"))
            return
        fits = value >= need if upper else value <= need
        if fits:
            checks.append(Check(name, Status.OK, f"{value}; {what} {need}"))
        else:
            checks.append(
                Check(
                    name,
                    Status.PROBLEM,
                    f"{value}, but {what} {need}",
                    _setting_fix(name, f"{'at least' if upper else 'at most'} {need}"),
                )
            )

    bool_setting("tagging_enabled", True, "the bridge tags every topic (km0/foreign, phase, kind)")
    bound("max_tags_per_topic", needs.most_tags if needs else None, True, "a record needs up to")
    bound("max_tag_length", needs.longest_tag if needs else None, True, "the longest tag is")
    bound(
        "min_topic_title_length",
        needs.shortest_title if needs else None,
        False,
        "the shortest title is",
    )
    bound(
        "max_topic_title_length",
        needs.longest_title if needs else None,
        True,
        "the longest title is",
    )
    bound(
        "min_first_post_length",
        needs.shortest_body if needs else None,
        False,
        "the shortest post is",
    )
    bound("max_post_length", needs.longest_body if needs else None, True, "the longest post is")
    if "allow_uncategorized_topics" in values:
        checks.append(
            Check(
                "allow_uncategorized_topics",
                Status.OK,
                f"{values['allow_uncategorized_topics']} (every topic the bridge makes has a "
                "category, so either value works)",
            )
        )
    else:
        checks.append(_missing("allow_uncategorized_topics"))
    checks.append(_tag_creation(values))
    bool_setting(
        "title_prettify",
        True,
        "the bridge predicts the stored title as Discourse prettifies it; without it every "
        "title reads as changed in the forum (false drift)",
    )
    if "allow_duplicate_topic_titles" in values:
        checks.append(
            Check(
                "allow_duplicate_topic_titles",
                Status.OK,
                f"{values['allow_duplicate_topic_titles']} (the bridge keeps titles distinct "
                "itself)",
            )
        )
    else:
        checks.append(_missing("allow_duplicate_topic_titles"))
    checks.append(_rate_limit(values, rate_limit_per_minute))
    return checks


def _tag_creation(values: Mapping[str, str]) -> Check:
    """create_tag_allowed_groups (current Discourse) or min_trust_to_create_tag (older): the
    admin the key acts as must be allowed to create the bridge's tags."""
    if "create_tag_allowed_groups" in values:
        groups = {g.strip() for g in values["create_tag_allowed_groups"].split("|") if g.strip()}
        # An admin is in admins (1), staff (3), everyone (0) and trust_level_0..4 (10–14).
        if groups & (_ADMIN_GROUPS | {str(10 + n) for n in range(5)}):
            return Check(
                "create_tag_allowed_groups",
                Status.OK,
                f"{values['create_tag_allowed_groups']} (admins may create tags)",
            )
        return Check(
            "create_tag_allowed_groups",
            Status.PROBLEM,
            f"{values['create_tag_allowed_groups']}: admins are in none of these groups, so new "
            "tags are silently dropped from the bridge's topics",
            _setting_fix("create_tag_allowed_groups", "include admins (1|2|13 is the default)"),
        )
    if "min_trust_to_create_tag" in values:
        return Check(
            "min_trust_to_create_tag",
            Status.OK,
            f"{values['min_trust_to_create_tag']} (admins may always create tags)",
        )
    return _missing("create_tag_allowed_groups")


def _rate_limit(values: Mapping[str, str], bridge_rate: int) -> Check:
    forum_rate = _int(values, "max_admin_api_reqs_per_minute")
    if forum_rate is None:
        return Check(
            "max_admin_api_reqs_per_minute",
            Status.NOTE,
            "not readable through the API (a global setting of discourse.conf, default 60); the "
            f"bridge sends at most {bridge_rate} a minute",
            "if the forum's DISCOURSE_MAX_ADMIN_API_REQS_PER_MINUTE is lower, lower "
            "BRIDGE_RATE_LIMIT_PER_MINUTE to match",
        )
    if forum_rate >= bridge_rate:
        return Check(
            "max_admin_api_reqs_per_minute",
            Status.OK,
            f"{forum_rate}; the bridge sends at most {bridge_rate} a minute",
        )
    return Check(
        "max_admin_api_reqs_per_minute",
        Status.PROBLEM,
        f"{forum_rate}, below BRIDGE_RATE_LIMIT_PER_MINUTE={bridge_rate}: every sync hits 429s",
        f"set BRIDGE_RATE_LIMIT_PER_MINUTE={forum_rate}, or raise the forum's "
        "DISCOURSE_MAX_ADMIN_API_REQS_PER_MINUTE (app.yml)",
    )


# ---------------------------------------------------------------------------- categories, tags


def categories(wanted: Mapping[str, str], present: Iterable[str], admin: bool) -> Check:
    """`wanted`: slug → label of every category the bridge writes to; `present`: the forum's
    slugs. Missing ones are created by the sync when the key's user is an admin."""
    missing = sorted(set(wanted) - set(present))
    if not missing:
        return Check("categories", Status.OK, f"all {len(wanted)} present")
    names = ", ".join(f"{wanted[s]} ({s})" for s in missing)
    if admin:
        return Check(
            "categories", Status.OK, f"{len(missing)} missing, created by the first sync: {names}"
        )
    return Check(
        "categories",
        Status.PROBLEM,
        f"missing and not creatable by a non-admin key: {names}",
        "create them in the forum (New Category) with these slugs, or use an admin's key",
    )


def tags(needs: Needs | None, present: Iterable[str], creatable: bool) -> Check:
    if needs is None:
        return Check("tags", Status.OK, "the catalogue is empty: no tag needed yet")
    existing = {t.lower() for t in present}
    missing = [t for t in needs.tags if t.lower() not in existing]
    if not missing:
        return Check("tags", Status.OK, f"all {len(needs.tags)} present")
    if creatable:
        detail = f"{len(missing)} missing, created with the first topics that use them"
        return Check("tags", Status.OK, detail)
    return Check(
        "tags",
        Status.PROBLEM,
        f"missing and not creatable: {', '.join(missing)}",
        "create them in the forum (Tags page), or fix tagging_enabled / create_tag_allowed_groups",
    )


# ---------------------------------------------------------------------------- the web hook


def web_hook(
    hooks: Sequence[Mapping[str, Any]], expected_url: str | None, secret: str | None
) -> Check:
    """One active hook must post JSON to the receiver, for the bridge's events, signed with the
    bridge's secret. The secret is compared in constant time and never shown."""

    def targets(hook: Mapping[str, Any]) -> bool:
        url = str(hook.get("payload_url") or "").rstrip("/")
        if expected_url:
            return url == expected_url.rstrip("/")
        return url.endswith(WEBHOOK_PATH)

    where = expected_url or f"a URL ending in {WEBHOOK_PATH}"
    candidates = [h for h in hooks if targets(h)]
    if not candidates:
        return Check(
            "webhook",
            Status.PROBLEM,
            f"no web hook posts to {where} ({len(hooks)} configured)",
            f"{WEBHOOKS_PAGE}: New Webhook, Payload URL {where}, Content Type application/json, "
            "the secret of BRIDGE_WEBHOOK_SECRET, events Topic and Post (or 'Send me everything')",
        )
    problems: list[str] = []
    hook = candidates[0]
    if not hook.get("active"):
        problems.append("it is not active")
    if hook.get("content_type") != JSON_CONTENT_TYPE:
        problems.append("its content type is not application/json")
    if not hook.get("wildcard_web_hook"):
        names = {
            str(e.get("name"))
            for e in hook.get("web_hook_event_types") or []
            if isinstance(e, Mapping)
        }
        # Before Discourse 3.2 the event types were the groups themselves ("topic", "post").
        missing = [e for e in REQUIRED_EVENTS if e not in names and e.split("_")[0] not in names]
        if missing:
            problems.append("it misses the events " + ", ".join(missing))
    hook_secret = str(hook.get("secret") or "")
    if not hook_secret:
        problems.append("it has no secret (deliveries are unsigned and the receiver refuses them)")
    elif secret is not None and not hmac.compare_digest(
        hook_secret.encode("utf-8"), secret.encode("utf-8")
    ):
        problems.append("its secret differs from BRIDGE_WEBHOOK_SECRET")
    if problems:
        return Check(
            "webhook",
            Status.PROBLEM,
            f"web hook {hook.get('id')} posts to {where}, but " + "; ".join(problems),
            f"{WEBHOOKS_PAGE}: edit web hook {hook.get('id')} (active, Content Type "
            "application/json, events Topic and Post, secret = BRIDGE_WEBHOOK_SECRET)",
        )
    return Check("webhook", Status.OK, f"web hook {hook.get('id')} posts JSON to {where}, signed")
