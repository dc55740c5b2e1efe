"""Commands: emulator (see bridge.cli.app for what commands share)."""

from __future__ import annotations

import os
import signal
import threading
from typing import Annotated

import typer

from bridge.cli.app import app, err, fail, out

DEFAULT_API_KEY = "emulator-key"


@app.command()
def emulator(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (0 picks a free one).")] = 4200,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            help="Admin API key clients must send (default: $EMULATOR_API_KEY or "
            f"{DEFAULT_API_KEY!r}).",
        ),
    ] = None,
    api_username: Annotated[
        str, typer.Option("--api-username", help="User the key acts as.")
    ] = "system",
    rate_limit: Annotated[
        int,
        typer.Option(
            "--rate-limit",
            metavar="PER_MINUTE",
            help="Admin API requests allowed per sliding minute, all keys together; 0 for none.",
        ),
    ] = 60,
    webhook_url: Annotated[
        str | None, typer.Option("--webhook-url", help="POST topic and post webhooks here.")
    ] = None,
    webhook_secret: Annotated[
        str | None,
        typer.Option(
            "--webhook-secret",
            help="Sign webhooks with this secret (default: $EMULATOR_WEBHOOK_SECRET).",
        ),
    ] = None,
    test_control: Annotated[
        bool,
        typer.Option(
            "--test-control",
            help="Serve the test-only control API under /_emulator/ (never in production).",
        ),
    ] = False,
) -> None:
    """Serve a local Discourse-compatible API (in memory; everything is lost when it stops)."""
    from bridge.emulator import EmulatorConfig, make_server

    key = api_key or os.environ.get("EMULATOR_API_KEY") or DEFAULT_API_KEY
    secret = webhook_secret or os.environ.get("EMULATOR_WEBHOOK_SECRET")
    if rate_limit < 0:
        fail("--rate-limit must be 0 (no limit) or a positive number of requests per minute")
    if not 0 <= port <= 65535:
        fail("--port must be between 0 and 65535")
    config = EmulatorConfig(key, api_username, rate_limit, test_control, webhook_url, secret)
    try:
        server, emu_app, url = make_server(config, host, port)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")

    stopping = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        if not stopping.is_set():
            stopping.set()
            # shutdown() waits for serve_forever to return, so it runs on another thread.
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    # Never print the key or the secret.
    out.print(f"Discourse emulator serving at {url}", markup=False)
    out.print(
        f"api username: {api_username}; rate limit: {rate_limit or 'none'} per minute; "
        f"webhooks: {'on' if webhook_url else 'off'}; test control: "
        f"{'on' if test_control else 'off'}",
        markup=False,
    )
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        server.close_connections()
        emu_app.webhooks.close()
        err.print("emulator stopped", markup=False)
