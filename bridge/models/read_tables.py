"""Light Core clauses of a few tables: names and the types that convert values (booleans, UTC
timestamps), and nothing else, for the small SQLAlchemy reads beside the writes (an import's
look at existing records and bodies, the gazetteer's registries, the lease), where the models'
import (SQLModel, pydantic, the ORM) would cost more than the read. The read commands use none of
this: they read through the driver (bridge.dbapi). tests/test_read_tables.py checks every column
here against the models.
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
place = _table(
    "place",
    id=_int, country=sa.String, code=sa.String, source=sa.String, name=sa.String,
    alt_name=sa.String, population=_int, latitude=_float, longitude=_float, area_km2=_float,
    comarca=sa.String, province=sa.String, nuts3=sa.String,
)  # fmt: skip
lease = _table(
    "lease", name=sa.String, holder=sa.String, acquired_at=UTCDateTime, expires_at=UTCDateTime
)

# The run log and the catalogue revision (issue 20): a sync with nothing to do reads and writes
# only these, and the lease.
sync_run = _table(
    "sync_run",
    id=_int, kind=sa.String, started_at=UTCDateTime, finished_at=UTCDateTime, status=sa.String,
    created=_int, updated=_int, unchanged=_int, archived=_int, restored=_int, adopted=_int,
    failed=_int, requests=_int, failures=sa.JSON, message=_text, holder=sa.String,
    revision=_int, fingerprint=sa.String, key_accepted_at=UTCDateTime,
)  # fmt: skip
catalogue_revision = _table("catalogue_revision", id=_int, revision=_int)

ALL = (project, local_body, place, lease, sync_run, catalogue_revision)
