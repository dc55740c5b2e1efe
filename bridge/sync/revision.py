"""The catalogue revision and the settings fingerprint: what a no-op sync compares (issue 20).

The revision is a counter the database bumps on every write that can change a topic (triggers of
migration 0016: the catalogue's tables, places, drift and deletions seen in the forum, replies,
page drift, forgotten pairings). A full sync reads it *before* its snapshot and stores it with
its run; the next sync, finding the same revision and the same fingerprint after a run that ended
ok, has nothing to do and ends without rendering, similarity or request. A write committed while
a sync runs bumps the counter past the value that run stored, so the next sync does the work.

The fingerprint covers what renders a topic besides the catalogue: the settings (every value but
the secrets: labels, tags, areas, the forum's address, the observatory switch…) and the bridge's
version (a new renderer re-renders).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa

from bridge.db import insert_for
from bridge.models import read_tables
from bridge.settings import Settings

# Light Core columns (the model is bridge.models.sync.CatalogueRevision): see bridge.sync.runs.
_revision = read_tables.catalogue_revision

# Values that never change what a topic shows (and secrets, which must not be hashed into a
# column an administrator can read).
_NOT_RENDERED = frozenset({"discourse_api_key", "webhook_secret", "database_url"})


def current(conn: sa.Connection) -> int:
    """The catalogue's revision now. A counter row that went missing (a TRUNCATE of every table,
    a hand-made restore) is put back past every revision a run stored, so that no earlier run can
    look current; the caller commits it."""
    value = conn.execute(sa.select(_revision.c.revision).where(_revision.c.id == 1)).scalar()
    if value is not None:
        return int(value)
    runs = read_tables.sync_run
    fresh = int(conn.execute(sa.select(sa.func.max(runs.c.revision))).scalar() or 0) + 1
    statement = insert_for(conn)(_revision).values(id=1, revision=fresh)
    conn.execute(statement.on_conflict_do_nothing(index_elements=["id"]))
    return current(conn)


def fingerprint(settings: Settings, *, observatory: bool) -> str:
    """What renders a topic besides the catalogue, as one hash."""
    from bridge import __version__

    values: dict[str, Any] = settings.model_dump(mode="json", exclude=set(_NOT_RENDERED))
    data = json.dumps(
        [__version__, observatory, values], sort_keys=True, ensure_ascii=False, default=str
    )
    return hashlib.sha256(data.encode("utf-8")).hexdigest()
