"""Personal data out of the stored listing form (issue 28)

`project.listing_json` is spliced into `projects list --json` byte for byte. Until this revision
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


def upgrade() -> None:
    op.execute(_STALE_LISTINGS)


def downgrade() -> None:
    # The masked forms are what the older listing would print minus the personal data: refilled
    # by that revision's `db upgrade` as it fills any missing form.
    op.execute(_STALE_LISTINGS)
