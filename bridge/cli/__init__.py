"""`digicanvis`: the command-line interface. Each module registers its commands on `app`."""

from bridge.cli import (  # noqa: F401  (registration)
    catalogue,
    challenges,
    emulator,
    forum,
    opendata,
    sync,
)
from bridge.cli.app import app


def main() -> None:
    app()
