"""The webhook events the receiver handles, as typed models: a payload is validated at the door
(issue 27 point 4, issue 28 point 2), so nothing behind it sees an id that is a string, a float,
a bool or larger than the database holds.

Shapes (API-NOTES §12): `{"topic": {...topic view without post_stream...}}` for topic events,
`{"post": {..., "raw", "topic_id", "post_number", "topic_posts_count"}}` for post events.
Discourse sends many more keys; only the ones the bridge reads are typed, the rest are kept
as they came (they are never read).

Ids are true integers (JSON `3.7` is not topic 3 and `true` is not topic 1: `int()` would make
them so) from 1 to 2**31 - 1: the bridge stores topic and post ids in INTEGER columns
(bridge/models/sync.py, challenges.py: 32-bit signed in PostgreSQL and in SQLite's affinity
rules as SQLAlchemy declares them), and Discourse's own `topics.id` and `posts.id` are serial
integers of the same width.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError

MAX_ID = 2**31 - 1
# Counters (views, likes, posts) in Discourse are INTEGER columns too.
MAX_COUNT = 2**31 - 1
# X-Discourse-Event-Id is stored as the delivery's key (bridge/models/sync.py, 100 characters).
MAX_EVENT_ID_LENGTH = 100

Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
Count = Annotated[StrictInt, Field(ge=0, le=MAX_COUNT)]


class _Payload(BaseModel):
    # Discourse adds keys release after release: unknown ones are kept, never read.
    model_config = ConfigDict(extra="allow", frozen=True)


class Tag(_Payload):
    name: str


class TopicPayload(_Payload):
    id: Id
    title: str | None = None
    category_id: Id | None = None
    # Older Discourse sends tag names, current Discourse objects {id, name, slug}.
    tags: list[str | Tag] | None = None
    closed: StrictBool | None = None
    archived: StrictBool | None = None
    pinned: StrictBool | None = None
    deleted_at: datetime | None = None
    posts_count: Count | None = None
    views: Count | None = None
    like_count: Count | None = None
    participant_count: Count | None = None
    last_posted_at: datetime | None = None
    bumped_at: datetime | None = None


class PostPayload(_Payload):
    id: Id | None = None
    topic_id: Id
    post_number: Annotated[StrictInt, Field(ge=1, le=MAX_COUNT)] | None = None
    raw: str | None = None
    topic_posts_count: Count | None = None
    category_id: Id | None = None
    created_at: datetime | None = None


class TopicEvent(_Payload):
    topic: TopicPayload


class PostEvent(_Payload):
    post: PostPayload


# The events the receiver acts on (bridge.loop.events, bridge.challenges.runner): every topic
# event (topic_created, topic_edited, topic_destroyed, topic_recovered,
# topic_pinned_status_updated…) carries the topic, every post event the post (core
# config/initializers/012-web_hook_events.rb, API-NOTES §12). Any other event (ping, user_*,
# category_*…) is acknowledged and ignored without being read.
def model_for(name: str) -> type[TopicEvent] | type[PostEvent] | None:
    if name.startswith("topic_"):
        return TopicEvent
    if name.startswith("post_"):
        return PostEvent
    return None


class PayloadError(ValueError):
    """A delivery whose body is not what Discourse sends for its event; the message says what
    (field path and rule), never the value (it may be anything)."""


def validated(name: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """The payload of a handled event, checked and with every read value in its type (JSON
    form: dates as ISO strings), or None for an event the receiver does not handle. Raises
    PayloadError naming what is wrong."""
    model = model_for(name)
    if model is None:
        return None
    try:
        parsed = model.model_validate(payload)
    except ValidationError as exc:
        raise PayloadError(_describe(exc)) from None
    # exclude_unset: a key Discourse did not send stays absent (readers tell "not sent" apart).
    dumped: dict[str, Any] = parsed.model_dump(mode="json", exclude_unset=True)
    return dumped


def _describe(exc: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}"
        for err in exc.errors(include_input=False, include_url=False)
    ]
    shown = "; ".join(problems[:3])
    return shown + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")


def event_id_problem(event_id: str) -> str | None:
    """Why an X-Discourse-Event-Id cannot be recorded, or None. Discourse sends the id of its
    web_hook_events row, a positive integer."""
    if len(event_id) > MAX_EVENT_ID_LENGTH:
        return f"X-Discourse-Event-Id is longer than {MAX_EVENT_ID_LENGTH} characters"
    if not event_id.isascii() or not event_id.isprintable():
        return "X-Discourse-Event-Id has characters other than printable ASCII"
    return None
