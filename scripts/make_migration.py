"""Developer tool: autogenerate an Alembic migration from the models.

    python scripts/make_migration.py "add something"

It migrates a scratch SQLite database to head, then compares it with the models.
Review the generated file before committing it.
"""

import sys
import tempfile
from pathlib import Path

from alembic import command

from bridge.db import _alembic_config, make_engine, upgrade

message = sys.argv[1] if len(sys.argv) > 1 else "change"
with tempfile.TemporaryDirectory() as tmp:
    engine = make_engine(f"sqlite:///{Path(tmp) / 'scratch.db'}")
    upgrade(engine)
    command.revision(_alembic_config(engine), message=message, autogenerate=True)
