"""Column types shared by the models and the read path's light tables (`read_tables`).

Nothing here imports SQLModel or pydantic: the read commands use these types without the models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend.

    SQLite has no time zones, so values are normalised to UTC on the way in and read back as
    aware UTC datetimes; PostgreSQL stores `timestamptz`.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC datetime is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_column(enum: type[Enum], **kwargs: object) -> sa.Enum:
    """An enum stored as its readable value (VARCHAR + CHECK), not as a native database enum."""
    return sa.Enum(
        enum,
        native_enum=False,
        create_constraint=True,
        length=40,
        validate_strings=True,
        values_callable=lambda e: [member.value for member in e],
        name=f"{enum.__name__.lower()}_value",
        **kwargs,
    )
