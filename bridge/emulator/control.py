"""The test-only control API: what people do in the forum, plus faults and statistics.

`POST /_emulator/<action>` with a JSON body; only served when the emulator was started with
test_control. Forum-side actions go through the same `ForumState` methods as the API, so they
update engagement fields and emit the same webhooks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bridge.emulator import errors, serializers
from bridge.emulator.models import User, iso

if TYPE_CHECKING:
    from bridge.emulator.server import EmulatorApp

Action = Callable[["EmulatorApp", dict[str, Any]], dict[str, Any]]


def _require(params: dict[str, Any], *names: str) -> list[Any]:
    missing = [n for n in names if params.get(n) in (None, "")]
    if missing:
        raise errors.param_missing(missing[0])
    return [params[n] for n in names]


def _actor(app: EmulatorApp, params: dict[str, Any], default: str, staff: bool) -> User:
    """The user acting in the forum, created on first use (moderators are staff)."""
    username = str(params.get("username") or default)
    if username.lower() == "system":
        return app.state.users[-1]
    return app.state.ensure_user(username, moderator=staff)


def _topic_summary(app: EmulatorApp, topic_id: int) -> dict[str, Any]:
    with app.state.lock:
        topic = app.state.topics[topic_id]
        return serializers.topic_list_item(app.state, topic, app.state.users[-1]) | {
            "participant_count": topic.participant_count,
            "deleted_at": iso(topic.deleted_at),
        }


def reply(app: EmulatorApp, params: dict[str, Any]) -> dict[str, Any]:
    topic_id, raw = _require(params, "topic_id", "raw")
    user = _actor(app, params, "practitioner", staff=False)
    reply_to = params.get("reply_to_post_number")
    post = app.state.reply(
        int(topic_id), str(raw), user, int(reply_to) if reply_to not in (None, "") else None
    )
    return {
        "post_id": post.id,
        "post_number": post.post_number,
        "topic": _topic_summary(app, int(topic_id)),
    }


def view(app: EmulatorApp, params: dict[str, Any]) -> dict[str, Any]:
    (topic_id,) = _require(params, "topic_id")
    app.state.view(int(topic_id), int(params.get("count", 1)))
    return {"topic": _topic_summary(app, int(topic_id))}


def _post_id(app: EmulatorApp, params: dict[str, Any], viewer: User | None) -> int:
    """The post a control call names: `post_id`, or the first post of `topic_id` as `viewer`
    sees the topic. Called under the state's lock."""
    if params.get("post_id") not in (None, ""):
        return int(params["post_id"])
    (topic_id,) = _require(params, "topic_id")
    return app.state.topic(int(topic_id), viewer, include_deleted_for_staff=False).first_post.id


def like(app: EmulatorApp, params: dict[str, Any]) -> dict[str, Any]:
    user = _actor(app, params, "practitioner", staff=False)
    with app.state.lock:
        post = app.state.like(_post_id(app, params, None), user)
        return {
            "post_id": post.id,
            "like_count": len(post.likes),
            "topic": _topic_summary(app, post.topic_id),
        }


def _moderated(
    app: EmulatorApp, params: dict[str, Any], topic_id: Any, change: dict[str, Any]
) -> dict[str, Any]:
    """A moderator's edit of the topic (as PUT /t/{id}.json takes it), and the topic after."""
    app.state.update_topic(int(topic_id), change, _actor(app, params, "moderator", staff=True))
    return {"topic": _topic_summary(app, int(topic_id))}


def move(app: EmulatorApp, params: dict[str, Any]) -> dict[str, Any]:
    topic_id, category_id = _require(params, "topic_id", "category_id")
    return _moderated(app, params, topic_id, {"category_id": category_id})


def retag(app: EmulatorApp, params: dict[str, Any]) -> dict[str, Any]:
    (topic_id,) = _require(params, "topic_id")
    tags = params.get("tags") or [""]
    return _moderated(app, params, topic_id, {"tags": tags})


def retitle(app: EmulatorApp, params: dict[str, Any]) -> dict[str, Any]:
    topic_id, title = _require(params, "topic_id", "title")
    return _moderated(app, params, topic_id, {"title": title})


def edit_first_post(app: EmulatorApp, params: dict[str, Any]) -> dict[str, Any]:
    topic_id, raw = _require(params, "topic_id", "raw")
    actor = _actor(app, params, "moderator", staff=True)
    with app.state.lock:
        first = app.state.topic(int(topic_id), actor, include_deleted_for_staff=False).first_post
        app.state.update_post(first.id, raw, params.get("edit_reason"), actor)
        return {
            "post_id": first.id,
            "version": first.version,
            "topic": _topic_summary(app, int(topic_id)),
        }


def create_topic(app: EmulatorApp, params: dict[str, Any]) -> dict[str, Any]:
    """A practitioner (not staff, not the API user) opens a topic, e.g. a challenge."""
    category_id, title, raw = _require(params, "category_id", "title", "raw")
    user = _actor(app, params, "practitioner", staff=False)
    first = app.state.create_topic(
        {"category": category_id, "title": title, "raw": raw, "tags": params.get("tags")}, user
    )
    return {
        "post_id": first.id,
        "topic_id": first.topic_id,
        "topic": _topic_summary(app, first.topic_id),
    }


def edit_post(app: EmulatorApp, params: dict[str, Any]) -> dict[str, Any]:
    """Someone edits a post (by `post_id`, or a topic's first post by `topic_id`); by default
    a practitioner, so that the edit is not the API user's."""
    (raw,) = _require(params, "raw")
    actor = _actor(app, params, "practitioner", staff=False)
    with app.state.lock:
        post_id = _post_id(app, params, actor)
        post, _moved = app.state.update_post(post_id, raw, params.get("edit_reason"), actor)
        return {
            "post_id": post.id,
            "version": post.version,
            "topic": _topic_summary(app, post.topic_id),
        }


def delete_post(app: EmulatorApp, params: dict[str, Any]) -> dict[str, Any]:
    (post_id,) = _require(params, "post_id")
    post = app.state.delete_post(int(post_id), _actor(app, params, "moderator", staff=True))
    return {"post_id": post.id, "topic": _topic_summary(app, post.topic_id)}


def _status(enabled: bool) -> Action:
    def action(app: EmulatorApp, params: dict[str, Any]) -> dict[str, Any]:
        (topic_id,) = _require(params, "topic_id")
        app.state.set_status(
            int(topic_id),
            "closed",
            "true" if enabled else "false",
            _actor(app, params, "moderator", staff=True),
        )
        return {"topic": _topic_summary(app, int(topic_id))}

    return action


def delete(app: EmulatorApp, params: dict[str, Any]) -> dict[str, Any]:
    (topic_id,) = _require(params, "topic_id")
    app.state.delete_topic(int(topic_id), _actor(app, params, "moderator", staff=True))
    return {"topic": _topic_summary(app, int(topic_id))}


def recover(app: EmulatorApp, params: dict[str, Any]) -> dict[str, Any]:
    (topic_id,) = _require(params, "topic_id")
    app.state.recover_topic(int(topic_id), _actor(app, params, "moderator", staff=True))
    return {"topic": _topic_summary(app, int(topic_id))}


def faults(app: EmulatorApp, params: dict[str, Any]) -> dict[str, Any]:
    reset = bool(params.pop("reset", False))
    try:
        settings = app.faults.configure(reset=reset, **params)
    except (TypeError, ValueError) as exc:
        raise errors.bad_request(str(exc)) from None
    return {"faults": settings.__dict__}


def stats(app: EmulatorApp, params: dict[str, Any]) -> dict[str, Any]:
    return app.stats.snapshot()


def reset_stats(app: EmulatorApp, params: dict[str, Any]) -> dict[str, Any]:
    app.stats.reset()
    return app.stats.snapshot()


def webhooks(app: EmulatorApp, params: dict[str, Any]) -> dict[str, Any]:
    """Deliveries attempted so far (waits for the queue to drain first)."""
    app.webhooks.wait_idle()
    return {"deliveries": [d.__dict__ for d in app.webhooks.deliveries]}


# ---------------------------------------------------------------- admin state (issue 26, doctor)


def site_settings(app: EmulatorApp, params: dict[str, Any]) -> dict[str, Any]:
    """Set site settings the admin endpoint reports: `{"settings": {"max_tags_per_topic": 2}}`."""
    app.state.admin.set_settings(dict(params.get("settings") or {}))
    return {"site_settings": app.state.admin.site_settings()}


def web_hook(app: EmulatorApp, params: dict[str, Any]) -> dict[str, Any]:
    """Configure a web hook in the forum (payload_url, content_type, secret, events, …)."""
    return {"web_hook": app.state.admin.add_web_hook(params)}


def user(app: EmulatorApp, params: dict[str, Any]) -> dict[str, Any]:
    """Create a user or change it: `{"username": "clerk", "admin": false, "moderator": false,
    "trust_level": 0, "email": "clerk@example.org"}` (each key but username optional)."""
    (username,) = _require(params, "username")
    with app.state.lock:
        found = app.state.ensure_user(str(username))
        if "admin" in params:
            found.admin = bool(params["admin"])
        if "moderator" in params:
            found.moderator = bool(params["moderator"])
        if "trust_level" in params:
            found.trust_level = int(params["trust_level"])
        if "email" in params:
            found.email = str(params["email"]) if params["email"] else None
        return {
            "user": {
                "id": found.id,
                "username": found.username,
                "admin": found.admin,
                "moderator": found.moderator,
                "trust_level": found.trust_level,
            }
        }


# ---------------------------------------------------------------- messages and invites (issue 22.6)


def create_private_message(app: EmulatorApp, params: dict[str, Any]) -> dict[str, Any]:
    """Someone (`username`, default the API user) opens a personal message to `recipients`
    (usernames, created when missing): the only topics `POST /t/{id}/invite.json` accepts."""
    title, raw = _require(params, "title", "raw")
    with app.state.lock:
        sender = (
            app.state.ensure_user(str(params["username"]))
            if params.get("username")
            else app.state.user_by_name(app.config.api_username) or app.state.users[-1]
        )
        recipients = [app.state.ensure_user(str(n)) for n in params.get("recipients") or []]
        topic = app.state.create_private_message(str(title), str(raw), sender, recipients)
        return {"topic_id": topic.id, "allowed_user_ids": list(topic.allowed_user_ids)}


def accept_answer(app: EmulatorApp, params: dict[str, Any]) -> dict[str, Any]:
    """Someone (`username`, default the topic's author) marks a post as the solution
    (discourse-solved), or unmarks it with `"accept": false`."""
    (post_id,) = _require(params, "post_id")
    with app.state.lock:
        post = app.state.posts[int(post_id)]
        topic = app.state.topics[post.topic_id]
        actor = (
            app.state.ensure_user(str(params["username"]))
            if params.get("username")
            else app.state.users[topic.user_id]
        )
        app.state.accept_answer(post.id, actor, accept=bool(params.get("accept", True)))
        return {"topic_id": topic.id, "accepted_answer_post_id": topic.accepted_answer_post_id}


def allowed_users(app: EmulatorApp, params: dict[str, Any]) -> dict[str, Any]:
    """A topic's allowed users (core topic_allowed_users), by username."""
    (topic_id,) = _require(params, "topic_id")
    with app.state.lock:
        topic = app.state.topics[int(topic_id)]
        return {"usernames": [app.state.users[i].username for i in topic.allowed_user_ids]}


def notifications(app: EmulatorApp, params: dict[str, Any]) -> dict[str, Any]:
    """The notifications the forum created, optionally for one `username`."""
    with app.state.lock:
        wanted = app.state.user_by_name(params.get("username")) if params.get("username") else None
        rows = [n for n in app.state.notifications if wanted is None or n.user_id == wanted.id]
        return {
            "notifications": [
                {
                    "id": n.id,
                    "username": app.state.users[n.user_id].username,
                    "notification_type": n.notification_type,
                    "topic_id": n.topic_id,
                    "post_number": n.post_number,
                    "data": dict(n.data),
                    "created_at": iso(n.created_at),
                }
                for n in rows
            ]
        }


def emails(app: EmulatorApp, params: dict[str, Any]) -> dict[str, Any]:
    """Every email the forum would have sent (email invites)."""
    with app.state.lock:
        return {
            "emails": [
                {
                    "to": e.to,
                    "kind": e.kind,
                    "topic_id": e.topic_id,
                    "invited_by": app.state.users[e.invited_by_id].username,
                    "custom_message": e.custom_message,
                    "created_at": iso(e.created_at),
                }
                for e in app.state.outgoing_emails
            ]
        }


ACTIONS: dict[str, Action] = {
    "reply": reply,
    "view": view,
    "like": like,
    "move": move,
    "retag": retag,
    "retitle": retitle,
    "edit_first_post": edit_first_post,
    "close": _status(True),
    "open": _status(False),
    "delete": delete,
    "recover": recover,
    "create_topic": create_topic,
    "edit_post": edit_post,
    "delete_post": delete_post,
    "faults": faults,
    "stats": stats,
    "reset_stats": reset_stats,
    "webhooks": webhooks,
    "site_settings": site_settings,
    "web_hook": web_hook,
    "user": user,
    "create_private_message": create_private_message,
    "allowed_users": allowed_users,
    "accept_answer": accept_answer,
    "notifications": notifications,
    "emails": emails,
}
