"""The forum's records as the emulator keeps them in memory.

These are mutable on purpose: they are the forum's rows, changed only by `ForumState` while it
holds its lock. Derived engagement figures (posts_count, reply_count, participant_count,
like_count) are computed from the posts so they can never drift from them.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    """Discourse's JSON timestamps: ISO-8601 UTC with milliseconds and Z (samples/*)."""
    if moment is None:
        return None
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def slugify(text: str) -> str:
    """Slug.for with slug_generation_method=ascii (notes §6): transliterate to ASCII, lowercase,
    non-alphanumerics → '-', squeezed and trimmed. May be empty (callers pick the fallback)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return re.sub(r"-{2,}", "-", slug)


def cook(raw: str) -> str:
    """A plain rendering of Markdown paragraphs to HTML: escaped text, one <p> per paragraph.
    (Discourse cooks at save time, notes §13.8; the emulator does not emulate its Markdown.)"""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", raw.strip()) if p.strip()]
    return "\n".join(
        "<p>" + html.escape(p, quote=False).replace("\n", "<br>\n") + "</p>" for p in paragraphs
    )


def avatar_template(username: str) -> str:
    return f"/letter_avatar_proxy/v4/letter/{username[:1].lower() or 'x'}/8e7dd6/{{size}}.png"


PRIVATE_MESSAGE = "private_message"  # core lib/archetype.rb


@dataclass
class User:
    id: int
    username: str
    name: str
    admin: bool = False
    moderator: bool = False
    trust_level: int = 1
    # Seen only by the invite route (User.find_by_username_or_email); never serialized.
    email: str | None = None

    @property
    def staff(self) -> bool:
        return self.admin or self.moderator


@dataclass
class Tag:
    id: int
    name: str


@dataclass
class Category:
    id: int
    name: str
    slug: str
    color: str
    text_color: str
    description: str | None
    parent_category_id: int | None
    position: int
    permissions: dict[str, int]
    topic_id: int | None = None  # the "About the … category" definition topic (notes §6)
    search_priority: int = 0
    # core CategoriesController category_params permits them (Category#style_type enum).
    style_type: str = "square"
    emoji: str | None = None
    icon: str | None = None
    allow_badges: bool = True
    topic_featured_link_allowed: bool = True
    created_at: datetime = field(default_factory=utcnow)

    @property
    def url_slug(self) -> str:
        # notes §6: when the slug is empty the category is addressed as "{id}-category".
        return self.slug or f"{self.id}-category"


@dataclass
class Post:
    id: int
    topic_id: int
    post_number: int
    user_id: int
    raw: str
    created_at: datetime
    updated_at: datetime
    reply_to_post_number: int | None = None
    version: int = 1
    edit_reason: str | None = None
    last_editor_id: int | None = None
    last_revised_at: datetime | None = None
    likes: set[int] = field(default_factory=set)
    deleted_at: datetime | None = None
    deleted_by_id: int | None = None

    @property
    def cooked(self) -> str:
        return cook(self.raw)

    @property
    def word_count(self) -> int:
        return len(self.raw.split())


@dataclass
class Topic:
    id: int
    title: str
    category_id: int
    user_id: int
    created_at: datetime
    bumped_at: datetime
    external_id: str | None = None
    tags: list[str] = field(default_factory=list)
    views: int = 0
    closed: bool = False
    archived: bool = False
    visible: bool = True
    pinned_at: datetime | None = None
    pinned_globally: bool = False
    deleted_at: datetime | None = None
    deleted_by_id: int | None = None
    is_definition: bool = False
    posts: list[Post] = field(default_factory=list)
    # core Archetype: "regular" or "private_message". A personal message has no category
    # (category_id 0 here), is in no list, and is seen only by its allowed users and admins.
    archetype: str = "regular"
    allowed_user_ids: list[int] = field(default_factory=list)  # core topic_allowed_users

    @property
    def private_message(self) -> bool:
        return self.archetype == PRIVATE_MESSAGE

    @property
    def slug(self) -> str:
        return slugify(self.title) or "topic"

    @property
    def pinned(self) -> bool:
        return self.pinned_at is not None

    @property
    def live_posts(self) -> list[Post]:
        return [p for p in self.posts if p.deleted_at is None]

    @property
    def first_post(self) -> Post:
        return self.posts[0]

    @property
    def posts_count(self) -> int:
        return len(self.live_posts)

    @property
    def highest_post_number(self) -> int:
        live = self.live_posts
        return live[-1].post_number if live else 0

    @property
    def reply_count(self) -> int:
        # Topic.next_post_number(topic_id, reply) bumps reply_count only for posts answering
        # another post (core app/models/topic.rb); samples/discourse_api_docs/
        # latest_topics_response.json has a topic with posts_count 7 and reply_count 0.
        return sum(1 for p in self.live_posts if p.reply_to_post_number is not None)

    @property
    def like_count(self) -> int:
        return sum(len(p.likes) for p in self.live_posts)

    @property
    def participant_ids(self) -> list[int]:
        seen: list[int] = []
        for p in self.live_posts:
            if p.user_id not in seen:
                seen.append(p.user_id)
        return seen

    @property
    def participant_count(self) -> int:
        return len(self.participant_ids)

    @property
    def last_post(self) -> Post | None:
        live = self.live_posts
        return live[-1] if live else None

    @property
    def last_posted_at(self) -> datetime | None:
        last = self.last_post
        return last.created_at if last else None

    @property
    def word_count(self) -> int:
        return sum(p.word_count for p in self.live_posts)


@dataclass(frozen=True)
class Notification:
    """A row of core's notifications table, as far as the invite route writes one."""

    id: int
    user_id: int
    notification_type: int  # core Notification.types (app/models/notification.rb)
    topic_id: int
    post_number: int
    data: dict[str, str]
    created_at: datetime


@dataclass(frozen=True)
class OutgoingEmail:
    """An email the forum (not the bridge) would send: core enqueues Jobs::InviteEmail for an
    email invite. Kept so tests can check an address went to this one place only."""

    to: str
    kind: str  # "invite"
    topic_id: int | None
    invited_by_id: int
    custom_message: str | None
    created_at: datetime


@dataclass
class Invite:
    """A row of core's invites table for an email invite (Invite.generate)."""

    id: int
    invite_key: str
    email: str
    invited_by_id: int
    topic_ids: list[int]
    custom_message: str | None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
