"""`digicanvis`: the command-line interface. Each module registers its commands on `app`."""

from bridge.cli import catalogue, emulator, forum, opendata, sync  # noqa: F401  (registration)
from bridge.cli.app import app


def main() -> None:
    app()
