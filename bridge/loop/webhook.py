"""The webhook receiver: `POST /webhooks/discourse`, a plain WSGI app (served by waitress).

Order of checks, cheapest first: route and method, body size (never buffered without bound),
signature over the exact body bytes (constant time), then JSON. Only then is the event handed to
the processor, which deduplicates on X-Discourse-Event-Id and updates activity and drift.
Headers: API-NOTES §12.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bridge.loop.signature import verify

log = logging.getLogger(__name__)

PATH = "/webhooks/discourse"


@dataclass(frozen=True)
class Event:
    name: str  # X-Discourse-Event, e.g. topic_edited
    type: str  # X-Discourse-Event-Type, e.g. topic, post, ping
    id: str  # X-Discourse-Event-Id
    instance: str | None  # X-Discourse-Instance
    payload: dict[str, Any]


# The processor answers with a short word for the response body: "updated", "duplicate", "ignored"…
Processor = Callable[[Event], str]


class Rejected(Exception):
    """Raised by a processor for a signed delivery whose payload is not what Discourse sends for
    its event (bridge.loop.payloads): answered 422, logged in one line, never a traceback. The
    message says what was wrong and never quotes the body."""


_STATUS = {
    200: "200 OK",
    400: "400 Bad Request",
    401: "401 Unauthorized",
    403: "403 Forbidden",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    411: "411 Length Required",
    413: "413 Payload Too Large",
    422: "422 Unprocessable Content",
    500: "500 Internal Server Error",
}


def make_app(
    secret: str, processor: Processor, *, max_body_bytes: int = 1_048_576
) -> Callable[..., Iterable[bytes]]:
    """A WSGI application. `secret` must be non-empty: an unsigned receiver would accept
    anything."""
    if not secret:
        raise ValueError("a webhook secret is required")

    def respond(
        start_response: Callable[..., Any],
        status: int,
        body: dict[str, Any],
        extra: list[tuple[str, str]] | None = None,
    ) -> list[bytes]:
        data = json.dumps(body).encode("utf-8")
        headers = [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", str(len(data))),
        ]
        start_response(_STATUS[status], headers + (extra or []))
        return [data]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        if environ.get("PATH_INFO") != PATH:
            return respond(start_response, 404, {"error": "not found"})
        if environ.get("REQUEST_METHOD") != "POST":
            return respond(start_response, 405, {"error": "use POST"}, [("Allow", "POST")])
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return respond(start_response, 411, {"error": "Content-Length required"})
        if length < 0 or length > max_body_bytes:
            return respond(start_response, 413, {"error": f"body over {max_body_bytes} bytes"})
        body = environ["wsgi.input"].read(length)
        header = environ.get("HTTP_X_DISCOURSE_EVENT_SIGNATURE")
        if not header:
            return respond(start_response, 401, {"error": "missing X-Discourse-Event-Signature"})
        if not verify(body, header, secret):
            return respond(start_response, 403, {"error": "bad signature"})
        try:
            payload = json.loads(body)
            if not isinstance(payload, dict):
                raise ValueError("not an object")
        except ValueError:
            return respond(start_response, 400, {"error": "body is not a JSON object"})
        event = Event(
            name=environ.get("HTTP_X_DISCOURSE_EVENT", ""),
            type=environ.get("HTTP_X_DISCOURSE_EVENT_TYPE", ""),
            id=environ.get("HTTP_X_DISCOURSE_EVENT_ID", ""),
            instance=environ.get("HTTP_X_DISCOURSE_INSTANCE"),
            payload=payload,
        )
        if not event.id or not event.name:
            return respond(
                start_response, 400, {"error": "missing X-Discourse-Event or X-Discourse-Event-Id"}
            )
        try:
            outcome = processor(event)
        except Rejected as exc:
            # A 4xx tells Discourse the delivery was received and refused (its log shows it);
            # the processor recorded it, so a redelivery is a duplicate, not a loop.
            log.warning("webhook %r %r refused: %s", event.id[:100], event.name[:100], exc)
            return respond(start_response, 422, {"error": f"payload refused: {exc}"})
        except Exception:
            log.exception("webhook %s (%s) could not be processed", event.id, event.name)
            return respond(start_response, 500, {"error": "processing failed"})
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.info("webhook %s %s: %s in %.1f ms", event.id, event.name, outcome, elapsed_ms)
        return respond(
            start_response,
            200,
            {"status": outcome},
            [("Server-Timing", f"app;dur={elapsed_ms:.2f}")],
        )

    return app


# Serving. waitress's defaults let 100 idle connections starve the receiver: past
# `connection_limit` (100) it stops accepting, and an idle connection is only closed after
# `channel_timeout` (120 s). Discourse opens one connection per delivery and sends it at once, so:
# a limit far above that (bounded by the usual 1024 open files), idle or slow clients dropped
# after 15 s, checked every 5 s, and poll() instead of select() (which fails past 1024 sockets).
CONNECTION_LIMIT = 500
CHANNEL_TIMEOUT = 15
CLEANUP_INTERVAL = 5


def make_server(
    application: Callable[..., Iterable[bytes]], *, host: str, port: int, threads: int = 4
) -> Any:
    """A waitress server for `application` that idle and slow connections cannot starve."""
    from waitress.server import create_server

    return create_server(
        application,
        host=host,
        port=port,
        threads=threads,
        ident="digicanvis",
        connection_limit=CONNECTION_LIMIT,
        channel_timeout=CHANNEL_TIMEOUT,
        cleanup_interval=CLEANUP_INTERVAL,
        asyncore_use_poll=True,
    )
