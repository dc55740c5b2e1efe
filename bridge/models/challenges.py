"""What the bridge knows about challenges: the topics practitioners open in the challenges
category, and the one reply it wrote to each (issue 12, contract §5).

A challenge row is the intent log of its answer, like `SyncState` is for a record's topic:
`reply_started_at` is set before the reply is sent and cleared when its post id is stored, so a
run that died in between looks the topic's replies up before posting again.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

# In bridge.models.enums (no ORM there: `status` reads challenges without the models).
from bridge.models.enums import ChallengeStatus as ChallengeStatus
from bridge.models.types import StepCategoryColumns, UTCDateTime, enum_column, utcnow


class Challenge(SQLModel, table=True):
    """One topic of the challenges category and the bridge's answer to it."""

    __tablename__ = "challenge"

    topic_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    title: str = Field(sa_type=sa.Text)
    author: str | None = Field(default=None, max_length=60)
    first_post_id: int | None = None
    # What the list and the first post showed last time: tells a changed challenge from an
    # unchanged one without reading it (bumped_at), and an edit of its first post (version).
    bumped_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    post_version: int | None = None
    # The first post's `updated_at` as the forum wrote it: an edit inside Discourse's grace
    # period makes no new version but changes this (core lib/post_revisor.rb ninja_edit?).
    post_updated_at: str | None = Field(default=None, max_length=40)
    posts_count: int = 0
    # Fingerprint of the title and first post the current answer was computed from.
    text_hash: str | None = Field(default=None, max_length=64)
    status: ChallengeStatus = Field(
        default=ChallengeStatus.pending, sa_type=enum_column(ChallengeStatus), index=True
    )
    matched_refs: list[str] | None = Field(default=None, sa_type=sa.JSON)
    reply_post_id: int | None = None
    reply_hash: str | None = Field(default=None, max_length=64)  # of the raw we last wrote
    reply_started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    attempts: int = 0
    first_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ChallengeCategory(StepCategoryColumns, table=True):
    """The challenges category (`[challenges]`)."""

    __tablename__ = "challenge_category"
