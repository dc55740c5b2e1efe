"""The catalogue revision and the settings fingerprint: what a no-op sync compares (issue 20).

The revision is a counter the database bumps on every write that can change a topic (triggers of
migration 0016: the catalogue's tables, places, drift and deletions seen in the forum, replies,
page drift, forgotten pairings). A full sync reads it *before* its snapshot and stores it with
its run; the next sync, finding the same revision and the same fingerprint after a run that ended
ok, has nothing to do and ends without rendering, similarity or request. A write committed while
a sync runs bumps the counter past the value that run stored, so the next sync does the work.

The fingerprint covers what renders a topic besides the catalogue: the settings (every value but
the secrets: labels, tags, areas, the forum's address, the observatory switch…) and the bridge's
version (a new renderer re-renders). Its second half is the digest of the sources the settings
were read from (`bridge.config.sources_digest`) when they are exactly what `load_settings` read
and the run used their own observatory switch: a new `digicanvis sync` process compares that half
without loading pydantic (bridge.sync.noop).

No SQLAlchemy at import: the no-op path reads the counter through the driver (`stored`).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from bridge.dbapi import Rows

if TYPE_CHECKING:
    import sqlalchemy as sa

    from bridge.settings import Settings

HALF = 32  # hex characters of each half (the column holds 64)
NO_SOURCES = "-" * HALF  # settings made in code: no digest of their sources


def current(conn: sa.Connection) -> int:
    """The catalogue's revision now. A counter row that went missing (a TRUNCATE of every table,
    a hand-made restore) is put back past every revision a run stored, so that no earlier run can
    look current; the caller commits it."""
    import sqlalchemy as sa

    from bridge.db import insert_for
    from bridge.models import read_tables

    revision = read_tables.catalogue_revision
    value = conn.execute(sa.select(revision.c.revision).where(revision.c.id == 1)).scalar()
    if value is not None:
        return int(value)
    runs = read_tables.sync_run
    fresh = int(conn.execute(sa.select(sa.func.max(runs.c.revision))).scalar() or 0) + 1
    statement = insert_for(conn)(revision).values(id=1, revision=fresh)
    conn.execute(statement.on_conflict_do_nothing(index_elements=["id"]))
    return current(conn)


def stored(rows: Rows) -> int | None:
    """The revision as stored, read through the driver; None when its row is missing (then
    `current`, in a full sync, puts it back)."""
    found = rows.all("SELECT revision FROM catalogue_revision WHERE id = 1")
    return int(found[0][0]) if found and found[0][0] is not None else None


def fingerprint(settings: Settings, *, observatory: bool) -> str:
    """What renders a topic besides the catalogue, as one hash; then the sources' digest."""
    from bridge import __version__

    data = f"{__version__}\n{observatory}\n{settings.rendered_values()}"
    rendered = hashlib.sha256(data.encode("utf-8")).hexdigest()[:HALF]
    sources = settings.sources() if observatory == settings.observatory.enabled else None
    return rendered + (sources[:HALF] if sources else NO_SOURCES)


def same_sources(stored_fingerprint: str, digest: str) -> bool:
    """Whether a run's fingerprint was made from settings read from sources of this digest."""
    half = stored_fingerprint[HALF:]
    return half != NO_SOURCES and half == digest[:HALF]
