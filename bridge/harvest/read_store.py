"""What `projects show` reads of the harvest's tables, through the database driver alone (the
read commands load neither SQLAlchemy nor pydantic, DESIGN "Start-up")."""

from __future__ import annotations

import json
from typing import Any

from bridge.dbapi import Rows
from bridge.harvest.model import SourceState, Validators

_LINKS_SQL = "SELECT provenance_json FROM harvest_link WHERE ref = ? ORDER BY slug, source_id"


def also_harvested_from(rows: Rows, ref: str) -> list[dict[str, Any]]:
    """The provenances of other sources' records kept as `ref` (duplicates across sources)."""
    return [json.loads(text) for (text,) in rows.all(_LINKS_SQL, (ref,))]


_SOURCES_SQL = "SELECT slug, url, etag, last_modified, digest FROM harvest_source"


def source_states(rows: Rows) -> dict[str, SourceState]:
    """Each source's last answer: what a re-harvest of unchanged sources needs, and all it reads
    (so it loads no SQLAlchemy)."""
    return {
        slug: SourceState(slug, url, Validators(etag, modified), digest)
        for slug, url, etag, modified, digest in rows.all(_SOURCES_SQL)
    }
