"""The forum writes of connection requests, each recorded as intended before it is sent, as the
sync records a create (issue 22: "Nothing is sent twice").

- An invite: its row is committed `intended` before it is sent; `sent` or `refused` after the
  answer. Discourse core invites to a topic (`POST /t/{id}/invite.json`) only for personal
  messages (TopicsController#invite, docs/emulator-fidelity.md "Topic invites"), so a request's
  topic is reached the two ways core allows for a regular topic: a forum user gets a personal
  message from the API user linking it (`POST /posts.json`, archetype private_message: Discourse
  notifies them, nothing public, no @mention); an email-only contact gets Discourse's own
  invitation email landing on it (`POST /invites.json` with `topic_id`). One write each.
  A row found `intended` (the run died, or the answer was lost) is never sent again: an invite
  lost is better than a person notified twice. A refusal before anything reached the forum
  (unreachable, key refused) forgets the intent, so the next run sends it.
- A reply (the bridge's note, then at most one reminder): `reply_started_at` (or
  `reminder_started_at`) is committed before the post; a run that finds it set without a post
  id looks the topic's posts up for the bridge's own and adopts it instead of posting again.

FOR THE LEAD AT MERGE: these are the two forum object kinds of issue 22 ("invite", "reply"),
written here beside the store because helper k's kernel (`kernel-api`) was not there to build
on. The pattern is the kernel's (intent, write, adopt after a lost answer, confirm); plug them
in as its adapters and delete this module's own loop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy.engine import Engine

from bridge.connections import store
from bridge.connections.rules import Target
from bridge.forum.errors import (
    AmbiguousWrite,
    ForumAuthError,
    ForumError,
    ForumUnreachable,
)
from bridge.models.enums import InviteState
from bridge.models.types import utcnow

log = logging.getLogger("bridge.connections")

# Discourse's regular post type (core app/models/post.rb Post.types), as challenges use it.
REGULAR_POST = 1


class ConnectionForum(Protocol):
    api_username: str

    def list_category_topics(
        self, slug: str, category_id: int, page: int = 0, per_page: int | None = None
    ) -> dict[str, Any]: ...
    def get_topic(self, topic_id: int, *, include_raw: bool = False) -> dict[str, Any]: ...
    def get_topic_posts(self, topic_id: int, post_ids: list[int]) -> list[dict[str, Any]]: ...
    def reply_to_topic(self, topic_id: int, raw: str) -> dict[str, Any]: ...
    def send_private_message(self, usernames: list[str], *, title: str, raw: str) -> Any: ...
    def invite_by_email(
        self, email: str, *, topic_id: int | None = None, custom_message: str | None = None
    ) -> Any: ...


@dataclass(frozen=True)
class Message:
    """What an invite says (rendered by bridge.sync.render.render_request_message): the
    personal message's title and body, and the plain text of the invitation email."""

    title: str
    raw: str
    plain: str


class Sent(StrEnum):
    sent = "sent"
    refused = "refused"  # the forum said no for good (unknown user, malformed address…)
    uncertain = "uncertain"  # the answer was lost: maybe sent, never sent again
    already = "already"  # recorded before (a previous run): not sent again


@dataclass(frozen=True)
class InviteOutcome:
    target: Target
    result: Sent
    error: str | None = None


def invite(
    client: ConnectionForum,
    engine: Engine,
    request_id: int,
    topic_id: int,
    ref: str,
    target: Target,
    round_: int,
    message: Message,
) -> InviteOutcome:
    """Invite one person to the request's topic, at most once per round."""
    intent = store.intend_invite(engine, request_id, round_, ref, target)
    if intent is None:
        return InviteOutcome(target, Sent.already)
    try:
        if target.channel.value == "user":
            client.send_private_message([target.address], title=message.title, raw=message.raw)
        else:
            client.invite_by_email(target.address, topic_id=topic_id, custom_message=message.plain)
    except (ForumAuthError, ForumUnreachable):
        # Nothing was done (the client raises these before or instead of a write): sent later.
        store.drop_invite(engine, intent.id)
        raise
    except AmbiguousWrite as exc:
        # The forum may have it: the intent stays, and is never sent again.
        store.mark_invite(engine, intent.id, InviteState.intended, _safe(exc, target))
        return InviteOutcome(target, Sent.uncertain, _safe(exc, target))
    except ForumError as exc:
        store.mark_invite(engine, intent.id, InviteState.refused, _safe(exc, target))
        log.warning("request %s: an invite was refused: %s", request_id, _safe(exc, target))
        return InviteOutcome(target, Sent.refused, _safe(exc, target))
    store.mark_invite(engine, intent.id, InviteState.sent)
    return InviteOutcome(target, Sent.sent)


def _safe(exc: BaseException, target: Target) -> str:
    """The error without the address (the forum client masks it already; twice is cheap)."""
    text = str(exc)
    if target.channel.value == "email" and target.address:
        text = text.replace(target.address, "[address]")
    return text[:500]


class Which(StrEnum):
    reply = "reply"
    reminder = "reminder"


def post_once(
    client: ConnectionForum,
    engine: Engine,
    request: dict[str, Any],
    which: Which,
    raw: str,
) -> dict[str, Any] | None:
    """Post the bridge's reply (or reminder) to the request's topic once: the post (`id`,
    `created_at` when the forum said), or None when the forum refused it (retried next run) or
    may have it (looked up next run)."""
    started, post = f"{which.value}_started_at", f"{which.value}_post_id"
    if request.get(post):
        return {"id": int(request[post])}
    topic_id = int(request["topic_id"])
    if request.get(started):
        adopted = _own_post(client, topic_id, request, which)
        if adopted is not None:
            store.save(engine, request["id"], **{post: adopted, started: None})
            return {"id": adopted}
    store.save(engine, request["id"], **{started: utcnow()})
    try:
        created = client.reply_to_topic(topic_id, raw)
    except (ForumAuthError, ForumUnreachable):
        raise
    except AmbiguousWrite as exc:
        store.save(engine, request["id"], last_error=str(exc)[:2000])
        return None
    except ForumError as exc:
        store.save(engine, request["id"], **{started: None}, last_error=str(exc)[:2000])
        return None
    store.save(engine, request["id"], **{post: int(created["id"]), started: None}, last_error=None)
    return created


def _own_post(
    client: ConnectionForum, topic_id: int, request: dict[str, Any], which: Which
) -> int | None:
    """The bridge's post of an interrupted run: its first own regular reply for the reply, the
    next one for the reminder."""
    view = client.get_topic(topic_id)
    posts = list((view.get("post_stream") or {}).get("posts") or [])
    loaded = {p.get("id") for p in posts}
    rest = [i for i in (view.get("post_stream") or {}).get("stream") or [] if i not in loaded]
    for start in range(0, len(rest), 20):
        posts += client.get_topic_posts(topic_id, rest[start : start + 20])
    own = [
        int(p["id"])
        for p in sorted(posts, key=lambda p: int(p.get("post_number") or 0))
        if int(p.get("post_number") or 0) > 1
        and (p.get("post_type") or REGULAR_POST) == REGULAR_POST
        and not p.get("deleted_at")
        and str(p.get("username") or "").lower() == client.api_username.lower()
        and int(p["id"]) != (request.get("reply_post_id") or 0)
    ]
    return own[0] if own else None
