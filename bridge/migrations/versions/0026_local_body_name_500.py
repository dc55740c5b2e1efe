"""local_body.name up to 500 characters (issue 28): the JRC inventory names a consortium of eight
bodies in one 434-character name, and files go in as published.

SQLite does not enforce a VARCHAR's length, so only PostgreSQL's columns change (and SQLite is
not copied into a new table: batch mode would cascade the old table's drop to its children).
A downgrade fails, rather than cutting them, while a longer name is stored.

Revision ID: 0026
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0020"
branch_labels = None
depends_on = None

_COLUMNS = ("name", "name_key")


def _widen(length: int) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in _COLUMNS:
        op.alter_column("local_body", column, type_=sa.String(length))


def upgrade() -> None:
    _widen(500)


def downgrade() -> None:
    _widen(200)
