"""Connection failures over real sockets, so that the client's "was anything sent?" reading is
checked against the exceptions requests/urllib3 really raise, not against hand-built ones."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest
from tests_support import FakeTime

from bridge.forum.client import ForumClient
from bridge.forum.errors import (
    AmbiguousWrite,
    ForumUnreachable,
)

KEY = "key-SOCKET-SECRET-77aa"


def _read_request(conn: socket.socket) -> bytes:
    """Read one HTTP request (headers and a Content-Length body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


class MisbehavingServer:
    """Accepts connections and handles each with `behaviour(conn)`; records the requests read."""

    def __init__(self, behaviour: Callable[[MisbehavingServer, socket.socket], None]) -> None:
        self.behaviour = behaviour
        self.requests: list[bytes] = []
        self.release = threading.Event()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            with conn:
                self.requests.append(_read_request(conn))
                self.behaviour(self, conn)

    def stop(self) -> None:
        self.release.set()
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()


def drop(server: MisbehavingServer, conn: socket.socket) -> None:
    """Read the request, then close without answering (a crash after the commit)."""


def hang(server: MisbehavingServer, conn: socket.socket) -> None:
    """Read the request, never answer (until the test ends)."""
    server.release.wait(timeout=10)


@pytest.fixture
def server_factory() -> Iterator[
    Callable[[Callable[[MisbehavingServer, socket.socket], None]], MisbehavingServer]
]:
    servers: list[MisbehavingServer] = []

    def make(behaviour: Callable[[MisbehavingServer, socket.socket], None]) -> MisbehavingServer:
        servers.append(MisbehavingServer(behaviour))
        return servers[-1]

    yield make
    for server in servers:
        server.stop()


def no_sleep(_: float) -> None:
    """Backoff sleeps are skipped: these tests are about which failures are retried."""


def make_client(url: str, **kwargs: object) -> ForumClient:
    return ForumClient(url, KEY, rate_limit_per_minute=0, sleep=no_sleep, **kwargs)  # type: ignore[arg-type]


def _closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now: connect() is refused
    return port


def test_connection_refused_is_retried_even_for_a_create_then_unreachable() -> None:
    port = _closed_port()
    client = make_client(f"http://127.0.0.1:{port}", max_retries=2)
    with pytest.raises(ForumUnreachable) as info:
        client._create_topic(
            title="t" * 20, raw="r" * 20, category_id=1, tags=[], external_id="dc-1"
        )
    assert f"cannot connect to the forum at http://127.0.0.1:{port}" in str(info.value)
    assert "after 3 attempts" in str(info.value)
    assert client.requests_made == 0
    assert KEY not in str(info.value) and KEY not in repr(info.value)


def test_a_create_whose_connection_drops_after_sending_is_ambiguous(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(drop)
    client = make_client(server.url)
    with pytest.raises(AmbiguousWrite) as info:
        client._create_topic(
            title="t" * 20, raw="r" * 20, category_id=1, tags=[], external_id="dc-1"
        )
    assert "connection lost" in str(info.value)
    assert len(server.requests) == 1  # sent once, never again
    assert b"external_id=dc-1" in server.requests[0]


def test_a_read_that_drops_is_retried_then_unreachable(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(drop)
    client = make_client(server.url, max_retries=2)
    with pytest.raises(ForumUnreachable, match="connection lost"):
        client.get_topic(7)
    assert len(server.requests) == 3
    assert client.requests_made == 3


def test_a_create_that_times_out_is_ambiguous(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(hang)
    client = make_client(server.url, timeout=0.3)
    with pytest.raises(AmbiguousWrite, match="timed out"):
        client._create_topic(
            title="t" * 20, raw="r" * 20, category_id=1, tags=[], external_id="dc-1"
        )
    assert len(server.requests) == 1


def test_an_unreachable_forum_is_given_up_within_seconds_not_the_full_retry_budget() -> None:
    # A refused connection (forum down, wrong URL) gets its own small budget: 3 attempts, so a
    # sync stops "at once" with a clear message, while 5xx and timeouts keep max_retries.
    port = _closed_port()
    fake = FakeTime()
    client = ForumClient(
        f"http://127.0.0.1:{port}",
        KEY,
        rate_limit_per_minute=0,
        max_retries=5,
        sleep=fake.sleep,
        clock=fake.clock,
    )
    with pytest.raises(ForumUnreachable) as info:
        client.list_categories()
    assert "after 3 attempts" in str(info.value)
    assert len(fake.sleeps) == 2 and sum(fake.sleeps) < 3.0
