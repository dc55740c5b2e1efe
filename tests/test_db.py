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
