"""harvest: project.provenance_json, harvest_source, harvest_link (issue 23)

Records harvested from other observatories carry their provenance; the sources' last answers
(ETag, Last-Modified, digest) make a re-harvest of an unchanged source write nothing.

Revision ID: 0020
Revises: 0016
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bridge.models.types

revision = "0020"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (as 0010): batch mode would copy `project` and cascade to its children.
    op.add_column("project", sa.Column("provenance_json", sa.Text(), nullable=True))
    op.create_table(
        "harvest_source",
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("etag", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("last_modified", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("harvested_at", bridge.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_at", bridge.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_harvest_source")),
        sa.UniqueConstraint("url", name="uq_harvest_source_url"),
    )
    op.create_table(
        "harvest_link",
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("source_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("provenance_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("slug", "source_id", name=op.f("pk_harvest_link")),
    )
    with op.batch_alter_table("harvest_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_harvest_link_ref"), ["ref"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("harvest_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_harvest_link_ref"))
    op.drop_table("harvest_link")
    op.drop_table("harvest_source")
    op.drop_column("project", "provenance_json")
