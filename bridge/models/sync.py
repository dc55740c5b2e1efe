"""What the bridge knows about the forum: pairing state, activity, runs, the lease, categories,
webhooks.

Like vdirsyncer's status file, `SyncState` records what was last written to the forum for each
record, so the next run can tell "changed in the catalogue" from "changed in the forum" from
"unchanged" without asking the forum anything.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bridge.models.enums import Area, SyncStatus
from bridge.models.types import UTCDateTime, enum_column, utcnow


class SyncState(SQLModel, table=True):
    """One row per project that the sync engine has touched: its paired topic and what was
    written."""

    __tablename__ = "sync_state"

    project_id: int = Field(primary_key=True, foreign_key="project.id", ondelete="CASCADE")
    # Stable for the record's whole life: chosen once, never recomputed (see
    # bridge.sync.external_id).
    external_id: str = Field(max_length=50, sa_column_kwargs={"unique": True})
    topic_id: int | None = Field(default=None, index=True)
    first_post_id: int | None = None
    topic_slug: str | None = Field(default=None, max_length=255)
    state: SyncStatus = Field(default=SyncStatus.never, sa_type=enum_column(SyncStatus), index=True)
    # Intent log: set before a create is sent, cleared when its result is stored. A row with
    # create_started_at set and no topic_id may have reached the forum: look it up before creating.
    create_started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # What was last written (and confirmed) to the forum.
    category_id: int | None = None
    tags: list[str] | None = Field(default=None, sa_type=sa.JSON)
    title: str | None = Field(default=None, sa_type=sa.Text)  # as Discourse stored it (prettified)
    body_hash: str | None = Field(default=None, max_length=64)
    closed: bool = False
    content_hash: str | None = Field(
        default=None, max_length=64
    )  # Project.content_hash at the last good sync
    last_synced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Failures
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    attempts: int = 0
    # Drift: what the forum changed that the catalogue owns (any of category, tags, title, body,
    # closed, deleted) and the remote values seen, for `status`.
    drift: list[str] | None = Field(default=None, sa_type=sa.JSON)
    drift_detail: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    drift_seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    remote_deleted: bool = False
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Activity(SQLModel, table=True):
    """The forum's activity on a record's topic, as last pulled. Kept when the forum is
    unreachable."""

    __tablename__ = "activity"

    project_id: int = Field(primary_key=True, foreign_key="project.id", ondelete="CASCADE")
    replies: int = 0
    views: int = 0
    likes: int = 0
    participants: int = 0
    posts_count: int = 0
    last_posted_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    pulled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ForumCategory(SQLModel, table=True):
    """The Discourse category found or created for an area, so a no-op sync needs no request."""

    __tablename__ = "forum_category"

    area: Area = Field(primary_key=True, sa_type=enum_column(Area))
    category_id: int
    slug: str = Field(max_length=50)
    name: str = Field(max_length=50)
    parent_category_id: int | None = None
    checked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SyncRun(SQLModel, table=True):
    """The run log: one row per sync or pull run."""

    __tablename__ = "sync_run"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default="sync", max_length=20, index=True)  # sync | pull
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(
        default="running", max_length=20
    )  # running | ok | partial | failed | interrupted
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0
    restored: int = 0
    adopted: int = 0
    failed: int = 0
    requests: int = 0
    failures: list[dict[str, Any]] | None = Field(default=None, sa_type=sa.JSON)
    message: str | None = Field(default=None, sa_type=sa.Text)
    holder: str | None = Field(default=None, max_length=200)
    # Issue 20: the catalogue revision read before the run's snapshot and the fingerprint of the
    # settings its topics were rendered with; a full sync that ended ok with both equal to the
    # current ones lets the next sync end at once (bridge.sync.revision).
    revision: int | None = Field(default=None, sa_type=sa.BigInteger)
    fingerprint: str | None = Field(default=None, max_length=64)
    # Issue 28: when the forum last accepted the API key during this run (`status` shows it).
    key_accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CatalogueRevision(SQLModel, table=True):
    """One row: a counter that the database's triggers (migration 0016) bump on every write that
    can change a topic: the catalogue's tables, places, and the forum-side state the plan reads
    (drift, deletions, replies, page drift, forgotten pairings). Only triggers write it."""

    __tablename__ = "catalogue_revision"

    id: int = Field(default=1, primary_key=True)
    revision: int = Field(default=0, sa_type=sa.BigInteger)


class Lease(SQLModel, table=True):
    """A named lock held in the database (one sync at a time per catalogue).

    A holder renews it while it works; a dead process stops renewing and the lease expires.
    """

    __tablename__ = "lease"

    name: str = Field(primary_key=True, max_length=50)
    holder: str = Field(max_length=200)
    acquired_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class WebhookDelivery(SQLModel, table=True):
    """Webhook event ids already handled (Discourse may deliver an event more than once)."""

    __tablename__ = "webhook_delivery"

    event_id: str = Field(primary_key=True, max_length=100)
    event: str = Field(max_length=100)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
