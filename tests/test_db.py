"""Schema: migrations are idempotent on both databases; foreign keys are enforced on SQLite too."""

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from bridge.db import HEAD, current_revision, head_revision, upgrade


def test_the_head_constant_is_alembics_head() -> None:
    assert head_revision() == HEAD


def test_upgrade_is_idempotent(engine: sa.Engine) -> None:
    assert current_revision(engine) == head_revision()
    before, after = upgrade(engine)
    assert before == after == head_revision()


def test_migrations_match_the_models(engine: sa.Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": False}), SQLModel.metadata
        )
    assert diff == [], f"models changed without a migration: {diff}"


def test_foreign_keys_are_enforced(engine: sa.Engine) -> None:
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO project (ref, title, local_body_id, description, area, kind, phase, "
                "archived, "
                "content_hash, revision, created_at, updated_at) VALUES ('abc', 't', 999, 'd', "
                "'citizen-care', 'service', 'pilot', false, 'h', 1, CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP)"
            )
        )


def test_enum_values_are_checked_by_the_database(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO local_body (name, name_key, country) VALUES ('Vic', 'vic', 'ES')")
        )
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO project (ref, title, local_body_id, description, area, kind, phase, "
                "archived, "
                "content_hash, revision, created_at, updated_at) SELECT 'abc', 't', id, 'd', "
                "'nowhere', 'service', 'pilot', false, 'h', 1, CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP FROM local_body"
            )
        )


def test_migrations_keep_every_record_whole_both_ways(cli, tmp_path, engine: sa.Engine) -> None:
    """Adding and dropping `project.listing_json` alters the table in place: a batch-mode copy
    of `project` would drop the old table, and with foreign keys on, its contacts and documents
    with it. After a downgrade and an upgrade, `db upgrade` stores the listing form again and
    the listing is what it was."""
    from alembic import command
    from plugins.catalogue import make_records, write_records_file

    from bridge.db import _alembic_config

    records = make_records(8)
    assert cli("import", write_records_file(tmp_path / "r.json", records)).exit_code == 0
    listed = cli("projects", "list", "--json").stdout

    def children() -> tuple[int, int]:
        with engine.connect() as conn:
            count = "SELECT (SELECT count(*) FROM contact), (SELECT count(*) FROM document)"
            return tuple(conn.execute(sa.text(count)).one())

    before = children()
    assert before[0] and before[1]
    command.downgrade(_alembic_config(engine), "0008")
    assert children() == before
    upgraded = cli("db", "upgrade")
    assert upgraded.exit_code == 0 and "stored the listing form of 8 record(s)" in upgraded.stdout
    assert children() == before
    assert cli("projects", "list", "--json").stdout == listed

    # Further back: 0004 rebuilds `local_body`, which every project references (RESTRICT). With
    # foreign keys on during the migration, SQLite refused it on a populated catalogue; env.py
    # turns them off for the migration and checks the references after it.
    command.downgrade(_alembic_config(engine), "0002")
    assert children() == before
    assert cli("db", "upgrade").exit_code == 0
    assert children() == before
