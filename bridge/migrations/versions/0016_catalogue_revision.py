"""catalogue_revision and its triggers; sync_run.revision, .fingerprint, .key_accepted_at
(issues 20 and 28)

A no-op sync ends at once when nothing the plan reads changed since the last full sync that
ended ok. "Changed" is a counter the database bumps itself, in the writing transaction, on every
write that can change a topic, whichever code makes it (an import, archive/restore, a place
load, a pull or webhook recording drift, the demo forgetting its pairings): no write path can
forget to. The sync's own writes (pairings, hashes, caches) do not bump it, except when they
clear drift, which is state the plan read.

Under concurrency the counter is read before the sync's snapshot: a write committed after that
read has bumped it past the value the run stores, so the next sync does the work. PostgreSQL's
row lock on the counter orders concurrent writers; SQLite has one writer at a time.

Revision ID: 0016
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

import bridge.models.types

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None

BUMP = "UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1"

# (trigger name, events, table, condition on OLD/NEW or None). SQLite has only row triggers and
# one event per trigger; each entry is one trigger there and on PostgreSQL.
_CATALOGUE = ("project", "local_body", "contact", "document", "place")
# A JSON column's None may be stored as SQL NULL or as JSON 'null': both mean "no drift".
_DRIFT_CHANGED = (
    "(NULLIF({old}.drift{cast}, 'null') IS DISTINCT FROM NULLIF({new}.drift{cast}, 'null')"
    " OR {old}.remote_deleted IS DISTINCT FROM {new}.remote_deleted)"
)


def _triggers() -> list[tuple[str, str, str, str | None]]:
    found: list[tuple[str, str, str, str | None]] = []
    for table in _CATALOGUE:
        for event in ("INSERT", "UPDATE", "DELETE"):
            found.append((f"rev_{table}_{event.lower()}", event, table, None))
    found += [
        ("rev_sync_state_drift", "UPDATE OF drift, remote_deleted", "sync_state", _DRIFT_CHANGED),
        ("rev_sync_state_delete", "DELETE", "sync_state", None),
        # A pairing forgotten (a repair by hand, a recreated topic): the record needs a topic.
        (
            "rev_sync_state_unpaired",
            "UPDATE OF topic_id",
            "sync_state",
            "{old}.topic_id IS NOT NULL AND {new}.topic_id IS NULL",
        ),
        ("rev_forum_category_delete", "DELETE", "forum_category", None),
        # The observatory's page topics (issue 11): a page row lost or its pairing forgotten.
        ("rev_forum_page_delete", "DELETE", "forum_page", None),
        (
            "rev_forum_page_unpaired",
            "UPDATE OF topic_id",
            "forum_page",
            "{old}.topic_id IS NOT NULL AND {new}.topic_id IS NULL",
        ),
        ("rev_activity_insert", "INSERT", "activity", None),
        ("rev_activity_update", "UPDATE OF replies", "activity", "{old}.replies <> {new}.replies"),
        ("rev_activity_delete", "DELETE", "activity", None),
        # The page drift document (bridge.discovery.store.PAGE_DRIFT_KEY) of the cache table.
        ("rev_page_drift_insert", "INSERT", "discovery_cache", "{new}.key = 'page_drift'"),
        ("rev_page_drift_update", "UPDATE", "discovery_cache", "{new}.key = 'page_drift'"),
        ("rev_page_drift_delete", "DELETE", "discovery_cache", "{old}.key = 'page_drift'"),
    ]
    return found


def upgrade() -> None:
    op.create_table(
        "catalogue_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_revision")),
    )
    op.execute("INSERT INTO catalogue_revision (id, revision) VALUES (1, 1)")
    op.add_column("sync_run", sa.Column("revision", sa.BigInteger(), nullable=True))
    op.add_column("sync_run", sa.Column("fingerprint", sa.String(length=64), nullable=True))
    op.add_column("sync_run", sa.Column(
            "key_accepted_at", bridge.models.types.UTCDateTime(timezone=True), nullable=True
        ))
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(
            "CREATE FUNCTION bump_catalogue_revision() RETURNS trigger AS $$ BEGIN "
            f"{BUMP}; RETURN NULL; END $$ LANGUAGE plpgsql"
        )
    for name, event, table, condition in _triggers():
        if postgres:
            when = (
                ""
                if condition is None
                else " WHEN (" + condition.format(old="OLD", new="NEW", cast="::text") + ")"
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when} "
                "EXECUTE FUNCTION bump_catalogue_revision()"
            )
        else:
            when = (
                ""
                if condition is None
                else " WHEN "
                + condition.format(old="OLD", new="NEW", cast="").replace(
                    "IS DISTINCT FROM", "IS NOT"
                )
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when} "
                f"BEGIN {BUMP}; END"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, _event, table, _condition in _triggers():
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS bump_catalogue_revision()")
    op.drop_column("sync_run", "key_accepted_at")
    op.drop_column("sync_run", "fingerprint")
    op.drop_column("sync_run", "revision")
    op.drop_table("catalogue_revision")
