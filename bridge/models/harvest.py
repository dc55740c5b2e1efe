"""What the bridge remembers about the sources it harvests (issue 23): each source's last answer
(for conditional requests and the unchanged-source fast path) and the records of a source that
were merged into another source's record (the same project published by two observatories).

A harvested record itself is an ordinary catalogue record (`project`), its ref namespaced by its
source (`<slug>:<id>`, `bridge.catalogue.refs`) and its provenance in `project.provenance_json`.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bridge.models.types import UTCDateTime, utcnow


class HarvestSource(SQLModel, table=True):
    """One source, by its slug (the namespace of its records' refs) and its address."""

    __tablename__ = "harvest_source"
    __table_args__ = (sa.UniqueConstraint("url", name="uq_harvest_source_url"),)

    slug: str = Field(primary_key=True, max_length=24)
    url: str = Field(max_length=2000)
    # The last successful read: validators for a conditional request, and the sha256 of the
    # bytes read (the same bytes again: nothing to do).
    etag: str | None = Field(default=None, max_length=200)
    last_modified: str | None = Field(default=None, max_length=100)
    digest: str | None = Field(default=None, max_length=64)
    harvested_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The last attempt, successful or not, and why it failed.
    checked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=sa.Text)


class HarvestLink(SQLModel, table=True):
    """A source's record kept as another record (a duplicate across sources): its provenance,
    shown beside the kept record's own."""

    __tablename__ = "harvest_link"

    slug: str = Field(primary_key=True, max_length=24)
    source_id: str = Field(primary_key=True, max_length=200)
    ref: str = Field(max_length=64, index=True)  # the record it was merged into
    provenance_json: str = Field(sa_type=sa.Text)
