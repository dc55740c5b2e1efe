"""The tables the read commands use, as light Core clauses: names and the types that convert
values (booleans, UTC timestamps, JSON), and nothing else.

`projects list`, `projects show`, `export` and `status` read through these rather than through the
SQLModel classes of `bridge.models.catalogue` and `bridge.models.sync`, whose import (SQLModel,
pydantic, the ORM) costs more than the whole listing. Writes keep the models (constraints,
enum validation). tests/test_read_tables.py checks every column here against the models.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from bridge.models.columns import UTCDateTime

_text, _int, _bool, _float = sa.Text, sa.Integer, sa.Boolean, sa.Float


def _table(table: str, /, **columns: type[sa.types.TypeEngine[Any]]) -> sa.TableClause:
    return sa.table(table, *(sa.column(key, kind) for key, kind in columns.items()))


project = _table(
    "project",
    id=_int, ref=sa.String, title=_text, description=_text, area=sa.String, kind=sa.String,
    phase=sa.String, value=_text, savings=_text, savings_eur_per_year=_float,
    analysis_barriers=_text, analysis_benefits=_text, analysis_technology=_text,
    proximity=sa.String, local_body_id=_int, archived=_bool, content_hash=sa.String,
    revision=_int, created_at=UTCDateTime, updated_at=UTCDateTime,
)  # fmt: skip
local_body = _table(
    "local_body",
    id=_int, name=sa.String, country=sa.String, region=sa.String, kind=sa.String,
    municipality_code=sa.String, population=_int, latitude=_float, longitude=_float,
    body_key=sa.String, place_code=sa.String,
)  # fmt: skip
contact = _table(
    "contact",
    project_id=_int, position=_int, name=sa.String, role=sa.String, email=sa.String,
    phone=sa.String, forum_username=sa.String, public=_bool,
)  # fmt: skip
document = _table(
    "document", project_id=_int, position=_int, kind=sa.String, title=_text, url=_text
)
sync_state = _table(
    "sync_state",
    project_id=_int, topic_id=_int, topic_slug=sa.String, state=sa.String,
    content_hash=sa.String, closed=_bool, last_error=_text, last_synced_at=UTCDateTime,
    drift=sa.JSON,
)  # fmt: skip
activity = _table(
    "activity",
    project_id=_int, replies=_int, views=_int, likes=_int, participants=_int,
    last_posted_at=UTCDateTime,
)  # fmt: skip
place = _table(
    "place",
    id=_int, country=sa.String, code=sa.String, source=sa.String, name=sa.String,
    alt_name=sa.String, population=_int, latitude=_float, longitude=_float, area_km2=_float,
    comarca=sa.String, province=sa.String, nuts3=sa.String,
)  # fmt: skip
lease = _table(
    "lease", name=sa.String, holder=sa.String, acquired_at=UTCDateTime, expires_at=UTCDateTime
)

discovery_cache = _table(
    "discovery_cache", key=sa.String, inputs_hash=sa.String, data=sa.JSON, updated_at=UTCDateTime
)

ALL = (project, local_body, contact, document, sync_state, activity, place, lease, discovery_cache)
