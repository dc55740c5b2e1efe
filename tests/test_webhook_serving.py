"""The webhook receiver as `digicanvis webhook` serves it cannot be starved by idle connections
(issue 14 item 7): with waitress's defaults, 100 idle TCP connections left a signed delivery
waiting two minutes."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest
import requests

from bridge.loop.signature import sign
from bridge.loop.webhook import CONNECTION_LIMIT, Event, make_app, make_server

SECRET = "webhook-s3cret"
IDLE = 110  # more than waitress's default connection_limit (100)


@pytest.fixture
def receiver() -> Iterator[tuple[str, int, list[Event]]]:
    seen: list[Event] = []

    def processor(event: Event) -> str:
        seen.append(event)
        return "updated"

    server = make_server(make_app(SECRET, processor), host="127.0.0.1", port=0, threads=2)
    threading.Thread(target=server.run, daemon=True).start()
    port = server.effective_port
    yield f"http://127.0.0.1:{port}/webhooks/discourse", port, seen
    server.close()


def test_a_signed_delivery_gets_through_110_idle_connections(
    receiver: tuple[str, int, list[Event]],
) -> None:
    url, port, seen = receiver
    assert CONNECTION_LIMIT > IDLE
    idle: list[socket.socket] = []
    try:
        for _ in range(IDLE):  # loopback only, a bounded number, all closed below
            idle.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        # One of them sends half a request and stops (a slow client), the rest send nothing.
        idle[0].sendall(b"POST /webhooks/discourse HTTP/1.1\r\nHost: x\r\n")
        body = json.dumps({"topic": {"id": 7}}).encode()
        response = requests.post(
            url,
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Discourse-Event": "topic_edited",
                "X-Discourse-Event-Type": "topic",
                "X-Discourse-Event-Id": "starve-1",
                "X-Discourse-Event-Signature": sign(body, SECRET),
            },
            timeout=10,
        )
    finally:
        for sock in idle:
            sock.close()
    assert response.status_code == 200 and response.json() == {"status": "updated"}
    assert [e.id for e in seen] == ["starve-1"]
