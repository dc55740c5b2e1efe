"""`digicanvis`: the command-line interface. Each module registers its commands on `app`."""

from bridge.cli import catalogue, challenges, emulator, forum, sync  # noqa: F401  (registration)
from bridge.cli.app import app


def main() -> None:
    app()
