"""project_inspiration: who took up whose project (issue 22 point 5), with its revision triggers

A record names the projects it built on (`inspired_by`); both topics show the relation, so a
change of a link must bump the catalogue revision (migration 0016) like any other catalogue
write: the same triggers on the link table, on SQLite and PostgreSQL (0016's function).

Revision ID: 0031
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

import bridge.models.types

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

BUMP = "UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1"
_EVENTS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    op.create_table(
        "project_inspiration",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("inspired_by_id", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "declared",
                "request",
                name="linksource_value",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("created_at", bridge.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "project_id <> inspired_by_id", name=op.f("ck_project_inspiration_not_itself")
        ),
        sa.ForeignKeyConstraint(
            ["inspired_by_id"],
            ["project.id"],
            name=op.f("fk_project_inspiration_inspired_by_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_project_inspiration_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "project_id", "inspired_by_id", name=op.f("pk_project_inspiration")
        ),
    )
    op.create_index(
        op.f("ix_project_inspiration_inspired_by_id"),
        "project_inspiration",
        ["inspired_by_id"],
        unique=False,
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for event in _EVENTS:
        name = f"rev_project_inspiration_{event.lower()}"
        action = "EXECUTE FUNCTION bump_catalogue_revision()" if postgres else f"BEGIN {BUMP}; END"
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON project_inspiration FOR EACH ROW {action}"
        )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for event in _EVENTS:
        name = f"rev_project_inspiration_{event.lower()}"
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON project_inspiration" if postgres else ""))
    op.drop_index(op.f("ix_project_inspiration_inspired_by_id"), table_name="project_inspiration")
    op.drop_table("project_inspiration")
