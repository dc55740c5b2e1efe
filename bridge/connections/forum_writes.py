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

Both are object kinds of the forum-object kernel (bridge.sync.kernel: `_InviteWrite`,
`_PostWrite`); this module only records intents and outcomes through the tables' owner,
bridge.connections.store.
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
    ForumAuthError,
    ForumError,
    ForumUnreachable,
    ForumValidationError,
)
from bridge.models.enums import InviteState
from bridge.models.types import utcnow
from bridge.sync.category_topics import TopicStepForum, is_own_reply, unread_posts
from bridge.sync.kernel import Done, Lookup, ReplyPost, Uncertain, WriteFailed, create_or_adopt

log = logging.getLogger("bridge.connections")


class ConnectionForum(TopicStepForum, Protocol):
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


class _InviteWrite:
    """One invite as a kernel object (bridge.sync.kernel): its intent is its `connection_invite`
    row. No lookup can tell whether a lost invite arrived (Lookup.unknown): the kernel keeps the
    intent and raises Uncertain, and the row is never sent again."""

    noun = "invite"
    ident = ""

    def __init__(
        self,
        client: ConnectionForum,
        engine: Engine,
        intent: store.Invite,
        topic_id: int,
        target: Target,
        message: Message,
    ) -> None:
        self.client, self.engine, self.intent = client, engine, intent
        self.topic_id, self.target, self.message = topic_id, target, message

    @property
    def label(self) -> str:
        return f"an invite to request topic {self.topic_id}"  # never the address

    def record_intent(self) -> None:
        pass  # committed by store.intend_invite, which also tells an invite already recorded

    def clear_intent(self) -> None:
        # A definite refusal (unknown user, an address with an account…): final, not re-sent.
        pass  # the caller records it refused, with the forum's reason

    def send(self) -> Any:
        if self.target.channel.value == "user":
            return self.client.send_private_message(
                [self.target.address], title=self.message.title, raw=self.message.raw
            )
        return self.client.invite_by_email(
            self.target.address, topic_id=self.topic_id, custom_message=self.message.plain
        )

    def lookup(self) -> Lookup:
        return Lookup.unknown

    def refused(self, exc: ForumValidationError) -> bool:
        return False

    def confirmed(self, made: Any) -> Done:
        store.mark_invite(self.engine, self.intent.id, InviteState.sent)
        return Done.created

    def adopt(self, found: Any) -> Done:  # never called: no lookup finds an invite
        store.mark_invite(self.engine, self.intent.id, InviteState.sent)
        return Done.adopted


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
    """Invite one person to the request's topic, at most once per round, through the kernel."""
    intent = store.intend_invite(engine, request_id, round_, ref, target)
    if intent is None:
        return InviteOutcome(target, Sent.already)
    try:
        create_or_adopt(_InviteWrite(client, engine, intent, topic_id, target, message))
    except (ForumAuthError, ForumUnreachable):
        # Nothing was done (the client raises these before or instead of a write): sent later.
        store.drop_invite(engine, intent.id)
        raise
    except Uncertain as exc:
        # The forum may have it: the intent stays, and is never sent again.
        return InviteOutcome(target, Sent.uncertain, _safe(exc, target))
    except (WriteFailed, ForumError) as exc:
        store.mark_invite(engine, intent.id, InviteState.refused, _safe(exc, target))
        log.warning("request %s: an invite was refused: %s", request_id, _safe(exc, target))
        return InviteOutcome(target, Sent.refused, _safe(exc, target))
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


class _PostWrite(ReplyPost):
    """The bridge's note (or reminder) in a request's topic as a kernel object: its intent is
    the request row's `{which}_started_at`; after a lost answer it is found among the topic's
    posts by its author (the first own post is the note, the next the reminder)."""

    def __init__(
        self,
        client: ConnectionForum,
        engine: Engine,
        request: dict[str, Any],
        which: Which,
        raw: str,
    ) -> None:
        self.client, self.engine, self.request, self.which, self.raw = (
            client, engine, request, which, raw,
        )  # fmt: skip
        self.started, self.post = f"{which.value}_started_at", f"{which.value}_post_id"

    @property
    def label(self) -> str:
        return f"the {self.which.value} to request topic {self.request['topic_id']}"

    def record_intent(self) -> None:
        store.save(self.engine, self.request["id"], **{self.started: utcnow()})

    def clear_intent(self) -> None:
        store.save(self.engine, self.request["id"], **{self.started: None})

    def send(self) -> dict[str, Any]:
        return self.client.reply_to_topic(int(self.request["topic_id"]), self.raw)

    def lookup(self) -> dict[str, Any] | Lookup:
        found = _own_post(self.client, int(self.request["topic_id"]), self.request)
        return {"id": found} if found is not None else Lookup.absent

    def confirmed(self, created: dict[str, Any]) -> dict[str, Any]:
        store.save(
            self.engine, self.request["id"],
            **{self.post: int(created["id"]), self.started: None}, last_error=None,
        )  # fmt: skip
        return created

    def adopt(self, found: dict[str, Any]) -> dict[str, Any]:
        return self.confirmed(found)


def post_once(
    client: ConnectionForum,
    engine: Engine,
    request: dict[str, Any],
    which: Which,
    raw: str,
) -> dict[str, Any] | None:
    """Post the bridge's note (or reminder) to the request's topic once, through the kernel:
    the post (`id`, `created_at` when the forum said), or None when the forum refused it
    (retried next run) or its answer was lost twice."""
    post = f"{which.value}_post_id"
    if request.get(post):
        return {"id": int(request[post])}
    started = request.get(f"{which.value}_started_at") is not None
    try:
        return create_or_adopt(_PostWrite(client, engine, request, which, raw), look_first=started)
    except (ForumAuthError, ForumUnreachable):
        raise
    except (WriteFailed, ForumError) as exc:
        store.save(engine, request["id"], last_error=str(exc)[:2000])
        return None


def _own_post(client: ConnectionForum, topic_id: int, request: dict[str, Any]) -> int | None:
    """The bridge's post of an interrupted run: its first own regular reply that is not the
    request's recorded note."""
    view = client.get_topic(topic_id)
    posts = list((view.get("post_stream") or {}).get("posts") or [])
    for ids in unread_posts(view, posts):
        posts += client.get_topic_posts(topic_id, ids)
    own = [
        int(p["id"])
        for p in sorted(posts, key=lambda p: int(p.get("post_number") or 0))
        if is_own_reply(p, client.api_username)
        and int(p["id"]) != (request.get("reply_post_id") or 0)
    ]
    return own[0] if own else None
