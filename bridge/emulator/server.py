"""The HTTP server: a stdlib ThreadingHTTPServer speaking HTTP/1.1 with keep-alive.

Per request: control API (test only) → faults → body size → auth (notes §1) → admin key rate
limit (notes §9) → route → response. JSON is answered when the path ends in .json or Accept asks
for JSON (notes §1/§2); other requests get an HTML page, as Discourse serves its app there.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from bridge.emulator import control, errors, serializers
from bridge.emulator.api import Api, Request, Response
from bridge.emulator.errors import ApiError
from bridge.emulator.faults import Faults
from bridge.emulator.params import parse_body, parse_query
from bridge.emulator.ratelimit import ERROR_CODE, SlidingWindowLimiter
from bridge.emulator.state import ForumState
from bridge.emulator.stats import RequestStats
from bridge.emulator.webhooks import WebhookEmitter

log = logging.getLogger(__name__)

JSON_TYPE = "application/json; charset=utf-8"  # notes §2 / §14: pydiscourse compares it exactly
HTML_TYPE = "text/html; charset=utf-8"
# Bodies above this are refused with 413 before being read. max_post_length is 32,000
# characters (notes §8), so real requests stay far below it.
MAX_BODY_BYTES = 1024 * 1024
# Issue 24: an upload's body may be as large as the upload limits allow (max_image_size_kb,
# max_attachment_size_kb: 4096 KB by default) plus the multipart framing; past that the front
# end refuses it (413, an emulator choice), below it UploadValidator decides.
UPLOAD_BODY_BYTES = 2 * 4096 * 1024
CONTROL_PREFIX = "/_emulator/"


@dataclass(frozen=True)
class EmulatorConfig:
    api_key: str
    api_username: str = "system"
    rate_limit: int = 60  # notes §9: max_admin_api_reqs_per_minute; 0 = none
    test_control: bool = False
    webhook_url: str | None = None
    webhook_secret: str | None = None


class EmulatorApp:
    """Everything one emulator instance owns, shared by the request threads."""

    def __init__(self, config: EmulatorConfig, instance_url: str):
        self.config = config
        self.state = ForumState(config.api_username)
        self.api = Api(self.state)
        self.faults = Faults()
        self.stats = RequestStats()
        self.limiter = SlidingWindowLimiter(config.rate_limit)
        self.webhooks = WebhookEmitter(config.webhook_url, config.webhook_secret, instance_url)
        if self.webhooks.enabled:
            self.state.on_event = self._emit

    def _emit(self, event: str, event_type: str, record: Any) -> None:
        # Called with the state lock held, right after the change: the payload shows the record
        # as the event left it; delivery happens on the emitter's thread.
        if event_type == "topic":
            payload = serializers.webhook_topic(self.state, record)
        elif event_type in ("post", "solved"):  # discourse-solved: generate_payload(:post, post)
            payload = serializers.webhook_post(self.state, record)
        else:
            payload = serializers.category(self.state, record, self.state.users[-1])
        self.webhooks.emit(event, event_type, payload)

    def authenticate(self, headers: Any) -> Any:
        """notes §1: Api-Key + Api-Username headers. Returns the user, None for anonymous, or
        raises 403 invalid_access for an unknown key or a username that does not exist."""
        key = headers.get("Api-Key")
        if key is None:
            return None
        if not hmac.compare_digest(key.encode("utf-8"), self.config.api_key.encode("utf-8")):
            raise errors.invalid_access()
        user = self.state.user_by_name(headers.get("Api-Username"))
        if user is None:
            raise errors.invalid_access()
        return user


class _Dropped(Exception):
    """The fault injector wants this connection closed without a response."""


class EmulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so clients reuse connections
    # Headers and body go out in two writes; with Nagle on, the body waits for the client's
    # delayed ACK (~40 ms per request on a kept-alive connection). TCP_NODELAY: ~2 ms.
    disable_nagle_algorithm = True
    server_version = "nginx"
    sys_version = ""
    app: EmulatorApp  # set on the subclass made per server

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in separate writes; without TCP_NODELAY, Nagle's algorithm
        # holds the body until the client's delayed ACK (~40 ms), capping one keep-alive
        # client at ~25 requests a second.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection)  # type: ignore[attr-defined]

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, OPTIONS, QUERY…): Rails routes none of them to Discourse's
        # controllers, so they get the not-found answer, not the stdlib's 501 HTML page.
        if name.startswith("do_") and name[3:].isalpha() and name[3:].isupper():
            return lambda: self._handle(name[3:])
        raise AttributeError(name)

    # ------------------------------------------------------------------ pipeline

    def _handle(self, method: str) -> None:
        split = urlsplit(self.path)
        path = split.path.rstrip("/") or "/"
        if path.startswith(CONTROL_PREFIX) and self.app.config.test_control:
            self._handle_control(method, path[len(CONTROL_PREFIX) :])
            return
        json_suffix = path.endswith(".json")
        if json_suffix:
            path = path[: -len(".json")]
        wants_json = json_suffix or "json" in (self.headers.get("Accept") or "").lower()
        found = self.app.api.match("GET" if method == "HEAD" else method, path)
        label = found[0].label if found else f"{method} (unknown)"
        try:
            response = self._process(method, path, split.query, json_suffix, wants_json, found)
        except _Dropped:
            self.app.stats.record(label, None)
            self._drop()
            return
        except ApiError as exc:
            response = Response(exc.status, exc.body, exc.headers)
        except Exception:
            log.exception("emulator: unhandled error on %s %s", method, self.path)
            response = Response(500, {"errors": ["An internal error occurred."]})
        self.app.stats.record(label, response.status)
        if (
            label == "POST /posts"
            and response.status == 200
            and self.app.faults.take_drop_after_create()
        ):
            self._drop()  # committed, memoized, and the client never hears of it
            return
        self._send(response, wants_json, head=method == "HEAD")

    def _process(
        self, method: str, path: str, query: str, json_suffix: bool, wants_json: bool, found: Any
    ) -> Response:
        decision = self.app.faults.decide()
        if decision.drop_before:
            raise _Dropped
        body = self._read_body(UPLOAD_BODY_BYTES if path == "/uploads" else MAX_BODY_BYTES)
        if decision.latency_ms:
            time.sleep(decision.latency_ms / 1000)
        if decision.storm_429:
            raise errors.rate_limited(1, ERROR_CODE)
        if decision.error_status:
            raise ApiError(
                decision.error_status, {"errors": ["Injected fault: the server failed."]}
            )
        viewer = self.app.authenticate(self.headers)
        if viewer is not None:
            # notes §9: only requests whose key was accepted count, one window for all keys.
            wait = self.app.limiter.try_acquire()
            if wait is not None:
                raise errors.rate_limited(wait, ERROR_CODE)
        if found is None:
            raise errors.not_found()  # unknown route or wrong method: Rails routing → 404
        params = parse_query(query)
        params.update(parse_body(self.headers.get("Content-Type") or "", body))
        route, match = found
        host = self.headers.get("Host")
        base_url = f"http://{host}" if host else ""  # the emulator speaks plain HTTP
        client = (
            self.client_address[0],
            self.headers.get("User-Agent"),
            self.headers.get("Referer"),
        )
        xhr = (self.headers.get("X-Requested-With") or "").lower() == "xmlhttprequest"
        request = Request(
            method, path, params, viewer, json_suffix, base_url, client, wants_json, xhr
        )
        return self.app.api.dispatch(route, match, request)

    def _read_body(self, limit: int = MAX_BODY_BYTES) -> bytes:
        """Read the body, refusing (413) what is too large before reading it."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self.close_connection = True
            raise ApiError(411, {"errors": ["A Content-Length is required."]})
        length_header = self.headers.get("Content-Length")
        if not length_header:
            return b""
        try:
            length = int(length_header)
        except ValueError:
            self.close_connection = True
            raise errors.bad_request("Invalid Content-Length") from None
        if length < 0:
            self.close_connection = True
            raise errors.bad_request("Invalid Content-Length")
        if length > limit:
            # The unread body would be taken for the next request: close after answering.
            self.close_connection = True
            raise errors.payload_too_large(limit)
        return self.rfile.read(length)

    def _handle_control(self, method: str, action: str) -> None:
        label = f"CONTROL {action}"
        try:
            if method != "POST":
                raise errors.not_found()
            body = self._read_body()
            params = parse_body("application/json", body) if body else {}
            handler = control.ACTIONS.get(action)
            if handler is None:
                raise errors.not_found()
            response = Response(200, handler(self.app, params))
        except ApiError as exc:
            response = Response(exc.status, exc.body, exc.headers)
        except (KeyError, TypeError, ValueError) as exc:
            response = Response(400, {"errors": [f"bad control request: {exc}"]})
        log.debug("%s → %s", label, response.status)
        self._send(response, True)

    # ------------------------------------------------------------------ output

    def _send(self, response: Response, wants_json: bool, head: bool = False) -> None:
        if response.body is None:
            # render body: nil (notes §2) — an empty document, still with a content type.
            payload, content_type = b"", HTML_TYPE
            if response.status in (301, 302):
                location = response.headers.get("Location", "")
                payload = (
                    f'<html><body>You are being <a href="{location}">redirected</a>.</body></html>'
                ).encode()
        elif wants_json:
            payload = json.dumps(response.body, ensure_ascii=False, separators=(",", ":")).encode(
                "utf-8"
            )
            content_type = JSON_TYPE
        else:
            # notes §1: JSON error bodies only for JSON requests; otherwise an HTML page.
            payload = _html_page(response.status).encode("utf-8")
            content_type = HTML_TYPE
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if not head:
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _drop(self) -> None:
        """Close the connection without a response (connection-drop faults)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def _html_page(status: int) -> str:
    return (
        "<!DOCTYPE html><html><head><title>Discourse "
        f"emulator</title></head><body><p>{status}</p></body></html>"
    )


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        """Close kept-alive connections, so a stopped emulator stops answering on them too."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


@dataclass
class RunningEmulator:
    """A started emulator: its URL, credentials, in-process state and control helpers."""

    url: str
    api_key: str
    api_username: str
    app: EmulatorApp
    server: EmulatorServer
    thread: threading.Thread

    @property
    def state(self) -> ForumState:
        return self.app.state

    def control(self, action: str, **params: Any) -> dict:
        """Call the HTTP control API (the emulator must run with test_control)."""
        import requests

        response = requests.post(f"{self.url}{CONTROL_PREFIX}{action}", json=params, timeout=30)
        body = response.json()
        if response.status_code != 200:
            raise RuntimeError(f"control {action} failed ({response.status_code}): {body}")
        return body

    def faults(self, **settings: Any) -> None:
        self.control("faults", **settings)

    def stats(self) -> dict:
        return self.app.stats.snapshot()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.server.close_connections()
        self.thread.join(timeout=5)
        self.app.webhooks.close()


def make_server(
    config: EmulatorConfig, host: str = "127.0.0.1", port: int = 0
) -> tuple[EmulatorServer, EmulatorApp, str]:
    """Bind the server (port 0: a free port) and build its app."""
    server = EmulatorServer((host, port), EmulatorHandler)
    bound_host, bound_port = str(server.server_address[0]), server.server_address[1]
    shown = bound_host if ":" not in bound_host else f"[{bound_host}]"
    url = f"http://{shown}:{bound_port}"
    app = EmulatorApp(config, url)
    server.RequestHandlerClass = type("BoundEmulatorHandler", (EmulatorHandler,), {"app": app})
    return server, app, url


def start_emulator(
    host: str = "127.0.0.1",
    port: int = 0,
    api_key: str = "test-key",
    api_username: str = "system",
    rate_limit: int = 60,
    test_control: bool = False,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
) -> RunningEmulator:
    """Start an emulator on a background (daemon) thread and return once it accepts connections."""
    config = EmulatorConfig(
        api_key, api_username, rate_limit, test_control, webhook_url, webhook_secret
    )
    server, app, url = make_server(config, host, port)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="emulator", daemon=True
    )
    thread.start()
    return RunningEmulator(url, api_key, api_username, app, server, thread)
