"""Commands: sync (see bridge.cli.app for what commands share)."""

from bridge.cli.app import app  # noqa: F401
