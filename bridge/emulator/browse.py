"""What off-the-shelf clients read (issue 28 point 10): `/about.json`, `/site.json`,
`/search.json` (a documented subset), `/u/{username}.json`, the `/latest` family (`/hot`, `/new`,
`/top`), `/topics/created-by/{username}.json`, `GET /t/{id}/posts.json` without `post_ids[]`, and
category topic lists by slug. Each handler cites the core file it follows; docs/emulator-
fidelity.md ("Issue 28 point 10") lists them with their tests. Handlers take the `Api` they are
routed from (bridge.emulator.api registers them in one block).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bridge.emulator import errors, serializers
from bridge.emulator.models import Post, Topic, User, avatar_template, iso, utcnow

if TYPE_CHECKING:
    from bridge.emulator.api import Api, Request, Response

VERSION = "3.4.0"  # what /about.json reports as Discourse::VERSION::STRING
SITE_TITLE = "Discourse emulator"
SITE_DESCRIPTION = "A local Discourse-compatible forum for the DigiCanvis bridge's tests."
# core SearchController#show: terms shorter than min_search_term_length (default 3) → 400 q.
MIN_SEARCH_TERM_LENGTH = 3
SEARCH_PAGE_LIMIT = 10  # SearchController::PAGE_LIMIT
SEARCH_PER_PAGE = 50  # core lib/search.rb: a full-page search shows 50 posts a page
# TopTopic.periods; ListController#top without ?period= uses top_page_default_timeframe.
TOP_PERIODS = {
    "all": None,
    "yearly": timedelta(days=365),
    "quarterly": timedelta(days=91),
    "monthly": timedelta(days=30),
    "weekly": timedelta(days=7),
    "daily": timedelta(days=1),
}
TOP_DEFAULT_PERIOD = "yearly"
TOP_PER_PAGE = 50  # topics_per_period_in_top_page
NEW_TOPIC_DURATION = timedelta(minutes=2880)  # default_other_new_topic_duration_minutes
# core lib/discourse.rb: Discourse.filters / anonymous_filters; TopTopic.periods.
FILTERS = ["latest", "unread", "new", "unseen", "top", "read", "posted", "bookmarks", "hot"]
ANONYMOUS_FILTERS = ["latest", "top", "categories", "hot"]


def _user(api: Api, username: str) -> User:
    user = api.state.user_by_name(username)
    if user is None:  # UsersController / ListController#topics_by: fetch_user_from_params
        raise errors.not_found()
    return user


def _listable(api: Api, req: Request) -> list[Topic]:
    return [t for t in api.state.listable(req.viewer) if not t.is_definition]


# ---------------------------------------------------------------------------- site


def about(api: Api, req: Request, m: re.Match[str]) -> Response:
    """core AboutController#index renders AboutSerializer: stats (when can_see_about_stats),
    description, title, locale, version, https, moderators, admins, category_moderators."""
    from bridge.emulator.api import Response

    with api.state.lock:
        users = [u for u in api.state.users.values() if u.id > 0]
        topics = _listable(api, req)
        posts = [p for t in topics for p in t.live_posts]
        body = {
            "about": {
                "stats": {
                    "topics_count": len(topics),
                    "posts_count": len(posts),
                    "users_count": len(users),
                    "likes_count": sum(t.like_count for t in topics),
                },
                "description": SITE_DESCRIPTION,
                "title": SITE_TITLE,
                "locale": "en",
                "version": VERSION,
                "https": False,
                "can_see_about_stats": True,
                "moderators": [_about_user(u) for u in users if u.moderator and not u.admin],
                "admins": [_about_user(u) for u in users if u.admin],
                "category_moderators": [],
            }
        }
    return Response(200, body)


def _about_user(user: User) -> dict[str, Any]:
    # AboutSerializer::UserAboutSerializer: BasicUserSerializer + title, last_seen_at
    return serializers.basic_user(user) | {"title": None, "last_seen_at": None}


def site(api: Api, req: Request, m: re.Match[str]) -> Response:
    """core SiteController#site renders SiteSerializer; a subset: the vocabularies clients read
    (filters, periods, archetypes, trust levels, post types) and the categories."""
    from bridge.emulator.api import Response

    with api.state.lock:
        categories = [
            {
                "id": c.id,
                "name": c.name,
                "color": c.color,
                "text_color": c.text_color,
                "slug": c.slug,
                "topic_count": api.state.category_topic_count(c.id),
                "post_count": api.state.category_post_count(c.id),
                "position": c.id,
                "parent_category_id": c.parent_category_id,
                "read_restricted": False,
                "permission": 1 if req.viewer else None,
            }
            for c in api.state.categories.values()
        ]
    body = {
        "default_archetype": "regular",
        "notification_types": {"mentioned": 1, "replied": 2, "quoted": 3, "edited": 4},
        "post_types": {"regular": 1, "moderator_action": 2, "small_action": 3, "whisper": 4},
        "trust_levels": {"newuser": 0, "basic": 1, "member": 2, "regular": 3, "leader": 4},
        "groups": [],
        "filters": FILTERS,
        "periods": list(TOP_PERIODS),
        "top_menu_items": ["latest", "new", "unread", "hot", "categories", "top"],
        "anonymous_top_menu_items": ["latest", "hot", "categories", "top"],
        "uncategorized_category_id": None,
        "can_create_tag": bool(req.viewer and req.viewer.staff),
        "can_tag_topics": req.viewer is not None,
        "top_tags": sorted(api.state.tags)[:30],
        "archetypes": [{"id": "regular", "name": "Regular Topic", "options": []}],
        "categories": categories,
    }
    return Response(200, body)


# ---------------------------------------------------------------------------- users


def user(api: Api, req: Request, m: re.Match[str]) -> Response:
    """core UsersController#show (routes /u/:username and /users/:username) renders
    UserSerializer under `user`, with `user_badges` beside it; a subset of its fields."""
    from bridge.emulator.api import Response

    with api.state.lock:
        found = _user(api, m["username"])
        topics = [t for t in _listable(api, req) if t.user_id == found.id]
        posts = [p for t in api.state.listable(req.viewer) for p in t.live_posts]
        mine = [p for p in posts if p.user_id == found.id]
        body = {
            "user_badges": [],
            "user": {
                "id": found.id,
                "username": found.username,
                "name": found.name,
                "avatar_template": avatar_template(found.username),
                "title": None,
                "admin": found.admin,
                "moderator": found.moderator,
                "trust_level": found.trust_level,
                "topic_count": len(topics),
                "post_count": len(mine),
                "last_posted_at": iso(max((p.created_at for p in mine), default=None)),
                "badge_count": 0,
                "profile_view_count": 0,
                "can_edit": bool(req.viewer and (req.viewer.admin or req.viewer.id == found.id)),
            },
        }
    return Response(200, body)


# ---------------------------------------------------------------------------- lists


def hot(api: Api, req: Request, m: re.Match[str]) -> Response:
    """/hot (an anonymous filter): core TopicQuery#list_hot orders by TopicHotScore, which
    weighs recent likes and replies; the emulator orders by likes plus posts, then bumped."""
    topics = sorted(
        _listable(api, req),
        key=lambda t: (t.like_count + t.posts_count - 1, t.bumped_at),
        reverse=True,
    )
    return api._list_response(req, topics, "/hot")


def new(api: Api, req: Request, m: re.Match[str]) -> Response:
    """/new: not an anonymous filter, so ListController's `ensure_logged_in` refuses anonymous
    requests (403 not_logged_in); topics created within the user's new-topic duration (default
    2880 minutes), newest bumped first."""
    if req.viewer is None:
        raise errors.not_logged_in()
    since = utcnow() - NEW_TOPIC_DURATION
    topics = [t for t in _listable(api, req) if t.created_at >= since]
    return api._list_response(req, topics, "/new")


def top(api: Api, req: Request, m: re.Match[str]) -> Response:
    """/top?period=P: TopTopic.validate_period (else 400 invalid_parameters), topics of that
    period by score (the emulator: likes, then posts, then views), `for_period` in the list,
    per_page topics_per_period_in_top_page (50)."""
    period = str(req.params.get("period") or TOP_DEFAULT_PERIOD)
    if period not in TOP_PERIODS:
        raise errors.invalid_parameters("period")
    window = TOP_PERIODS[period]
    since = utcnow() - window if window else None
    topics = [t for t in _listable(api, req) if since is None or t.created_at >= since]
    topics.sort(key=lambda t: (t.like_count, t.posts_count, t.views), reverse=True)
    if "per_page" not in req.params:
        req = replace(req, params={**req.params, "per_page": TOP_PER_PAGE})
    return api._list_response(req, topics, "/top", extra={"for_period": period})


def topics_by(api: Api, req: Request, m: re.Match[str]) -> Response:
    """/topics/created-by/{username}: ListController#topics_by (anonymous allowed), the user's
    topics; an unknown user → 404."""
    with api.state.lock:
        found = _user(api, m["username"])
    topics = [t for t in _listable(api, req) if t.user_id == found.id]
    return api._list_response(req, topics, f"/topics/created-by/{found.username}")


def category_by_slug(api: Api, req: Request, m: re.Match[str]) -> Response:
    """/c/{slug}(/l/latest) and /c/{parent}/{child}: ListController#set_category finds the
    category by its slug path (Category.find_by_slug_path_with_id without an id); no match →
    404; then the category's latest list, as /c/{slug}/{id}."""
    slugs = [s.lower() for s in m["slugs"].split("/")]
    with api.state.lock:
        parent_id: int | None = None
        found = None
        for slug in slugs:
            found = next(
                (
                    c
                    for c in api.state.categories.values()
                    if c.slug.lower() == slug and c.parent_category_id == parent_id
                ),
                None,
            )
            if found is None:
                raise errors.not_found()
            parent_id = found.id
    assert found is not None
    return api.category_topics_of(req, found.id)


# ---------------------------------------------------------------------------- search


def search(api: Api, req: Request, m: re.Match[str]) -> Response:
    """GET /search.json?q= (core SearchController#show, GroupedSearchResultSerializer). The
    subset: words matched case-insensitively in a topic's title or its posts' raw (every word
    must appear), `tag:NAME`, `#category-slug` and `in:title`; `order:latest` sorts by the newest
    post (else by relevance: title hits first, then bumped). `q` shorter than 3 characters → 400
    invalid_parameters; `page` above 10 → 400. One post per topic (the first that matches)."""
    from bridge.emulator.api import Response

    q = req.params.get("q")
    term = "" if q is None else str(q)
    if q is not None and not isinstance(q, str):
        raise errors.invalid_parameters("q")
    if term and len(term.strip()) < MIN_SEARCH_TERM_LENGTH:
        raise errors.invalid_parameters("q")
    page_text = req.params.get("page")
    page = 1
    if page_text is not None:
        if not re.fullmatch(r"\d+", str(page_text)) or int(str(page_text)) > SEARCH_PAGE_LIMIT:
            raise errors.invalid_parameters("page")
        page = max(int(str(page_text)), 1)
    words, tags, slugs, in_title, latest = _parse_query(term)
    hits: list[tuple[Topic, Post, bool]] = []
    with api.state.lock:
        if words or tags or slugs:
            for topic in _listable(api, req):
                if tags and not set(tags) <= {t.lower() for t in topic.tags}:
                    continue
                if slugs and api.state.categories[topic.category_id].slug.lower() not in slugs:
                    continue
                title_hit = all(w in topic.title.lower() for w in words)
                post: Post | None = topic.first_post
                if not title_hit:
                    post = None if in_title else _first_matching(topic, words)
                if post is not None:
                    hits.append((topic, post, title_hit))
        if latest:
            hits.sort(key=lambda h: h[1].created_at, reverse=True)
        else:
            hits.sort(key=lambda h: (h[2], h[0].bumped_at), reverse=True)
        start = (page - 1) * SEARCH_PER_PAGE
        shown = hits[start : start + SEARCH_PER_PAGE]
        posts = [_search_post(api, topic, post, words) for topic, post, _ in shown]
        topics = [serializers.topic_list_item(api.state, t, req.viewer) for t, _, _ in shown]
    body = {
        "posts": posts,
        "topics": topics,
        "users": [],
        "categories": [],
        "tags": [],
        "groups": [],
        "grouped_search_result": {
            "more_posts": len(hits) > start + SEARCH_PER_PAGE or None,
            "more_users": None,
            "more_categories": None,
            "term": term,
            "search_log_id": None,
            "more_full_page_results": len(hits) > start + SEARCH_PER_PAGE or None,
            "can_create_topic": req.viewer is not None,
            "error": None,
            "extra": {},
            "post_ids": [p["id"] for p in posts],
            "user_ids": [],
            "category_ids": [],
            "tag_ids": [],
            "group_ids": [],
        },
    }
    return Response(200, body)


def _first_matching(topic: Topic, words: list[str]) -> Post | None:
    return next((p for p in topic.live_posts if all(w in p.raw.lower() for w in words)), None)


def _parse_query(term: str) -> tuple[list[str], list[str], set[str], bool, bool]:
    words: list[str] = []
    tags: list[str] = []
    slugs: set[str] = set()
    in_title = latest = False
    for token in term.lower().split():
        if token.startswith("tag:") or token.startswith("tags:"):
            tags.extend(t for t in token.split(":", 1)[1].split(",") if t)
        elif token.startswith("#") and len(token) > 1:
            slugs.add(token[1:])
        elif token == "in:title":
            in_title = True
        elif token == "order:latest":
            latest = True
        else:
            words.append(token)
    return words, tags, slugs, in_title, latest


def _search_post(api: Api, topic: Topic, post: Post, words: list[str]) -> dict[str, Any]:
    """SearchPostSerializer: the post with a blurb around the first word found."""
    author = api.state.users[post.user_id]
    text = post.raw
    lowered = text.lower()
    at = min((lowered.find(w) for w in words if w in lowered), default=0)
    start = max(at - 100, 0)
    return {
        "id": post.id,
        "name": author.name,
        "username": author.username,
        "avatar_template": avatar_template(author.username),
        "created_at": iso(post.created_at),
        "like_count": len(post.likes),
        "blurb": text[start : start + 300],
        "post_number": post.post_number,
        "topic_id": topic.id,
    }
