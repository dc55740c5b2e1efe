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
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # Batch mode rebuilds a SQLite table by copying it and dropping the old one; with
            # foreign keys on, that drop deletes (or, RESTRICT, refuses to delete) the rows of
            # every table that references it: a populated catalogue could not be migrated, or
            # would lose its contacts. Off for the migration (a PRAGMA outside any transaction:
            # inside one SQLite ignores it), then checked, then on again.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()  # ends SQLAlchemy's autobegun transaction (nothing to commit)
        try:
            with connection.begin():
                context.configure(
                    connection=connection,
                    target_metadata=target_metadata,
                    render_as_batch=sqlite,
                    compare_type=True,
                )
                with context.begin_transaction():
                    context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration broke references: {broken[:5]}")
        finally:
            if sqlite:
                connection.rollback()  # whatever is left: outside a transaction for the PRAGMA
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


run_migrations_online()
