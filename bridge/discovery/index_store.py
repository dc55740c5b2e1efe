"""The SQL of the persisted text index (bridge.discovery.index): what the catalogue holds (each
record's ref, content hash and archived state) and the index itself, a row of `discovery_cache`.

The reads are plain SQL through `bridge.dbapi` (`similar` and `find` are read commands: loading
SQLAlchemy would cost more than the answer); the write, made only when the index was rebuilt,
goes through an engine and the light Core table.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from bridge.dbapi import Rows, as_bool, as_json, rows_of

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine


def fingerprint(rows: Iterable[tuple[str, str | None, bool]], version: str) -> str:
    """The one fingerprint of the catalogue (issue 19): every record's ref, content hash and
    archived state, with the `version` of what is kept under it (the text index's format, the
    similar choice's). Equal fingerprints, equal inputs: nothing to compute again."""
    data = sorted((ref, content or "", bool(archived)) for ref, content, archived in rows)
    text = json.dumps([version, data], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def catalogue_rows(source: Rows | Engine | Connection) -> list[tuple[str, str | None, bool]]:
    """(ref, content hash, archived) of every record: what the index depends on."""
    with rows_of(source) as rows:
        found = rows.all("SELECT ref, content_hash, archived FROM project")
    return [(ref, content, as_bool(archived)) for ref, content, archived in found]


def load(source: Rows | Engine | Connection, key: str) -> tuple[str, Any] | None:
    """(inputs hash, data) stored under `key`, None when nothing is."""
    with rows_of(source) as rows:
        found = rows.all("SELECT inputs_hash, data FROM discovery_cache WHERE key = ?", (key,))
    return (found[0][0], as_json(found[0][1])) if found else None


def save(engine: Engine, key: str, inputs_hash: str, data: Any) -> None:
    """Store `data` under `key` (the text index; the observatory's similar choice, pages'
    fingerprint and uploads through bridge.observatory.store). Two processes writing at once:
    the later write wins."""
    from bridge.db import upsert
    from bridge.models import DiscoveryCache
    from bridge.models.types import table_of, utcnow

    with engine.begin() as conn:
        upsert(
            conn,
            table_of(DiscoveryCache),
            {"key": key},
            {"inputs_hash": inputs_hash, "data": data, "updated_at": utcnow()},
        )
