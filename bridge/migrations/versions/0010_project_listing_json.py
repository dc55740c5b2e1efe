"""project.listing_json: each record's listing form, encoded once when it is written (issue 15)

`projects list --json` writes every record's canonical form (without `proximity`, which it
derives) exactly as the catalogue stores it here, and adds what it derives at read time (place,
proximity, sync state, activity). NULL means "not stored yet": the listing builds that record
from its columns (rows written before this revision, until `db upgrade` or an import fills it).

Revision ID: 0010
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not batch mode: SQLite adds and (since 3.35) drops a column in place, while
# batch mode would copy `project` into a new table and drop the old one, and with foreign keys on
# that drop would cascade to every contact and document.


def upgrade() -> None:
    op.add_column("project", sa.Column("listing_json", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("project", "listing_json")
