"""The forum's in-memory state and every change Discourse would make to it.

All public methods take the state's lock, so the threaded HTTP server can call them
concurrently. Refusals are raised as `ApiError` with Discourse's bodies (bridge.emulator.errors).
Each rule names its source in ../shared/discourse/API-NOTES.md ("notes §N").
"""

from __future__ import annotations

import html
import itertools
import re
import secrets
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bridge.emulator import errors
from bridge.emulator.admin import AdminState
from bridge.emulator.models import (
    PRIVATE_MESSAGE,
    Category,
    Invite,
    Notification,
    OutgoingEmail,
    Post,
    Tag,
    Topic,
    User,
    slugify,
    utcnow,
)
from bridge.emulator.uploads import Upload, UploadedFile, UploadSettings
from bridge.emulator.uploads import create as create_upload
from bridge.emulator.uploads import resolve as resolve_uploads
from bridge.rules import discourse as rules

# (event name, event type, record) — the server turns these into webhooks (notes §12).
EventHook = Callable[[str, str, Any], None]

SYSTEM_USER_ID = -1
# notes §13.7: edits by the same user inside editing_grace_period (300 s) without an edit
# reason do not create a revision.
EDITING_GRACE_PERIOD = timedelta(seconds=300)
# core lib/post_revisor.rb grace_period_edit?: a raw change bigger than this (characters added
# or removed) makes a new version even inside the grace period; staff and TL2+ get the higher
# limit. Site setting defaults editing_grace_period_max_diff(_high_trust).
EDITING_GRACE_MAX_DIFF = 100
EDITING_GRACE_MAX_DIFF_HIGH_TRUST = 400
# samples/discourse_api_docs/topic_response.json: the definition topic's first post.
DEFINITION_RAW = (
    "(Replace this first paragraph with a brief description of your new category. This guidance "
    "will appear in the category selection area, so try to keep it below 200 characters.)\n\n"
    "Use the following paragraphs for a longer description, or to establish category guidelines or "
    "rules:"
)
# notes §6 / core app/models/category.rb: name 1–50 characters.
CATEGORY_NAME_MAX = 50
MAX_CATEGORY_NESTING = 2  # core site setting max_category_nesting (default 2)
TOPIC_STATUSES = ("closed", "archived", "visible", "pinned", "pinned_globally")  # notes §5

# Topic invites (docs/emulator-fidelity.md, "Topic invites"): core config/locales/server.en.yml
# @00109904 `topic_invite.*`, app/models/notification.rb `Notification.types`.
NOT_PM = "You can only invite to personal messages."
USER_ALREADY_INVITED = (
    "Sorry, that user has already been invited. You may only invite a user to a topic once."
)
# server.en.yml `invite.user_exists` (Invite.generate raises it for an address with an account).
INVITE_USER_EXISTS = "There's no need to invite <b>{email}</b>, they already have an account!"
INVITE_EXPIRY = timedelta(days=90)  # site setting invite_expiry_days (default 90; not read)
INVALID_ACCESS = "You are not permitted to view the requested resource."  # server.en.yml
INVITED_TO_PRIVATE_MESSAGE = 7
PRIVATE_MESSAGE_NOTIFICATION = 6  # Notification.types[:private_message]
CUSTOM_NOTIFICATION = 14  # Notification.types[:custom]: discourse-solved's accepted_notification
# TopicCreator's rollback keys (activerecord.errors.models.topic.attributes.base.*); the wording is
# the en text as remembered, not read (docs/emulator-fidelity.md).
NO_USER_SELECTED = "You must select a valid user."
TARGET_USER_NOT_FOUND = "One of the users you are sending this message to could not be found."
# core Topic#invite: what counts as an email address before Invite.generate validates it.
LOOKS_LIKE_EMAIL = re.compile(r".+@.+")  # Ruby's /\A.+@.+\z/: "." stops at a newline
# core EmailValidator.email_regex (lib/validators/email_validator.rb), the check that makes
# Invite.generate's save fail: local part of atext runs joined by dots, then dotted labels.
_ATEXT = r"[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]"
VALID_EMAIL = re.compile(
    rf"{_ATEXT}+(?:\.{_ATEXT}+)*@(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?\.)+"
    r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
)


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("true", "1", "t", "yes", "on")


def _snake(a: str, b: str, x: int, y: int) -> tuple[int, int]:
    """Follow a diagonal of equal characters from (x, y), comparing growing slices."""
    step = 64
    while x < len(a) and y < len(b):
        size = min(step, len(a) - x, len(b) - y)
        if a[x : x + size] == b[y : y + size]:
            x, y, step = x + size, y + size, step * 2
            continue
        same, differ = 0, size  # a[x:x+same] == b[y:y+same]; the first `differ` do not match
        while differ - same > 1:
            mid = (same + differ) // 2
            if a[x : x + mid] == b[y : y + mid]:
                same = mid
            else:
                differ = mid
        return x + same, y + same
    return x, y


def diff_within(before: str, after: str, limit: int) -> bool:
    """Whether the shortest edit script from `before` to `after` inserts and deletes at most
    `limit` characters in all: core PostRevisor#diff_size (`ONPDiff#short_diff`, the sizes of its
    non-common parts). Myers' O((N+M)·D) search, given up past `limit`, after the common prefix and
    suffix: bounded work even for two 32,000-character index posts (difflib took tens of
    seconds there, holding the forum's lock)."""
    head = _snake(before, after, 0, 0)[0]
    before, after = before[head:], after[head:]
    tail = _snake(before[::-1], after[::-1], 0, 0)[0]
    a, b = before[: len(before) - tail], after[: len(after) - tail]
    n, m = len(a), len(b)
    if n + m <= limit:
        return True
    if abs(n - m) > limit:
        return False
    furthest = {1: 0}  # diagonal k = x - y → furthest x reached with d edits (-1: none)
    for d in range(limit + 1):
        for k in range(-d, d + 1, 2):
            down, right = furthest.get(k + 1, -1), furthest.get(k - 1, -1)
            # From the diagonal above by an insertion (one more character of `after`), or from
            # the one below by a deletion (one more of `before`), whichever went further.
            insert = k == -d or (k != d and right < down)
            x = down if insert else (right + 1 if right >= 0 else -1)
            y = x - k
            if x < 0 or y < 0 or x > n or y > m:
                furthest[k] = -1  # off the grid
                continue
            x, y = _snake(a, b, x, y)
            if x >= n and y >= m:
                return True
            furthest[k] = x
    return False


class ForumState:
    def __init__(self, api_username: str = "system"):
        self.lock = threading.RLock()
        self._ids = {
            kind: itertools.count(1)
            for kind in ("user", "category", "topic", "post", "tag", "notification", "invite")
        }
        self.users: dict[int, User] = {}
        self.categories: dict[int, Category] = {}
        self.topics: dict[int, Topic] = {}
        self.posts: dict[int, Post] = {}
        self.tags: dict[str, Tag] = {}
        self.notifications: list[Notification] = []
        self.outgoing_emails: list[OutgoingEmail] = []
        self.invites: dict[tuple[str, int], Invite] = {}  # (email, invited_by_id) → invite
        # Indexes so checks stay O(1) however many topics exist (the benchmark creates thousands).
        self._live_titles: dict[str, int] = {}  # lowercased title → live topic id
        self._live_external: dict[str, int] = {}  # lowercased external_id → live topic id
        self._all_external: set[str] = set()  # lowercased external_ids, deleted topics included
        self.on_event: EventHook = lambda event, kind, record: None
        self.admin = AdminState()  # what the admin endpoints report (issue 26, doctor)
        # Issue 24: uploads by SHA-1 (core UploadCreator looks them up so) and their limits.
        self.uploads: dict[str, Upload] = {}
        self.upload_settings = UploadSettings()
        self.users[SYSTEM_USER_ID] = User(
            SYSTEM_USER_ID, "system", "system", admin=True, moderator=True, trust_level=4
        )
        if api_username.lower() != "system":
            self.ensure_user(api_username, admin=True)

    # ------------------------------------------------------------------ users

    def user_by_name(self, username: str | None) -> User | None:
        if not username:
            return None
        lowered = username.lower()
        with self.lock:
            return next((u for u in self.users.values() if u.username.lower() == lowered), None)

    def user_by_name_or_email(self, value: str) -> User | None:
        """core User.find_by_username_or_email: an email when the value holds "@" (compared
        lowercased, as core stores emails), else a username (case-insensitive)."""
        if "@" not in value:
            return self.user_by_name(value)
        lowered = value.strip().lower()
        with self.lock:
            return next(
                (u for u in self.users.values() if u.email and u.email.lower() == lowered), None
            )

    def ensure_user(self, username: str, admin: bool = False, moderator: bool = False) -> User:
        """The user of that name, created (a regular TL1 member unless told) when missing."""
        with self.lock:
            user = self.user_by_name(username)
            if user is None:
                uid = next(self._ids["user"])
                user = User(
                    uid,
                    username,
                    username,
                    admin=admin,
                    moderator=moderator,
                    trust_level=4 if admin else 1,
                )
                self.users[uid] = user
            return user

    # ------------------------------------------------------------------ lookups

    def category(self, category_id: int) -> Category:
        with self.lock:
            cat = self.categories.get(category_id)
            if cat is None:
                raise errors.not_found()
            return cat

    def topic(
        self, topic_id: int, viewer: User | None, include_deleted_for_staff: bool = True
    ) -> Topic:
        """notes §5: a soft-deleted topic is still readable by staff (with deleted_at), 404 for
        everyone else; updates use the default scope, where it is gone for everyone."""
        with self.lock:
            topic = self.topics.get(topic_id)
            if topic is None:
                raise errors.topic_not_found()
            if topic.deleted_at is not None and not (
                include_deleted_for_staff and viewer and viewer.staff
            ):
                raise errors.topic_not_found()
            if topic.private_message and not self.can_see_private_message(topic, viewer):
                # core TopicGuardian#can_see_topic?: admins, or the message's allowed users;
                # topics#show turns the refusal into a 404 (detailed_404 off).
                raise errors.topic_not_found()
            return topic

    @staticmethod
    def can_see_private_message(topic: Topic, viewer: User | None) -> bool:
        return viewer is not None and (viewer.admin or viewer.id in topic.allowed_user_ids)

    def post(self, post_id: int, viewer: User | None) -> Post:
        with self.lock:
            post = self.posts.get(post_id)
            if post is None or (post.deleted_at is not None and not (viewer and viewer.staff)):
                raise errors.not_found()
            topic = self.topics[post.topic_id]
            if topic.deleted_at is not None and not (viewer and viewer.staff):
                raise errors.not_found()
            if topic.private_message and not self.can_see_private_message(topic, viewer):
                raise errors.not_found()  # PostGuardian#can_see_post? → can_see_topic?
            return post

    def topic_by_external_id(self, external_id: str) -> Topic:
        """core TopicsController#show_by_external_id: `Topic.find_by(external_id:)`, an exact
        (case-sensitive) match, although uniqueness ignores case; soft-deleted topics are not
        found (Trashable's default scope)."""
        with self.lock:
            topic_id = self._live_external.get(external_id.lower())
            if topic_id is None or self.topics[topic_id].external_id != external_id:
                raise errors.topic_not_found()
            return self.topics[topic_id]

    def subcategory_ids(self, category_id: int) -> list[int]:
        with self.lock:
            return [category_id] + [
                c.id for c in self.categories.values() if c.parent_category_id == category_id
            ]

    def category_topic_count(self, category_id: int) -> int:
        """Live topics in the category, the definition topic excluded
        (samples/discourse_api/categories.json: topic_count 0 beside a definition topic)."""
        with self.lock:
            return sum(
                1
                for t in self.topics.values()
                if t.category_id == category_id and t.deleted_at is None and not t.is_definition
            )

    def category_post_count(self, category_id: int) -> int:
        with self.lock:
            return sum(
                t.posts_count
                for t in self.topics.values()
                if t.category_id == category_id and t.deleted_at is None and not t.is_definition
            )

    def tag_topic_count(self, name: str) -> int:
        with self.lock:
            return sum(1 for t in self.topics.values() if t.deleted_at is None and name in t.tags)

    # ------------------------------------------------------------------ categories (notes §6)

    def create_category(self, params: dict[str, Any], actor: User) -> Category:
        name = str(params.get("name") or "").strip()
        if not name:
            raise errors.param_missing("name")
        with self.lock:
            parent_id = self._optional_category_id(
                params.get("parent_category_id"), "parent_category_id"
            )
            problems = self._category_nesting_problems(parent_id, None)
            problems += self._category_name_problems(name, parent_id, None)
            slug = str(params.get("slug") or "").strip()
            if slug:
                problems += self._category_slug_problems(slug, parent_id, None)
            else:
                # notes §6: auto slug from the name (ascii); left empty when it collides.
                slug = slugify(name)
                if any(
                    c.slug == slug and c.parent_category_id == parent_id
                    for c in self.categories.values()
                ):
                    slug = ""
            if problems:
                raise errors.plain_422(problems)
            cid = next(self._ids["category"])
            asked = params.get("permissions")
            permissions = asked if isinstance(asked, dict) else {"everyone": 1}
            category = Category(
                id=cid,
                name=name,
                slug=slug,
                color=str(params.get("color") or "0088CC").lstrip("#"),
                text_color=str(params.get("text_color") or "FFFFFF").lstrip("#"),
                description=None,
                parent_category_id=parent_id,
                position=len(self.categories),
                permissions={str(k): _rails_int(v) for k, v in permissions.items()},
                search_priority=_rails_int(params.get("search_priority")),
                **_category_style(params),
            )
            self.categories[cid] = category
            # notes §6: creating a category also creates its "About the … category" topic.
            now = utcnow()
            topic = self._insert_topic(
                title=f"About the {name} category",
                category_id=cid,
                user=actor,
                raw=DEFINITION_RAW,
                tags=[],
                external_id=None,
                now=now,
                is_definition=True,
            )
            topic.pinned_at = now  # samples/discourse_api_docs/topic_response.json: pinned true
            category.topic_id = topic.id
            category.description = topic.first_post.cooked.split("\n", 1)[0]
            # core config/initializers/012-web_hook_events.rb: category_created (type category)
            self.on_event("category_created", "category", category)
            self.on_event("topic_created", "topic", topic)
            self.on_event("post_created", "post", topic.first_post)
            return category

    def update_category(self, category_id: int, params: dict[str, Any]) -> Category:
        with self.lock:
            category = self.category(category_id)
            name = str(params["name"]).strip() if "name" in params else category.name
            parent_id = (
                self._optional_category_id(params.get("parent_category_id"), "parent_category_id")
                if "parent_category_id" in params
                else category.parent_category_id
            )
            problems = self._category_nesting_problems(parent_id, category.id)
            problems += (
                self._category_name_problems(name, parent_id, category.id)
                if name != category.name or parent_id != category.parent_category_id
                else []
            )
            if "slug" in params and str(params["slug"]) != category.slug:
                problems += self._category_slug_problems(
                    str(params["slug"]), parent_id, category.id
                )
            if problems:
                raise errors.plain_422(problems)
            category.name = name
            category.parent_category_id = parent_id
            if "slug" in params:
                category.slug = str(params["slug"])
            for key in ("color", "text_color"):
                if key in params:
                    setattr(category, key, str(params[key]).lstrip("#"))
            if isinstance(params.get("permissions"), dict):
                category.permissions = {
                    str(k): _rails_int(v) for k, v in params["permissions"].items()
                }
            if "search_priority" in params:
                category.search_priority = _rails_int(params["search_priority"])
            for key, value in _category_style(params).items():
                setattr(category, key, value)
            self.on_event("category_updated", "category", category)
            return category

    def _category_nesting_problems(self, parent_id: int | None, own_id: int | None) -> list[str]:
        """core app/models/category.rb parent_category_validator: not its own parent (nor its
        own ancestor), and no deeper than max_category_nesting (default 2: a category and its
        subcategories). Messages are core's en locale (category.errors.self_parent, .depth)."""
        if parent_id is None:
            return []
        chain: list[int] = []
        current: int | None = parent_id
        while current is not None and current not in chain:
            chain.append(current)
            current = self.categories[current].parent_category_id
        if own_id is not None and own_id in chain:
            return ["A subcategory's parent cannot be itself"]
        children_depth = 0
        if own_id is not None and any(
            c.parent_category_id == own_id for c in self.categories.values()
        ):
            children_depth = 1
        if len(chain) + 1 + children_depth > MAX_CATEGORY_NESTING:
            return ["You can't nest a subcategory under another"]
        return []

    def _optional_category_id(self, value: Any, name: str) -> int | None:
        if value in (None, ""):
            return None
        if not str(value).isdigit() or int(value) not in self.categories:
            raise errors.invalid_parameters(name)
        return int(value)

    def _category_name_problems(
        self, name: str, parent_id: int | None, own_id: int | None
    ) -> list[str]:
        if len(name) > CATEGORY_NAME_MAX:
            return [f"Name is too long (maximum is {CATEGORY_NAME_MAX} characters)"]
        # notes §6: unique case-insensitively within the same parent; one errors entry.
        lowered = name.lower()
        if any(
            c.id != own_id and c.parent_category_id == parent_id and c.name.lower() == lowered
            for c in self.categories.values()
        ):
            return ["Category Name has already been taken"]
        return []

    def _category_slug_problems(
        self, slug: str, parent_id: int | None, own_id: int | None
    ) -> list[str]:
        # notes §6: explicit slug unique within the parent, ASCII, not like "123-category".
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", slug, flags=re.IGNORECASE) or re.fullmatch(
            r"\d+-category", slug
        ):
            return ["Slug is invalid"]
        if any(
            c.id != own_id and c.parent_category_id == parent_id and c.slug == slug
            for c in self.categories.values()
        ):
            return ["Slug is already in use"]
        return []

    # ------------------------------------------------------------------ topics (notes §3)

    def _title_taken(self, title: str, own_id: int | None) -> bool:
        # notes §8: duplicates refused case-insensitively among non-deleted topics.
        holder = self._live_titles.get(title.lower())
        return holder is not None and holder != own_id

    def _external_id_problems(self, external_id: str) -> list[str]:
        """notes §3: ≤50 chars of [A-Za-z0-9_-], unique ignoring case. core app/models/topic.rb
        validates it with Rails' `uniqueness: { case_sensitive: false }`, whose query starts from
        `klass.unscoped` (activerecord validations/uniqueness.rb build_relation) and so also sees
        soft-deleted topics (Trashable's default scope is dropped): a deleted topic keeps its
        external_id reserved, and re-using it is the same 422 as a live duplicate. Messages are
        Rails' en defaults for the attribute, which Rails humanizes to "External"."""
        problems = []
        if len(external_id) > rules.EXTERNAL_ID_MAX_LENGTH:
            problems.append(
                f"External is too long (maximum is {rules.EXTERNAL_ID_MAX_LENGTH} characters)"
            )
        if not rules.EXTERNAL_ID_RE.fullmatch(external_id):
            problems.append("External is invalid")
        if external_id.lower() in self._all_external:
            problems.append("External has already been taken")
        return problems

    def create_topic(self, params: dict[str, Any], actor: User) -> Post:
        """POST /posts creating a topic. Returns the first post."""
        raw = params.get("raw")
        if raw in (None, ""):
            raise errors.param_missing("raw")
        raw = rules.stored_raw(str(raw))  # core lib/post_creator.rb, before validation
        if params.get("archetype") == PRIVATE_MESSAGE:
            return self._create_message(params, raw, actor)
        with self.lock:
            category_param = params.get("category")
            if category_param in (None, ""):
                category_param = params.get("category_id")
            category: Category | None = None
            if category_param not in (None, ""):
                # notes §3 / §13.9: only a numeric id of an existing category; otherwise 400.
                text = str(category_param)
                if not text.isdigit() or int(text) not in self.categories:
                    raise errors.invalid_parameters("category")
                category = self.categories[int(text)]
            title = rules.prettify_title(str(params.get("title") or ""))
            topic_problems = rules.title_problems(title)
            if title and not topic_problems and self._title_taken(title, None):
                topic_problems.append(rules.TITLE_TAKEN)
            if category is None:
                topic_problems.append(
                    rules.CATEGORY_BLANK
                )  # notes §3: allow_uncategorized_topics=false
            external_id = params.get("external_id")
            external_id = str(external_id) if external_id not in (None, "") else None
            if external_id is not None:
                topic_problems += self._external_id_problems(external_id)
            if topic_problems:
                raise errors.create_post_failed(topic_problems)
            body = rules.body_problems(raw, first_post=True)
            if body:
                raise errors.create_post_failed(body)
            tags = self._tags_for_saving(_as_list(params.get("tags")), actor)
            assert category is not None
            topic = self._insert_topic(
                title=title,
                category_id=category.id,
                user=actor,
                raw=raw,
                tags=tags,
                external_id=external_id,
                now=utcnow(),
                is_definition=False,
            )
            if ("visible" in params and not _truthy(params["visible"])) or _truthy(
                params.get("unlist_topic", "false")
            ):
                topic.visible = False
            self.on_event("topic_created", "topic", topic)
            self.on_event("post_created", "post", topic.first_post)
            return topic.first_post

    def _insert_topic(
        self,
        *,
        title: str,
        category_id: int,
        user: User,
        raw: str,
        tags: list[str],
        external_id: str | None,
        now: datetime,
        is_definition: bool,
    ) -> Topic:
        tid = next(self._ids["topic"])
        topic = Topic(
            id=tid,
            title=title,
            category_id=category_id,
            user_id=user.id,
            created_at=now,
            bumped_at=now,
            external_id=external_id,
            tags=list(tags),
            is_definition=is_definition,
        )
        self._register_tags(tags)
        self.topics[tid] = topic
        self._live_titles[title.lower()] = tid
        if external_id is not None:
            self._live_external[external_id.lower()] = tid
            self._all_external.add(external_id.lower())
        self._append_post(topic, user, raw, now, reply_to_post_number=None)
        return topic

    def _tags_for_saving(self, names: list[str], actor: User) -> list[str]:
        """core DiscourseTagging.tags_for_saving: existing tags first (in the forum's order),
        new ones only for users who may create tags (staff; create_tag_allowed_groups)."""
        existing = [t.name for t in sorted(self.tags.values(), key=lambda t: t.id)]
        return rules.tags_for_saving(names, existing, can_create=actor.staff)

    def _register_tags(self, names: list[str]) -> None:
        # notes §7: tags named on create/update are created implicitly (staff may create tags).
        for name in names:
            if name not in self.tags:
                self.tags[name] = Tag(next(self._ids["tag"]), name)

    def _append_post(
        self, topic: Topic, user: User, raw: str, now: datetime, reply_to_post_number: int | None
    ) -> Post:
        number = (topic.posts[-1].post_number if topic.posts else 0) + 1
        post = Post(
            id=next(self._ids["post"]),
            topic_id=topic.id,
            post_number=number,
            user_id=user.id,
            raw=raw,
            created_at=now,
            updated_at=now,
            reply_to_post_number=reply_to_post_number,
            last_editor_id=user.id,
            last_revised_at=now,
        )
        topic.posts.append(post)
        self.posts[post.id] = post
        return post

    def update_topic(self, topic_id: int, params: dict[str, Any], actor: User) -> Topic:
        """PUT /t/-/{id}: top-level title, category_id, tags (notes §4). Unchanged values are
        dropped and create no revision."""
        with self.lock:
            topic = self.topic(topic_id, actor, include_deleted_for_staff=False)
            if not self._can_edit_topic(topic, actor):  # guardian.ensure_can_edit!(topic)
                raise errors.invalid_access(INVALID_ACCESS)
            changes: dict[str, Any] = {}
            problems: list[str] = []
            if "title" in params and params["title"] is not None:
                title = rules.prettify_title(str(params["title"]))
                if title != topic.title:
                    problems += rules.title_problems(title)
                    if not problems and self._title_taken(title, topic.id):
                        problems.append(rules.TITLE_TAKEN)
                    changes["title"] = title
            if params.get("category_id") not in (None, ""):
                text = str(params["category_id"])
                if not text.isdigit() or int(text) not in self.categories:
                    raise errors.invalid_parameters("category_id")
                if int(text) != topic.category_id:
                    changes["category_id"] = int(text)
            if "tags" in params:
                # notes §4: tags[]= (one empty value) clears; omitting tags leaves them.
                tags = self._tags_for_saving(_as_list(params["tags"]), actor)
                if tags != topic.tags:
                    changes["tags"] = tags
            if problems:
                raise errors.plain_422(problems)
            if changes:
                self._revise(topic.first_post, actor, topic_changes=changes)
            return topic

    @staticmethod
    def _can_edit_topic(topic: Topic, actor: User) -> bool:
        """core TopicGuardian#can_edit_topic? (lib/guardian/topic_guardian.rb @00e987c): staff;
        trust level 3+ on a topic that is neither archived nor a message
        (trusted_users_can_edit_others); otherwise only the topic's own author, and not once it
        is archived. Not emulated: the author's edit time limit, locked first posts."""
        if actor.staff:
            return True
        if actor.trust_level >= 3 and not topic.archived and not topic.private_message:
            return True
        return not topic.archived and topic.user_id == actor.id

    def _apply_topic_changes(self, topic: Topic, changes: dict[str, Any]) -> None:
        if "tags" in changes:
            self._register_tags(changes["tags"])
        if "title" in changes:
            self._live_titles.pop(topic.title.lower(), None)
            self._live_titles[changes["title"].lower()] = topic.id
        for key, value in changes.items():
            setattr(topic, key, value)

    def _grace_period_edit(self, post: Post, raw: str | None, actor: User, now: datetime) -> bool:
        """core lib/post_revisor.rb grace_period_edit?: within editing_grace_period of the last
        version, and (when the raw changes) a diff no bigger than the editor's limit."""
        if post.last_revised_at is None or now - post.last_revised_at > EDITING_GRACE_PERIOD:
            return False
        if raw is None:
            return True
        limit = (
            EDITING_GRACE_MAX_DIFF_HIGH_TRUST
            if actor.staff or actor.trust_level > 1
            else EDITING_GRACE_MAX_DIFF
        )
        return diff_within(post.raw, raw, limit)

    def _revise(
        self,
        post: Post,
        actor: User,
        *,
        raw: str | None = None,
        edit_reason: str | None = None,
        topic_changes: dict[str, Any] | None = None,
        topic_fields_sent: bool = False,
    ) -> None:
        """One PostRevisor#revise! (core lib/post_revisor.rb): topic fields and the body change
        together in one revision. A new version unless the same editor edits within the grace
        period (diff under the limit) without a new edit reason (`should_create_new_version?`:
        edited_by_another_user? || !grace_period_edit? || edit_reason_specified?, the last being
        a reason present and different from the stored one). Webhooks: core
        config/initializers/012-web_hook_events.rb sends `topic_edited` when the first post's
        topic fields were part of the edit, `post_edited` otherwise — never both."""
        now = utcnow()
        topic = self.topics[post.topic_id]
        new_version = (
            post.last_editor_id != actor.id
            or not self._grace_period_edit(post, raw, actor, now)
            or (edit_reason is not None and edit_reason != post.edit_reason)
        )
        if topic_changes:
            self._apply_topic_changes(topic, topic_changes)
        if raw is not None:
            post.raw = raw
        if new_version:
            post.version += 1
            post.last_revised_at = now
            post.edit_reason = edit_reason  # core update_post: only when a version is made
            # core revise_and_create_new_version → bump_topic: a new version of the topic's last
            # post bumps the topic (`is_last_post?`); other edits do not.
            if post is topic.live_posts[-1]:
                topic.bumped_at = now
        post.updated_at = now
        post.last_editor_id = actor.id
        topic_changed = topic_fields_sent or bool(topic_changes)
        if post.post_number == 1 and topic_changed:
            self.on_event("topic_edited", "topic", topic)
        else:
            self.on_event("post_edited", "post", post)

    def set_status(self, topic_id: int, status: str, enabled: Any, actor: User) -> Topic:
        """PUT /t/{id}/status (notes §5)."""
        if status not in TOPIC_STATUSES:
            raise errors.invalid_parameters("status")
        # core TopicsController#status: `params.require(:enabled)` (blank, including a JSON false,
        # is missing), then `enabled = params[:enabled] == "true"`: only the string is true.
        if enabled is None or enabled is False or enabled == "":
            raise errors.param_missing("enabled")
        on = enabled == "true"
        with self.lock:
            topic = self.topic(topic_id, actor, include_deleted_for_staff=False)
            if status == "closed":
                topic.closed = on
            elif status == "archived":
                topic.archived = on
            elif status == "visible":
                topic.visible = on
            elif status == "pinned":
                topic.pinned_at = utcnow() if on else None
                topic.pinned_globally = False
            else:
                topic.pinned_at = utcnow() if on else None
                topic.pinned_globally = on
            # notes §12: topic_<status>_status_updated
            self.on_event(f"topic_{status}_status_updated", "topic", topic)
            return topic

    def delete_topic(self, topic_id: int, actor: User) -> Topic:
        """DELETE /t/{id}: soft delete by destroying the first post (notes §5)."""
        with self.lock:
            topic = self.topic(topic_id, actor, include_deleted_for_staff=False)
            now = utcnow()
            topic.deleted_at = now
            topic.deleted_by_id = actor.id
            self._live_titles.pop(topic.title.lower(), None)
            if topic.external_id is not None:
                self._live_external.pop(topic.external_id.lower(), None)
            first = topic.first_post
            first.deleted_at = now
            first.deleted_by_id = actor.id
            # core lib/post_destroyer.rb: post_destroyed first, then (first post) topic_destroyed.
            self.on_event("post_destroyed", "post", first)
            self.on_event("topic_destroyed", "topic", topic)
            return topic

    def recover_topic(self, topic_id: int, actor: User) -> Topic:
        """A moderator recovers a deleted topic (PUT /t/{id}/recover): core
        lib/post_destroyer.rb `recover` recovers the first post, then `topic.recover!`
        (Trashable: deleted_at cleared, no validation run), then triggers post_recovered; the
        topic's own event is topic_recovered (notes §12). Its external id stayed reserved while
        it was deleted (notes §3); its title did not (notes §8), and without validation a live
        topic that took it meanwhile keeps it too."""
        with self.lock:
            topic = self.topic(topic_id, actor)
            if topic.deleted_at is None:
                return topic
            topic.deleted_at = topic.deleted_by_id = None
            first = topic.first_post
            first.deleted_at = first.deleted_by_id = None
            self._live_titles.setdefault(topic.title.lower(), topic.id)
            if topic.external_id is not None:
                self._live_external[topic.external_id.lower()] = topic.id
            self.on_event("post_recovered", "post", first)
            self.on_event("topic_recovered", "topic", topic)
            return topic

    # ------------------------------------------------------------------ posts (notes §4)

    def delete_post(self, post_id: int, actor: User) -> Post:
        """A moderator deletes a reply (soft, like a topic: notes §5); the first post's deletion
        is the topic's. Emits post_destroyed (notes §12)."""
        with self.lock:
            post = self.post(post_id, actor)
            if post.post_number == 1:
                self.delete_topic(post.topic_id, actor)
                return post
            if post.deleted_at is None:
                post.deleted_at = utcnow()
                post.deleted_by_id = actor.id
                self.on_event("post_destroyed", "post", post)
            return post

    def update_post(
        self,
        post_id: int,
        raw: Any,
        edit_reason: Any,
        actor: User,
        *,
        title: Any = None,
        category_id: Any = None,
    ) -> tuple[Post, bool]:
        """PUT /posts/{id} (core PostsController#update): post[raw], post[edit_reason] and, for a
        first post, top-level `title` and `post[category_id]` ("to stay consistent with the
        create api") — all in one PostRevisor revision. Returns the post and whether the
        category changed (the response then carries it)."""
        if raw in (None, ""):
            raise errors.param_missing("post")
        raw = rules.stored_raw(str(raw))
        with self.lock:
            post = self.post(post_id, actor)
            topic = self.topics[post.topic_id]
            if post.deleted_at is not None or topic.deleted_at is not None:
                raise errors.not_found()
            changes: dict[str, Any] = {}
            topic_fields_sent = False
            problems: list[str] = []
            if post.post_number == 1 and title not in (None, ""):
                topic_fields_sent = True
                pretty = rules.prettify_title(str(title))
                if pretty != topic.title:
                    problems += rules.title_problems(pretty)
                    if not problems and self._title_taken(pretty, topic.id):
                        problems.append(rules.TITLE_TAKEN)
                    changes["title"] = pretty
            if post.post_number == 1 and category_id not in (None, ""):
                topic_fields_sent = True
                text = str(category_id)
                if not text.isdigit() or int(text) not in self.categories:
                    # core: render_json_error(I18n.t("category.errors.not_found")) → 422
                    raise errors.plain_422(["Category not found"])
                if int(text) != topic.category_id:
                    changes["category_id"] = int(text)
            problems += rules.body_problems(raw, first_post=post.post_number == 1)
            if problems:
                raise errors.plain_422(problems)
            reason = str(edit_reason) if edit_reason not in (None, "") else None
            if raw != post.raw or changes:
                self._revise(
                    post,
                    actor,
                    raw=raw if raw != post.raw else None,
                    edit_reason=reason,
                    topic_changes=changes,
                    topic_fields_sent=topic_fields_sent,
                )
            return post, "category_id" in changes

    # ------------------------------------------------------------------ forum-side actions (control
    # API)

    def reply(
        self, topic_id: int, raw: str, user: User, reply_to_post_number: int | None = None
    ) -> Post:
        with self.lock:
            topic = self.topic(topic_id, user, include_deleted_for_staff=False)
            problems = rules.body_problems(raw, first_post=False)
            if problems:
                raise errors.create_post_failed(problems)
            if reply_to_post_number is not None and not any(
                p.post_number == reply_to_post_number for p in topic.live_posts
            ):
                raise errors.invalid_parameters("reply_to_post_number")
            now = utcnow()
            post = self._append_post(topic, user, raw, now, reply_to_post_number)
            topic.bumped_at = now
            self.on_event("post_created", "post", post)
            return post

    def view(self, topic_id: int, count: int) -> Topic:
        with self.lock:
            topic = self.topic(topic_id, None, include_deleted_for_staff=False)
            topic.views += max(0, count)
            return topic

    def like(self, post_id: int, user: User) -> Post:
        with self.lock:
            post = self.post(post_id, None)
            if post.user_id == user.id:
                raise errors.invalid_access("You are not permitted to view the requested resource.")
            post.likes.add(user.id)
            # No webhook: core config/initializers/012-web_hook_events.rb (the copy read) wires no
            # event to likes; the count shows up in the next read of the topic.
            return post

    # ------------------------------------------------------------------ personal messages, invites

    def create_private_message(
        self, title: str, raw: str, user: User, recipients: list[User]
    ) -> Topic:
        """A personal message (archetype private_message, no category) from `user` to
        `recipients`: core TopicCreator adds each recipient, then the creator, to
        topic_allowed_users. The title/body rules are those of any topic."""
        with self.lock:
            title = rules.prettify_title(title)
            problems = rules.title_problems(title) + rules.body_problems(raw, first_post=True)
            if problems:
                raise errors.create_post_failed(problems)
            now = utcnow()
            tid = next(self._ids["topic"])
            topic = Topic(
                id=tid,
                title=title,
                category_id=0,
                user_id=user.id,
                created_at=now,
                bumped_at=now,
                archetype=PRIVATE_MESSAGE,
                # TopicCreator#setup_private_message: the recipients, then the sender.
                allowed_user_ids=[r.id for r in recipients if r.id != user.id] + [user.id],
            )
            self.topics[tid] = topic
            self._append_post(topic, user, raw, now, reply_to_post_number=None)
            return topic

    def _create_message(self, params: dict[str, Any], raw: str, actor: User) -> Post:
        """POST /posts.json with archetype=private_message: core TopicCreator#setup_private_message
        (`no_user_selected` without recipients; `add_users`: every name of `target_recipients`,
        comma-separated, deprecated `target_usernames`, must be a user, matched on
        username_lower, else `target_user_not_found`; the sender joins the allowed users), then
        PostAlerter notifies each recipient (`private_message`, 6). Webhooks as for any topic."""
        names_param = params.get("target_recipients") or params.get("target_usernames") or ""
        names = [n.strip() for n in str(names_param).split(",") if n.strip()]
        with self.lock:
            if not names:
                raise errors.create_post_failed([NO_USER_SELECTED])
            recipients = [self.user_by_name(n) for n in names]
            found = [r for r in recipients if r is not None]
            if len(found) != len(names):
                raise errors.create_post_failed([TARGET_USER_NOT_FOUND])
            title = str(params.get("title") or "")
            topic = self.create_private_message(title, raw, actor, found)
            for user in found:
                if user.id != actor.id:
                    self._notify(user, PRIVATE_MESSAGE_NOTIFICATION, topic, actor)
            self.on_event("topic_created", "topic", topic)
            self.on_event("post_created", "post", topic.first_post)
            return topic.first_post

    def _notify(
        self, user: User, kind: int, topic: Topic, actor: User, post_number: int = 1
    ) -> None:
        self.notifications.append(
            Notification(
                id=next(self._ids["notification"]),
                user_id=user.id,
                notification_type=kind,
                topic_id=topic.id,
                post_number=post_number,
                data={"topic_title": topic.title, "display_username": actor.username},
                created_at=utcnow(),
            )
        )

    def invite(
        self,
        topic_id: int,
        actor: User,
        param: tuple[str, str | None],
        custom_message: str | None,
    ) -> User | None:
        """POST /t/{id}/invite.json; `param` is ("user" or "email", its value) as the route read
        it (api.Api.invite_to_topic).
        Returns the invited user, or None when an email invite went out to someone who has no
        account. Follows core TopicsController#invite @0045e7d then Topic#invite; each step is a
        row of docs/emulator-fidelity.md."""
        with self.lock:
            topic = self.topics.get(topic_id)
            if topic is None or topic.deleted_at is not None:
                # `Topic.find_by(id:)` (Trashable's default scope hides deleted topics) → NotFound
                raise errors.not_found()
            if not topic.private_message:
                raise errors.plain_422([NOT_PM])
            if not self._can_invite_to(topic, actor):
                raise errors.invalid_access(INVALID_ACCESS)
            name, username_or_email = param  # read only now: fetch_username / fetch_email
            if not username_or_email:
                raise errors.param_missing(name)
            target = self.user_by_name_or_email(username_or_email)
            if target is not None:
                if target.id in topic.allowed_user_ids:
                    raise errors.plain_422([USER_ALREADY_INVITED])
                topic.allowed_user_ids.append(target.id)
                self._notify(target, INVITED_TO_PRIVATE_MESSAGE, topic, actor)
                return target
            if not LOOKS_LIKE_EMAIL.fullmatch(username_or_email):
                # Topic#invite returns nil: an unknown username → the controller's failed_json
                raise errors.ApiError(422, {"failed": "FAILED"})
            email = username_or_email.strip().lower()
            if not VALID_EMAIL.fullmatch(email):
                # Invite.generate saves with `validates :email, email: true` → RecordInvalid
                raise errors.record_invalid(["Email is invalid"])
            self.outgoing_emails.append(
                OutgoingEmail(
                    to=email,
                    kind="invite",
                    topic_id=topic.id,
                    invited_by_id=actor.id,
                    custom_message=custom_message,
                    created_at=utcnow(),
                )
            )
            return None

    def create_invite(
        self,
        actor: User,
        email: str,
        topic_id: int | None,
        custom_message: str | None,
        skip_email: bool,
    ) -> Invite:
        """POST /invites.json with `email` (InvitesController#create, then Invite.generate; rows
        of docs/emulator-fidelity.md): an email invite to the forum that lands on `topic_id`,
        for any topic the inviter may see (regular topics included)."""
        with self.lock:
            topic = None
            if topic_id is not None:
                topic = self.topics.get(topic_id)
                if topic is None or topic.deleted_at is not None:
                    raise errors.invalid_parameters("topic_id")
                if topic.private_message and not self._can_invite_to(topic, actor):
                    raise errors.invalid_access(INVALID_ACCESS)
            if not actor.staff and actor.trust_level < 2:
                # ensure_can_invite_to_forum!: staff, or invite_allowed_groups (taken as TL2+)
                raise errors.invalid_access(INVALID_ACCESS)
            lowered = email.strip().lower()  # Email.downcase
            if "@" in lowered and self.user_by_name_or_email(lowered) is not None:
                raise errors.plain_422([INVITE_USER_EXISTS.format(email=html.escape(lowered))])
            if not VALID_EMAIL.fullmatch(lowered):
                raise errors.plain_422(["Email is invalid"])  # RecordInvalid, first message
            now = utcnow()
            invite = self.invites.get((lowered, actor.id))
            if invite is None or invite.expires_at < now:
                invite = Invite(
                    id=next(self._ids["invite"]),
                    invite_key=secrets.token_hex(16),
                    email=lowered,
                    invited_by_id=actor.id,
                    topic_ids=[],
                    custom_message=custom_message,
                    created_at=now,
                    updated_at=now,
                    expires_at=now + INVITE_EXPIRY,
                )
                self.invites[(lowered, actor.id)] = invite
            else:  # the inviter's live invite for that address is reused, its dates renewed
                invite.updated_at = now
                invite.custom_message = custom_message or invite.custom_message
            if topic is not None and topic.id not in invite.topic_ids:
                invite.topic_ids.append(topic.id)
            if not skip_email:
                self.outgoing_emails.append(
                    OutgoingEmail(
                        to=lowered,
                        kind="invite",
                        topic_id=topic.id if topic is not None else None,
                        invited_by_id=actor.id,
                        custom_message=invite.custom_message,
                        created_at=now,
                    )
                )
            return invite

    # ------------------------------------------------------------------ solved (discourse-solved)

    def accept_answer(self, post_id: int, actor: User, accept: bool = True) -> Post:
        """POST /solution/accept (or /unaccept) with a post id: discourse-solved's
        AnswerController, `Guardian#can_accept_answer?` and `DiscourseSolved.accept_answer!`
        (rows of docs/emulator-fidelity.md). Accepting replaces an earlier answer."""
        with self.lock:
            post = self.posts.get(post_id)
            if post is None:
                raise errors.not_found()  # Post.find → RecordNotFound
            topic = self.topics[post.topic_id]
            if topic.deleted_at is not None and not actor.staff:
                raise errors.not_found()
            if not self._can_accept_answer(topic, actor):
                raise errors.invalid_access(INVALID_ACCESS)
            if accept:
                topic.accepted_answer_post_id = post.id
                topic.accepter_id = actor.id
                if post.user_id != actor.id:  # "unless acting_user.id == post.user_id"
                    author = self.users[post.user_id]
                    self._notify(author, CUSTOM_NOTIFICATION, topic, actor, post.post_number)
                self.on_event("accepted_solution", "solved", post)
            else:
                if topic.accepted_answer_post_id == post.id:
                    topic.accepted_answer_post_id = None
                    topic.accepter_id = None
                self.on_event("unaccepted_solution", "solved", post)
            return post

    @staticmethod
    def _can_accept_answer(topic: Topic, actor: User) -> bool:
        """discourse-solved Guardian#can_accept_answer?: staff; else the topic's author while it
        is open (accept_solutions_topic_author). The emulator allows solutions on every topic
        (as allow_solved_on_all_topics would); accept_all_solutions_allowed_groups and category
        group moderators are not emulated."""
        if actor.staff:
            return True
        return topic.user_id == actor.id and not topic.closed

    @staticmethod
    def _can_invite_to(topic: Topic, actor: User) -> bool:
        """core Guardian#can_invite_to? for a personal message: admins always; others must see
        it (be an allowed user) and be in personal_message_enabled_groups (here: trust level 1
        or more, or staff)."""
        if actor.admin:
            return True
        if actor.id not in topic.allowed_user_ids:
            return False
        return actor.staff or actor.trust_level >= 1

    # ------------------------------------------------------------------ lists (notes §11)

    def listable(self, viewer: User | None) -> list[Topic]:
        """Live topics a viewer's lists may show (unlisted ones only for staff), newest bump
        first."""
        with self.lock:
            topics = [
                t
                for t in self.topics.values()
                if t.deleted_at is None
                and not t.private_message  # messages are in no topic list
                and (t.visible or (viewer is not None and viewer.staff))
            ]
        return sorted(topics, key=lambda t: (t.bumped_at, t.id), reverse=True)

    # ------------------------------------------------------------------ uploads (issue 24)

    def create_upload(self, user_id: int, file: UploadedFile) -> Upload:
        """The upload of these bytes (bridge.emulator.uploads.create); UploadRefused."""
        with self.lock:
            return create_upload(
                self.uploads, len(self.uploads) + 1, user_id, file, self.upload_settings
            )

    def cooked(self, post: Post) -> str:
        """A post's cooked HTML, its `upload://` images drawn from their uploads."""
        return resolve_uploads(post.cooked, self.uploads)


CATEGORY_STYLE_TYPES = ("square", "icon", "emoji")  # core app/models/category.rb enum style_type


def _category_style(params: dict[str, Any]) -> dict[str, Any]:
    """style_type, emoji and icon as given (core CategoriesController#category_params)."""
    style: dict[str, Any] = {}
    if params.get("style_type") not in (None, ""):
        if str(params["style_type"]) not in CATEGORY_STYLE_TYPES:
            raise errors.invalid_parameters("style_type")
        style["style_type"] = str(params["style_type"])
    for key in ("emoji", "icon"):
        if key in params:
            style[key] = str(params[key]) if params[key] not in (None, "") else None
    return style


def _rails_int(value: Any) -> int:
    """Ruby's `to_i` as ActiveRecord casts an integer attribute: the leading integer of a
    string, 0 when there is none (or for a value that is not a string or a number)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value == value and abs(value) != float("inf") else 0
    match = re.match(r"\s*([+-]?\d+)", value) if isinstance(value, str) else None
    return int(match.group(1)) if match else 0


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None]
    if isinstance(value, dict):  # tags[0]=a&tags[1]=b
        return [str(v) for _, v in sorted(value.items())]
    return [str(value)]
