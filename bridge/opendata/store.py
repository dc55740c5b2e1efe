"""The one read open data needs beyond `catalogue.store.list_records`: when each public record last
changed (its `updated_at`, which import bumps when the content changes and archive/restore bump
too). Kept apart from the listing's read path so that each can change without the other."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bridge.models.catalogue import Project
from bridge.models.types import table_of

P = table_of(Project)


def public_modified(engine: Engine) -> dict[str, datetime]:
    """ref -> latest change, for every record that is not archived."""
    query = sa.select(P.c.ref, P.c.updated_at).where(P.c.archived.is_(False))
    with engine.connect() as conn:
        return {ref: updated_at for ref, updated_at in conn.execute(query)}
