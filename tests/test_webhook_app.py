"""The webhook WSGI app: every refusal, then a good event, driven through a real HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
import requests
from waitress.server import create_server

from bridge.loop.signature import sign
from bridge.loop.webhook import Event, make_app

SECRET = "webhook-s3cret"


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[Event]]]:
    seen: list[Event] = []

    def processor(event: Event) -> str:
        if event.payload.get("boom"):
            raise RuntimeError("processing bug")
        seen.append(event)
        return "updated"

    server = create_server(
        make_app(SECRET, processor, max_body_bytes=1024), host="127.0.0.1", port=0, threads=2
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}/webhooks/discourse", seen
    server.close()


def post(
    url: str,
    body: bytes,
    *,
    signature: str | None = "auto",
    event: str = "topic_edited",
    event_id: str = "1",
) -> requests.Response:
    headers = {
        "Content-Type": "application/json",
        "X-Discourse-Event": event,
        "X-Discourse-Event-Type": "topic",
        "X-Discourse-Event-Id": event_id,
    }
    if signature == "auto":
        signature = sign(body, SECRET)
    if signature is not None:
        headers["X-Discourse-Event-Signature"] = signature
    return requests.post(url, data=body, headers=headers, timeout=5)


def test_good_event_is_processed(receiver: tuple[str, list[Event]]) -> None:
    url, seen = receiver
    response = post(url, json.dumps({"topic": {"id": 7}}).encode())
    assert response.status_code == 200
    assert response.json() == {"status": "updated"}
    assert (
        seen[0].name == "topic_edited"
        and seen[0].id == "1"
        and seen[0].payload == {"topic": {"id": 7}}
    )


def test_missing_signature_is_401_and_bad_signature_is_403(
    receiver: tuple[str, list[Event]],
) -> None:
    url, seen = receiver
    body = b'{"topic": {"id": 7}}'
    assert post(url, body, signature=None).status_code == 401
    assert post(url, body, signature=sign(body, "wrong")).status_code == 403
    assert post(url, body, signature=sign(b"{}", SECRET)).status_code == 403
    assert seen == []


def test_malformed_json_is_400_and_the_receiver_keeps_serving(
    receiver: tuple[str, list[Event]],
) -> None:
    url, seen = receiver
    assert post(url, b"{not json").status_code == 400
    assert post(url, b"[1, 2]").status_code == 400
    assert post(url, b'{"topic": {"id": 1}}').status_code == 200
    assert len(seen) == 1


def test_oversized_body_is_refused_before_reading(receiver: tuple[str, list[Event]]) -> None:
    url, seen = receiver
    body = json.dumps({"topic": {"raw": "x" * 5000}}).encode()
    assert post(url, body).status_code == 413
    assert seen == []


def test_wrong_route_method_and_missing_headers(receiver: tuple[str, list[Event]]) -> None:
    url, _ = receiver
    assert requests.get(url, timeout=5).status_code == 405
    assert (
        requests.post(url.replace("discourse", "other"), data=b"{}", timeout=5).status_code == 404
    )
    assert post(url, b'{"a": 1}', event_id="").status_code == 400


def test_a_processing_error_is_500_and_does_not_stop_the_receiver(
    receiver: tuple[str, list[Event]],
) -> None:
    url, seen = receiver
    assert post(url, b'{"boom": true}').status_code == 500
    assert post(url, b'{"topic": {"id": 2}}', event_id="2").status_code == 200
    assert [e.id for e in seen] == ["2"]


def test_the_secret_is_required() -> None:
    with pytest.raises(ValueError):
        make_app("", lambda e: "x")
