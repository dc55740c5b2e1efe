"""`digicanvis`: the command-line interface. Each module registers its commands on `app`."""

import sys
import traceback

from bridge.cli import (  # noqa: F401  (registration)
    catalogue,
    challenges,
    config,
    discovery,
    doctor,
    emulator,
    forum,
    harvest,
    opendata,
    places,
    requests,
    sync,
    visual,
)
from bridge.cli.app import app, err


def main() -> None:
    try:
        app()
    except Exception as exc:
        # The last line of defence: a bug still ends with its traceback for the report, but
        # printed through the CLI's console, so it can show neither a secret (an exception may
        # quote a header value or a URL) nor a terminal control.
        err.print("".join(traceback.format_exception(exc)).rstrip(), markup=False)
        sys.exit(1)
