"""JSON shapes of the emulated responses.

Key sets follow the response schemas of ../shared/discourse/openapi.json (operation ids named on
each function) and the real samples in ../shared/discourse/samples. Where the notes say current
Discourse differs from the generated spec, the notes win and the test suite names the deviation
(tests/test_emulator_contract.py).

Callers hold the state's lock while serializing.
"""

from __future__ import annotations

import re
from typing import Any

from bridge.emulator.models import (
    Category,
    Invite,
    Post,
    Topic,
    User,
    avatar_template,
    iso,
)
from bridge.emulator.state import ForumState

# Discourse's action ids in actions_summary (samples: 2 like, 3 off-topic, 4 inappropriate, 8 spam,
# 7 notify).
_FLAG_ACTIONS = (3, 4, 8, 7)


def _fancy(title: str) -> str:
    # core app/models/topic.rb fancy_title: HTML-escape ' & " < >
    return (
        title.replace("&", "&amp;")
        .replace("'", "&#39;")
        .replace('"', "&quot;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
    )


def basic_user(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "avatar_template": avatar_template(user.username),
    }


# ---------------------------------------------------------------------------- categories


def category(state: ForumState, cat: Category, viewer: User | None) -> dict[str, Any]:
    """createCategory / getCategory / updateCategory `category` (openapi.json)."""
    children = [c for c in state.categories.values() if c.parent_category_id == cat.id]
    definition = state.topics.get(cat.topic_id) if cat.topic_id else None
    return {
        "id": cat.id,
        "name": cat.name,
        "color": cat.color,
        "text_color": cat.text_color,
        "style_type": cat.style_type,
        "emoji": cat.emoji,
        "icon": cat.icon,
        "slug": cat.slug,
        "topic_count": state.category_topic_count(cat.id),
        "post_count": state.category_post_count(cat.id),
        "position": cat.position,
        "description": cat.description,
        "description_text": _text(cat.description),
        "description_excerpt": _text(cat.description),
        "topic_url": f"/t/{definition.slug}/{definition.id}" if definition else None,
        "read_restricted": "everyone" not in cat.permissions,
        "permission": 1 if viewer and viewer.staff else None,
        "notification_level": 1,
        "can_edit": bool(viewer and viewer.staff),
        "topic_template": None,
        "topic_title_placeholder": None,
        "form_template_ids": [],
        "has_children": bool(children),
        "subcategory_count": len(children) or None,
        "sort_order": None,
        "sort_ascending": None,
        "show_subcategory_list": False,
        "num_featured_topics": 3,
        "default_view": None,
        "subcategory_list_style": "rows_with_featured_topics",
        "default_top_period": "all",
        "default_list_filter": "all",
        "minimum_required_tags": 0,
        "navigate_to_first_post_after_read": False,
        "custom_fields": {},
        "allowed_tags": [],
        "allowed_tag_groups": [],
        "allow_global_tags": False,
        "required_tag_groups": [],
        "read_only_banner": None,
        "available_groups": [],
        "auto_close_hours": None,
        "auto_close_based_on_last_post": False,
        "allow_unlimited_owner_edits_on_first_post": False,
        "default_slow_mode_seconds": None,
        "group_permissions": [
            {"permission_type": level, "group_name": group, "group_id": _GROUP_IDS.get(group, 0)}
            for group, level in cat.permissions.items()
        ],
        "email_in": None,
        "email_in_allow_strangers": False,
        "mailinglist_mirror": False,
        "all_topics_wiki": False,
        "can_delete": bool(viewer and viewer.staff) and state.category_topic_count(cat.id) == 0,
        "allow_badges": cat.allow_badges,
        "topic_featured_link_allowed": cat.topic_featured_link_allowed,
        "search_priority": cat.search_priority,
        "topic_posting_review_group_ids": [],
        "reply_posting_review_group_ids": [],
        "uploaded_logo": None,
        "uploaded_logo_dark": None,
        "uploaded_background": None,
        "uploaded_background_dark": None,
        **({"parent_category_id": cat.parent_category_id} if cat.parent_category_id else {}),
    }


# Automatic groups (core Group::AUTO_GROUPS): everyone 0, admins 1, moderators 2, staff 3.
_GROUP_IDS = {"everyone": 0, "admins": 1, "moderators": 2, "staff": 3}


def _text(cooked: str | None) -> str | None:
    if cooked is None:
        return None
    return re.sub(r"<[^>]+>", "", cooked)


def category_list_item(
    state: ForumState, cat: Category, viewer: User | None, include_subcategories: bool
) -> dict[str, Any]:
    """listCategories `categories[]` (openapi.json)."""
    full = category(state, cat, viewer)
    keys = [
        "id",
        "name",
        "color",
        "text_color",
        "style_type",
        "emoji",
        "icon",
        "slug",
        "topic_count",
        "post_count",
        "position",
        "description",
        "description_text",
        "description_excerpt",
        "topic_url",
        "read_restricted",
        "notification_level",
        "can_edit",
        "topic_template",
        "topic_title_placeholder",
        "subcategory_count",
        "sort_order",
        "sort_ascending",
        "show_subcategory_list",
        "num_featured_topics",
        "default_view",
        "subcategory_list_style",
        "default_top_period",
        "default_list_filter",
        "minimum_required_tags",
        "navigate_to_first_post_after_read",
        "uploaded_logo",
        "uploaded_logo_dark",
        "uploaded_background",
        "uploaded_background_dark",
    ]
    item = {k: full[k] for k in keys}
    children = sorted(
        (c for c in state.categories.values() if c.parent_category_id == cat.id),
        key=lambda c: c.position,
    )
    count = state.category_topic_count(cat.id)
    item.update(
        # core BasicCategorySerializer (which the list's serializer extends) has the attribute
        parent_category_id=cat.parent_category_id,
        permission=1,
        has_children=bool(children),
        topics_day=count,
        topics_week=count,
        topics_month=count,
        topics_year=count,
        topics_all_time=count,
        is_uncategorized=False,
        subcategory_ids=[c.id for c in children],
    )
    if include_subcategories:
        item["subcategory_list"] = [category_list_item(state, c, viewer, True) for c in children]
    return item


# ---------------------------------------------------------------------------- posts


def _post_common(state: ForumState, post: Post, viewer: User | None) -> dict[str, Any]:
    user = state.users[post.user_id]
    topic = state.topics[post.topic_id]
    yours = bool(viewer and viewer.id == user.id)
    return {
        "id": post.id,
        "name": user.name,
        "username": user.username,
        "avatar_template": avatar_template(user.username),
        "created_at": iso(post.created_at),
        "cooked": state.cooked(post),
        "post_number": post.post_number,
        "post_type": 1,
        "posts_count": topic.posts_count,
        "updated_at": iso(post.updated_at),
        "reply_count": sum(
            1 for p in topic.live_posts if p.reply_to_post_number == post.post_number
        ),
        # openapi.json types this as string|null; Discourse sends the number or null.
        "reply_to_post_number": None
        if post.reply_to_post_number is None
        else str(post.reply_to_post_number),
        "quote_count": 0,
        "incoming_link_count": 0,
        "reads": 0,
        "readers_count": 0,
        "score": 0,
        "yours": yours,
        "topic_id": topic.id,
        "topic_slug": topic.slug,
        "display_username": user.name,
        "primary_group_name": None,
        "flair_name": None,
        "flair_url": None,
        "flair_bg_color": None,
        "flair_color": None,
        "flair_group_id": None,
        "version": post.version,
        "can_edit": bool(viewer and (viewer.staff or yours)),
        "can_delete": bool(viewer and viewer.staff) and post.post_number > 1,
        "can_recover": bool(viewer and viewer.staff) and post.deleted_at is not None,
        "can_see_hidden_post": bool(viewer and viewer.staff),
        "can_wiki": bool(viewer and viewer.staff),
        "user_title": None,
        "bookmarked": False,
        "actions_summary": _post_actions(post, viewer),
        "moderator": user.moderator,
        "admin": user.admin,
        "staff": user.staff,
        "user_id": user.id,
        "hidden": False,
        "trust_level": user.trust_level,
        "deleted_at": iso(post.deleted_at),
        "user_deleted": False,
        "edit_reason": post.edit_reason,
        "can_view_edit_history": True,
        "wiki": False,
        "reviewable_id": None,
        "reviewable_score_count": 0,
        "reviewable_score_pending_count": 0,
        "post_url": f"/t/{topic.slug}/{topic.id}/{post.post_number}",
        "mentioned_users": [],
    }


def _post_actions(post: Post, viewer: User | None) -> list[dict[str, Any]]:
    actions: list[dict[str, Any]] = []
    likes = len(post.likes)
    like: dict[str, Any] = {"id": 2}
    if likes:
        like["count"] = likes
    if viewer and viewer.id in post.likes:
        like["acted"] = True
        like["can_undo"] = True
    else:
        like["can_act"] = viewer is not None and viewer.id != post.user_id
    actions.append(like)
    actions.extend({"id": i, "can_act": viewer is not None} for i in _FLAG_ACTIONS)
    return actions


def post_show(state: ForumState, post: Post, viewer: User | None) -> dict[str, Any]:
    """getPost (openapi.json): the post with raw."""
    body = _post_common(state, post, viewer)
    body["raw"] = post.raw
    return body


def post_created(state: ForumState, post: Post, viewer: User | None) -> dict[str, Any]:
    """createTopicPostPM response (openapi.json;
    samples/discourse_api_docs/new_topic_response.json)."""
    body = _post_common(state, post, viewer)
    body["raw"] = post.raw
    body["actions_summary"] = [
        {"id": a["id"], "can_act": bool(a.get("can_act", False))} for a in body["actions_summary"]
    ]
    body["draft_sequence"] = 0
    body["badges_granted"] = []
    body["post_localizations"] = []
    return body


def post_updated(state: ForumState, post: Post, viewer: User | None) -> dict[str, Any]:
    """updatePost response `{"post": {...}}` (openapi.json)."""
    body = post_created(state, post, viewer)
    return {"post": body}


def stream_post(
    state: ForumState, post: Post, viewer: User | None, include_raw: bool
) -> dict[str, Any]:
    """getTopic post_stream.posts[] (openapi.json, additionalProperties false)."""
    body = _post_common(state, post, viewer)
    for key in ("posts_count", "flair_group_id", "post_url", "mentioned_users"):
        body.pop(key)
    body["actions_summary"] = [
        {"id": a["id"], "can_act": bool(a.get("can_act", False))} for a in body["actions_summary"]
    ]
    body["link_counts"] = []
    body["read"] = True
    body["reviewable_id"] = 0  # openapi.json getTopic types it as integer (not null) here
    if include_raw:
        body["raw"] = post.raw  # notes §10: include_raw=true adds raw
    return body


# ---------------------------------------------------------------------------- topics


def tag_objects(state: ForumState, names: list[str]) -> list[dict[str, Any]]:
    # notes §7: current core returns tags as objects {id, name, slug}.
    return [{"id": state.tags[n].id, "name": n, "slug": n} for n in names if n in state.tags]


# core lib/topic_view.rb: @limit = chunk_size, 20 posts a page.
TOPIC_VIEW_CHUNK = 20


def topic_view_window(posts: list[Post], post_number: int | None, page: int) -> list[Post]:
    """The posts TopicView returns (core lib/topic_view.rb `filter_posts`): with `post_number`,
    `filter_posts_near` — up to a quarter of a chunk before it, the rest from it on, topped up
    from before when the topic ends; otherwise `filter_posts_paged` — page N (1-based, at
    least 1) of 20."""
    limit = TOPIC_VIEW_CHUNK
    if post_number is not None:
        before_count = max(1, limit // 4)
        at = next((i for i, p in enumerate(posts) if p.post_number >= post_number), len(posts))
        before = posts[max(0, at - before_count) : at]
        window = before + posts[at : at + limit - len(before)]
        if len(window) < limit:
            start = max(0, at - len(before) - (limit - len(window)))
            window = posts[start : at - len(before)] + window
        return window
    start = limit * (max(page, 1) - 1)
    return posts[start : start + limit]


def topic_view(
    state: ForumState,
    topic: Topic,
    viewer: User | None,
    include_raw: bool = False,
    post_number: int | None = None,
    page: int = 1,
) -> dict[str, Any]:
    """getTopic (openapi.json) plus external_id when set (notes §3)."""
    posts = topic.live_posts if topic.deleted_at is None else topic.posts
    creator = state.users[topic.user_id]
    last = topic.last_post
    last_poster = state.users[last.user_id] if last else creator
    staff = bool(viewer and viewer.staff)
    participants = []
    for uid in topic.participant_ids:
        user = state.users[uid]
        participants.append(
            {
                "id": user.id,
                "username": user.username,
                "name": user.name,
                "avatar_template": avatar_template(user.username),
                "post_count": sum(1 for p in topic.live_posts if p.user_id == uid),
                "primary_group_name": None,
                "flair_name": None,
                "flair_url": None,
                "flair_color": None,
                "flair_bg_color": None,
                "flair_group_id": None,
                "admin": user.admin,
                "moderator": user.moderator,
                "trust_level": user.trust_level,
            }
        )
    body: dict[str, Any] = {
        "post_stream": {
            # notes §10: one chunk of posts (see topic_view_window); stream lists every id.
            "posts": [
                stream_post(state, p, viewer, include_raw)
                for p in topic_view_window(posts, post_number, page)
            ],
            "stream": [p.id for p in posts],
        },
        "timeline_lookup": [[1, 0]],
        "suggested_topics": [],
        "tags": tag_objects(state, topic.tags),
        "tags_descriptions": {},
        "id": topic.id,
        "title": topic.title,
        "fancy_title": _fancy(topic.title),
        "posts_count": topic.posts_count,
        "created_at": iso(topic.created_at),
        "views": topic.views,
        "reply_count": topic.reply_count,
        "like_count": topic.like_count,
        "last_posted_at": iso(topic.last_posted_at),
        "visible": topic.visible,
        "closed": topic.closed,
        "archived": topic.archived,
        "has_summary": False,
        "archetype": topic.archetype,
        "slug": topic.slug,
        "category_id": topic.category_id or None,  # a personal message has no category
        "word_count": topic.word_count,
        "deleted_at": iso(topic.deleted_at),
        "user_id": topic.user_id,
        "featured_link": None,
        "pinned_globally": topic.pinned_globally,
        "pinned_at": iso(topic.pinned_at),
        "pinned_until": None,
        "image_url": None,
        "slow_mode_seconds": 0,
        "draft": None,
        "draft_key": f"topic_{topic.id}",
        "draft_sequence": 0,
        "unpinned": None,
        "pinned": topic.pinned,
        "current_post_number": 1,
        "highest_post_number": topic.highest_post_number,
        # notes §5: staff reading a deleted topic see deleted_by filled. openapi.json types it as
        # string|null, so it carries the deleting user's username.
        "deleted_by": state.users[topic.deleted_by_id].username
        if topic.deleted_by_id is not None
        else None,
        "has_deleted": staff and any(p.deleted_at for p in topic.posts),
        "actions_summary": [
            {"id": i, "count": 0, "hidden": False, "can_act": viewer is not None} for i in (4, 8, 7)
        ],
        "chunk_size": 20,
        "bookmarked": False,
        "bookmarks": [],
        "topic_timer": None,
        "message_bus_last_id": 0,
        "participant_count": topic.participant_count,
        "show_read_indicator": False,
        "thumbnails": None,
        "slow_mode_enabled_until": None,
        "details": {
            "can_edit": staff,
            "notification_level": 1,
            "can_move_posts": staff,
            "can_delete": staff and topic.deleted_at is None,
            "can_remove_allowed_users": staff,
            "can_create_post": viewer is not None and not topic.closed,
            "can_reply_as_new_topic": viewer is not None,
            "can_flag_topic": viewer is not None,
            "can_convert_topic": staff,
            "can_review_topic": staff,
            "can_close_topic": staff,
            "can_archive_topic": staff,
            "can_split_merge_topic": staff,
            "can_edit_staff_notes": staff,
            "can_toggle_topic_visibility": staff,
            "can_pin_unpin_topic": staff,
            "can_moderate_category": staff,
            "can_remove_self_id": viewer.id if viewer else 0,
            "participants": participants,
            "created_by": basic_user(creator),
            "last_poster": basic_user(last_poster),
            # core TopicViewDetailsSerializer: allowed_users / allowed_groups only for a
            # personal message (include_allowed_users? → private_message?).
            **(
                {
                    "allowed_users": [
                        basic_user(state.users[uid]) for uid in topic.allowed_user_ids
                    ],
                    "allowed_groups": [],
                }
                if topic.private_message
                else {}
            ),
        },
    }
    if topic.external_id:
        body["external_id"] = topic.external_id  # notes §3: present only when set
    return body


def basic_topic(topic: Topic) -> dict[str, Any]:
    """updateTopic response (openapi.json;
    samples/discourse_api_docs/update_topic_response.json)."""
    return {
        "basic_topic": {
            "id": topic.id,
            "title": topic.title,
            "fancy_title": _fancy(topic.title),
            "slug": topic.slug,
            "posts_count": topic.posts_count,
        }
    }


def _posters(state: ForumState, topic: Topic) -> list[dict[str, Any]]:
    """Topic-list posters (samples: "latest single" / "Original Poster, Most Recent Poster")."""
    ids = topic.participant_ids[:5]
    last = topic.last_post
    last_id = last.user_id if last else topic.user_id
    out = []
    for uid in ids:
        parts = []
        if uid == topic.user_id:
            parts.append("Original Poster")
        if uid == last_id:
            parts.append("Most Recent Poster")
        if not parts:
            parts.append("Frequent Poster")
        extras = ("latest single" if len(ids) == 1 else "latest") if uid == last_id else ""
        out.append(
            {
                "extras": extras,
                "description": ", ".join(parts),
                "user_id": uid,
                "primary_group_id": None,
            }
        )
    return out


def topic_list_item(
    state: ForumState, topic: Topic, viewer: User | None, flavor: str = "latest"
) -> dict[str, Any]:
    """listLatestTopics / listCategoryTopics / getTag `topics[]` (openapi.json) plus tags as
    objects (notes §7). `bookmarked`/`liked` follow each operation's schema: booleans in
    listLatestTopics and getTag, null in listCategoryTopics (also null in the samples)."""
    last = topic.last_post
    flag: bool | None = None if flavor == "category" else False
    return {
        "id": topic.id,
        "title": topic.title,
        "fancy_title": _fancy(topic.title),
        "slug": topic.slug,
        "posts_count": topic.posts_count,
        "reply_count": topic.reply_count,
        "highest_post_number": topic.highest_post_number,
        "image_url": None,
        "created_at": iso(topic.created_at),
        "last_posted_at": iso(topic.last_posted_at or topic.created_at),
        "bumped": True,
        "bumped_at": iso(topic.bumped_at),
        "archetype": "regular",
        "unseen": False,
        "pinned": topic.pinned,
        "unpinned": None,
        "excerpt": (_text(topic.first_post.cooked) or "")[:200] if topic.posts else "",
        "visible": topic.visible,
        "closed": topic.closed,
        "archived": topic.archived,
        "bookmarked": flag,
        "liked": flag,
        "tags": tag_objects(state, topic.tags),
        "views": topic.views,
        "like_count": topic.like_count,
        "has_summary": False,
        "last_poster_username": state.users[last.user_id].username
        if last
        else state.users[topic.user_id].username,
        "category_id": topic.category_id,
        "pinned_globally": topic.pinned_globally,
        "featured_link": None,
        "posters": _posters(state, topic),
    }


def topic_list(
    state: ForumState,
    topics: list[Topic],
    viewer: User | None,
    per_page: int,
    more_topics_url: str | None,
    extra: dict[str, Any] | None = None,
    flavor: str = "latest",
) -> dict[str, Any]:
    """The topic-list envelope (notes §11): users, primary_groups, topic_list{per_page, topics,
    more_topics_url only when another page exists}."""
    items = [topic_list_item(state, t, viewer, flavor) for t in topics]
    user_ids: list[int] = []
    for item in items:
        for poster in item["posters"]:
            if poster["user_id"] not in user_ids:
                user_ids.append(poster["user_id"])
    body: dict[str, Any] = {
        "can_create_topic": viewer is not None,
        "per_page": per_page,
        "topics": items,
    }
    if extra:
        body.update(extra)
    if more_topics_url:
        body["more_topics_url"] = more_topics_url
    users = [{k: v for k, v in basic_user(state.users[uid]).items()} for uid in user_ids]
    return {"users": users, "primary_groups": [], "topic_list": body}


# ---------------------------------------------------------------------------- webhooks (notes §12)


def webhook_topic(state: ForumState, topic: Topic) -> dict[str, Any]:
    """The topic-show shape without post_stream/details, plus created_by/last_poster."""
    system = state.users[-1]
    body = topic_view(state, topic, system)
    details = body.pop("details")
    body.pop("post_stream")
    body.pop("suggested_topics", None)
    body["created_by"] = details["created_by"]
    body["last_poster"] = details["last_poster"]
    return body


def webhook_post(state: ForumState, post: Post) -> dict[str, Any]:
    """The post shape plus raw, topic_title, topic_posts_count, category_id, category_slug."""
    system = state.users[-1]
    topic = state.topics[post.topic_id]
    body = post_show(state, post, system)
    cat = state.categories.get(topic.category_id)
    body.update(
        topic_title=topic.title,
        topic_posts_count=topic.posts_count,
        topic_archetype=topic.archetype,
        category_id=topic.category_id or None,
        category_slug=cat.url_slug if cat else None,
    )
    return body


def invite(state: ForumState, invite: Invite, base_url: str) -> dict[str, Any]:
    """core InviteSerializer (openapi.json createInvite's 200 schema) for an email invite."""
    return {
        "id": invite.id,
        "invite_key": invite.invite_key,
        "link": f"{base_url}/invites/{invite.invite_key}",
        "description": None,
        "email": invite.email,
        "domain": None,
        "emailed": True,
        "can_delete_invite": True,
        "custom_message": invite.custom_message,
        "created_at": iso(invite.created_at),
        "updated_at": iso(invite.updated_at),
        "expires_at": iso(invite.expires_at),
        "expired": False,
        "grants_admin": False,
        "grants_moderator": False,
        "topics": [
            basic_topic(state.topics[tid])["basic_topic"]
            for tid in invite.topic_ids
            if tid in state.topics
        ],
        "groups": [],
    }
