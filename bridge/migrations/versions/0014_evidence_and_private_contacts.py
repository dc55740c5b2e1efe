"""Evidence a council can compare (issue 25); personal data out of the stored listing form
(issue 28)

- `project.savings_hours_per_year` and `project.evidence` (the structured evidence as its
  canonical JSON: cost, funding, dates, team, KPIs, criteria). Both NULL for existing records,
  which had none: their content, fingerprint and listing form are unchanged.
- `project.listing_json` is spliced into `projects list --json` byte for byte. Until this revision
  it held contacts' emails and phones; the listing now masks them (`canonical.listing_json`), so
  the forms that hold any are dropped here and `db upgrade` stores them again, masked
  (`store.fill_listing_json`; until then the listing builds those records from their columns).

Revision ID: 0014
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0010"
branch_labels = None
depends_on = None

_STALE_LISTINGS = sa.text(
    "UPDATE project SET listing_json = NULL WHERE id IN "
    "(SELECT project_id FROM contact WHERE email IS NOT NULL OR phone IS NOT NULL)"
)

# Plain ALTER TABLE, not batch mode (as in 0010): a batch copy of `project` would drop the old
# table, and with foreign keys on, its contacts and documents with it.


def upgrade() -> None:
    op.add_column("project", sa.Column("savings_hours_per_year", sa.Float(), nullable=True))
    op.add_column("project", sa.Column("evidence", sa.Text(), nullable=True))
    op.execute(_STALE_LISTINGS)


def downgrade() -> None:
    # Records that carry evidence would lose it: their listing form (which shows it) is dropped
    # too, so the older revision's `db upgrade` stores it again without. Masked forms are what
    # the older listing would print minus the personal data; refilled the same way.
    op.execute(
        sa.text(
            "UPDATE project SET listing_json = NULL "
            "WHERE evidence IS NOT NULL OR savings_hours_per_year IS NOT NULL"
        )
    )
    op.execute(_STALE_LISTINGS)
    op.drop_column("project", "evidence")
    op.drop_column("project", "savings_hours_per_year")
