"""Connection requests (issue 22): a practitioner asks, in the forum, to contact, visit or
collaborate with a project's council; the bridge invites the project's contacts and follows the
request to an answer.

Each request row and each invite row is an intent log, like `SyncState` is for a record's topic:
an invite is recorded `intended` before it is sent and `sent` when the forum took it, and the
bridge's reply has `reply_started_at` set before it is posted, so a run that died in between
never sends either twice (bridge.connections.forum_writes).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

# In bridge.models.enums (no ORM there: `status` and `requests list` read without the models).
from bridge.models.enums import InviteChannel as InviteChannel
from bridge.models.enums import InviteState as InviteState
from bridge.models.enums import RequestKind as RequestKind
from bridge.models.enums import RequestNote as RequestNote
from bridge.models.enums import RequestStatus as RequestStatus
from bridge.models.types import StepCategoryColumns, UTCDateTime, enum_column, utcnow


class ConnectionRequest(SQLModel, table=True):
    """One request: a topic of the connections category, or a tagged reply in a project's topic."""

    __tablename__ = "connection_request"
    __table_args__ = (sa.UniqueConstraint("topic_id", "post_id"),)

    id: int | None = Field(default=None, primary_key=True)
    topic_id: int = Field(index=True)
    post_id: int  # the asking post: the topic's first post, or the tagged reply
    # The project asked about, by ref (a record may be deleted: the request stays, unlinked).
    ref: str | None = Field(default=None, max_length=200, index=True)
    council: str | None = Field(default=None, max_length=500)
    asker: str | None = Field(default=None, max_length=60)
    kind: RequestKind = Field(default=RequestKind.contact, sa_type=enum_column(RequestKind))
    status: RequestStatus = Field(
        default=RequestStatus.open, sa_type=enum_column(RequestStatus), index=True
    )
    note: RequestNote | None = Field(default=None, sa_type=enum_column(RequestNote))
    asked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    agreed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # What the category's list showed last time: an unchanged request costs no request.
    bumped_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    posts_count: int = 0
    tags: list[str] | None = Field(default=None, sa_type=sa.JSON)
    # The bridge's two posts: intent first (`*_started_at`), the post id when the forum took it.
    reply_post_id: int | None = None
    reply_started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminder_post_id: int | None = None
    reminder_started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ConnectionInvite(SQLModel, table=True):
    """One invite of one contact to one request's topic, in round 1 (asked) or 2 (reminder)."""

    __tablename__ = "connection_invite"
    __table_args__ = (sa.UniqueConstraint("request_id", "target", "round"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="connection_request.id", index=True, ondelete="CASCADE")
    round: int = 1
    ref: str = Field(max_length=200, index=True)  # the flood limit counts per project and day
    person: str | None = Field(default=None, max_length=200)  # name and role: what replies show
    role: str | None = Field(default=None, max_length=200)
    channel: InviteChannel = Field(sa_type=enum_column(InviteChannel))
    # A username (lowercased), or a SHA-256 of the address: the address itself is not copied
    # out of the contact row (it goes only into the invite call).
    target: str = Field(max_length=64)
    state: InviteState = Field(default=InviteState.intended, sa_type=enum_column(InviteState))
    intended_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, sa_type=sa.Text)


class ConnectionCategory(StepCategoryColumns, table=True):
    """The connections category (`[connections]`); `template_hash` is the definition post the
    bridge last wrote (rewritten when it changes)."""

    __tablename__ = "connection_category"

    template_hash: str | None = Field(default=None, max_length=64)
