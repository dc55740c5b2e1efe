"""The admin endpoints `digicanvis doctor` reads (issue 26), with Discourse's shapes.

- `GET /admin/site_settings.json` → `{"site_settings": [{setting, value, default, type, …}]}`:
  core `Admin::SiteSettingsController#index` renders `SiteSetting.all_settings`, whose items carry
  `value: value.to_s` and `default: ….to_s` (every value a string) merged with the type hash
  (lib/site_setting_extension.rb). Hidden settings (`max_admin_api_reqs_per_minute` is a global
  setting from discourse.conf) are not listed.
- `GET /admin/api/web_hooks.json` → `{"web_hooks": [AdminWebHookSerializer…], "extras": {…},
  "total_rows_web_hooks", "load_more_web_hooks"}` (app/controllers/admin/web_hooks_controller.rb
  `index`; app/serializers/admin_web_hook_serializer.rb: id, payload_url, content_type (1 JSON,
  2 form: WebHook.content_types), last_delivery_status, secret, wildcard_web_hook,
  verify_certificate, active, web_hook_event_types [{id, name, group}], category_ids, tag_names,
  group_ids).
- `GET /session/current.json` → `{"current_user": {id, username, admin, moderator, trust_level,
  …}}` (SessionController#current renders CurrentUserSerializer; 404 with no body when nobody is
  logged in).
  Doctor asks it who the key acts as: `/admin/api/keys.json` (BasicApiKeySerializer) shows only
  each key's first four characters (`truncated_key`), which cannot name the key in use.

Admin::AdminController requires an admin (`ensure_admin` → Discourse::InvalidAccess, 403
invalid_access). Nothing here is enforced on the other endpoints: the values are what a test sets
through the control API (`POST /_emulator/site_settings`, `/_emulator/web_hook`,
`/_emulator/user`) and what doctor reads.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from typing import Any

from bridge.emulator import errors
from bridge.emulator.models import User
from bridge.rules import discourse as rules

# The settings doctor checks, with Discourse's defaults (config/site_settings.yml, as notes §7–§9
# quote them) and their types in the type hash. The emulator enforces the defaults
# (bridge.rules.discourse); changing them here changes what the admin endpoint reports.
DEFAULTS: dict[str, tuple[str, str, str]] = {
    # name: (default, type, category)
    "tagging_enabled": ("true", "bool", "tags"),
    "max_tags_per_topic": (str(rules.MAX_TAGS_PER_TOPIC), "integer", "tags"),
    "max_tag_length": (str(rules.MAX_TAG_LENGTH), "integer", "tags"),
    "create_tag_allowed_groups": ("1|2|13", "group_list", "tags"),
    "min_topic_title_length": (str(rules.MIN_TITLE_LENGTH), "integer", "posting"),
    "max_topic_title_length": (str(rules.MAX_TITLE_LENGTH), "integer", "posting"),
    "min_first_post_length": (str(rules.MIN_FIRST_POST_LENGTH), "integer", "posting"),
    "max_post_length": (str(rules.MAX_POST_LENGTH), "integer", "posting"),
    "allow_uncategorized_topics": ("false", "bool", "posting"),
    "title_prettify": ("true", "bool", "posting"),
    "allow_duplicate_topic_titles": ("false", "bool", "posting"),
}

# Granular event types since 3.2 (WebHookEventType::TYPES), grouped as the serializer shows them.
EVENT_TYPES: dict[str, tuple[int, str]] = {
    "topic_created": (1, "topic"),
    "topic_revised": (2, "topic"),
    "topic_edited": (3, "topic"),
    "topic_destroyed": (4, "topic"),
    "topic_recovered": (5, "topic"),
    "post_created": (6, "post"),
    "post_edited": (7, "post"),
    "post_destroyed": (8, "post"),
    "post_recovered": (9, "post"),
}
CONTENT_TYPES = {"application/json": 1, "application/x-www-form-urlencoded": 2}
LAST_DELIVERY_STATUSES = {"inactive": 1, "failed": 2, "successful": 3, "disabled": 4}


@dataclass
class AdminState:
    """Site settings and web hooks, as a test set them."""

    values: dict[str, str] = field(default_factory=dict)
    web_hooks: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set_settings(self, changes: dict[str, Any]) -> None:
        unknown = sorted(set(changes) - set(DEFAULTS))
        if unknown:
            raise errors.invalid_parameters(unknown[0])
        with self.lock:
            for name, value in changes.items():
                # Rails keeps settings as strings on the wire: true → "true", 3 → "3".
                self.values[name] = str(value).lower() if isinstance(value, bool) else str(value)

    def site_settings(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {
                    "setting": name,
                    "description": "",
                    "keywords": [],
                    "default": default,
                    "value": self.values.get(name, default),
                    "category": category,
                    "preview": None,
                    "secret": False,
                    "placeholder": None,
                    "mandatory_values": None,
                    "requires_confirmation": None,
                    "type": kind,
                }
                for name, (default, kind, category) in DEFAULTS.items()
            ]

    def add_web_hook(self, params: dict[str, Any]) -> dict[str, Any]:
        """A web hook as AdminWebHookSerializer shows it, from the control API's parameters
        (payload_url, content_type as a MIME type, secret, events or wildcard, active)."""
        events = [str(e) for e in params.get("events") or []]
        unknown = [e for e in events if e not in EVENT_TYPES]
        if unknown:
            raise errors.invalid_parameters("events")
        content_type = str(params.get("content_type") or "application/json")
        if content_type not in CONTENT_TYPES:
            raise errors.invalid_parameters("content_type")
        with self.lock:
            hook = {
                "id": len(self.web_hooks) + 1,
                "payload_url": str(params.get("payload_url") or ""),
                "content_type": CONTENT_TYPES[content_type],
                "last_delivery_status": LAST_DELIVERY_STATUSES["inactive"],
                "secret": str(params.get("secret") or ""),
                "wildcard_web_hook": bool(params.get("wildcard_web_hook", False)),
                "verify_certificate": True,
                "active": bool(params.get("active", True)),
                "web_hook_event_types": [
                    {"id": EVENT_TYPES[e][0], "name": e, "group": EVENT_TYPES[e][1]} for e in events
                ],
                "category_ids": [],
                "tag_names": [],
                "group_ids": [],
            }
            self.web_hooks.append(hook)
            return copy.deepcopy(hook)

    def web_hooks_index(self) -> dict[str, Any]:
        with self.lock:
            hooks = copy.deepcopy(self.web_hooks)
        return {
            "web_hooks": hooks,
            "extras": {
                "event_types": [
                    {"id": ident, "name": name, "group": group}
                    for name, (ident, group) in EVENT_TYPES.items()
                ],
                "default_event_types": [
                    {"id": EVENT_TYPES[n][0], "name": n, "group": "post"}
                    for n in ("post_created", "post_edited", "post_destroyed", "post_recovered")
                ],
                "content_types": [{"id": i, "name": n} for n, i in CONTENT_TYPES.items()],
                "delivery_statuses": [
                    {"id": i, "name": n} for n, i in LAST_DELIVERY_STATUSES.items()
                ],
            },
            "total_rows_web_hooks": len(hooks),
            "load_more_web_hooks": "/admin/api/web_hooks.json?limit=50&offset=50",
        }


def require_admin(viewer: User | None) -> User:
    """Admin::AdminController: `requires_login` then `ensure_admin` (403 invalid_access)."""
    if viewer is None:
        raise errors.not_logged_in()
    if not viewer.admin:
        raise errors.invalid_access("You are not permitted to view the requested resource.")
    return viewer


def current_user(viewer: User) -> dict[str, Any]:
    """CurrentUserSerializer's fields that say who the key acts as and what it may do."""
    return {
        "current_user": {
            "id": viewer.id,
            "username": viewer.username,
            "name": viewer.name,
            "admin": viewer.admin,
            "moderator": viewer.moderator,
            "staff": viewer.staff,
            "trust_level": viewer.trust_level,
        }
    }
