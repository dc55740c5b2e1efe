"""Alembic environment: the engine comes from bridge.db (never from an ini file)."""

from alembic import context

import bridge.models

config = context.config
target_metadata = bridge.models.load_all()


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from bridge.db import make_engine
        from bridge.settings import load_settings

        engine = make_engine(load_settings().database_url)
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
