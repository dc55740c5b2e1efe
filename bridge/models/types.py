"""Column types shared by the models (defined in `bridge.models.columns`, which the read path
uses without SQLModel), and the constraint naming convention of the models' metadata."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bridge.models.columns import UTCDateTime, enum_column, utcnow

__all__ = ["StepCategoryColumns", "UTCDateTime", "enum_column", "table_of", "utcnow"]


def table_of(model: type[SQLModel]) -> sa.Table:
    """The table of a `table=True` model, typed (SQLModel sets `__table__`, undeclared)."""
    return cast(sa.Table, model.__table__)  # type: ignore[attr-defined]


# Constraint names that Alembic can address on every backend (SQLite batch migrations need them).
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class StepCategoryColumns(SQLModel):
    """The columns of a step's own category cache (`challenge_category`, `connection_category`,
    read as bridge.sync.step_category.StepCategory): found or created by `sync`, so a no-op sync
    needs no request. (ForumCategory is keyed by area, a closed vocabulary; these are not.)"""

    slug: str = Field(primary_key=True, max_length=50)
    category_id: int
    name: str = Field(max_length=50)
    parent_category_id: int | None = None
    # The category's own "About the … category" topic: listed with it, never a step's topic.
    definition_topic_id: int | None = None
    checked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
