"""sync state cleanup: drop the unused written_hash column

Nothing read `sync_state.written_hash` (issue 8): the planner compares the stored title, body
hash, category, tags and closed state one by one. Batch mode so that SQLite (which cannot drop a
column with constraints in place everywhere) rebuilds the table.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_state") as batch:
        batch.drop_column("written_hash")


def downgrade() -> None:
    with op.batch_alter_table("sync_state") as batch:
        batch.add_column(
            sa.Column("written_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
