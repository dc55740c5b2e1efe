"""Column types shared by the models (defined in `bridge.models.columns`, which the read path
uses without SQLModel), and the constraint naming convention of the models' metadata."""

from __future__ import annotations

from typing import cast

import sqlalchemy as sa
from sqlmodel import SQLModel

from bridge.models.columns import UTCDateTime, enum_column, utcnow

__all__ = ["UTCDateTime", "enum_column", "table_of", "utcnow"]


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
