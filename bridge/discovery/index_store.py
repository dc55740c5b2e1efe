"""The SQL of the persisted text index (bridge.discovery.index): what the catalogue holds (each
record's ref, content hash and archived state) and the index itself, a row of `discovery_cache`.

Through the light Core tables (bridge.models.read_tables): `similar` and `find` are read commands,
and the models' import would cost more than the reading.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bridge.models import read_tables
from bridge.models.columns import utcnow

_cache = read_tables.discovery_cache
_project = read_tables.project


def catalogue_rows(engine: Engine) -> list[tuple[str, str | None, bool]]:
    """(ref, content hash, archived) of every record: what the index depends on."""
    with engine.connect() as conn:
        query = sa.select(_project.c.ref, _project.c.content_hash, _project.c.archived)
        return [(ref, content, bool(archived)) for ref, content, archived in conn.execute(query)]


def load(engine: Engine, key: str) -> tuple[str, Any] | None:
    """(inputs hash, data) stored under `key`, None when nothing is."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(_cache.c.inputs_hash, _cache.c.data).where(_cache.c.key == key)
        ).first()
    return (row[0], row[1]) if row else None


def save(engine: Engine, key: str, inputs_hash: str, data: Any) -> None:
    """Store `data` under `key`. Two processes building at once: the later write wins, both
    wrote the same index for the same inputs."""
    values = {"inputs_hash": inputs_hash, "data": data, "updated_at": utcnow()}
    with engine.begin() as conn:
        done = conn.execute(sa.update(_cache).where(_cache.c.key == key).values(**values)).rowcount
        if done:
            return
    try:
        with engine.begin() as conn:
            conn.execute(sa.insert(_cache).values(key=key, **values))
    except sa.exc.IntegrityError:  # inserted meanwhile by another process: update it
        with engine.begin() as conn:
            conn.execute(sa.update(_cache).where(_cache.c.key == key).values(**values))
