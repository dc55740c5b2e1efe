"""The observatory's own topics (index per area, overview) and the cache of similar choices.

`ForumPage` is to an index or overview topic what `SyncState` is to a record's topic: what was
last written (and confirmed), so that a page is rewritten only when what it shows changes.
`DiscoveryCache` keeps the last `similar_all` choice with the fingerprint of its inputs, so a sync
of an unchanged catalogue does not recompute it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bridge.models.types import UTCDateTime, utcnow


class ForumPage(SQLModel, table=True):
    __tablename__ = "forum_page"

    # "index:<area>" or "overview"
    key: str = Field(primary_key=True, max_length=80)
    external_id: str = Field(max_length=50, sa_column_kwargs={"unique": True})
    topic_id: int | None = None
    first_post_id: int | None = None
    topic_slug: str | None = Field(default=None, max_length=255)
    # Set before a create is sent, cleared when its result is stored (as SyncState's).
    create_started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    category_id: int | None = None
    category_slug: str | None = Field(default=None, max_length=50)
    title: str | None = Field(default=None, sa_type=sa.Text)  # as Discourse stored it
    body_hash: str | None = Field(default=None, max_length=64)
    pinned: bool = False
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DiscoveryCache(SQLModel, table=True):
    __tablename__ = "discovery_cache"

    key: str = Field(primary_key=True, max_length=40)
    inputs_hash: str = Field(max_length=64)
    data: dict[str, Any] = Field(sa_type=sa.JSON)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
