"""The emulator's HTTP behaviour: auth (notes §1), error bodies and content types (notes §2),
the admin-key rate limit (notes §9), bad input, keep-alive and fault injection."""

from __future__ import annotations

import http.client
import socket
from urllib.parse import urlsplit

import pytest
import requests

from bridge.emulator import RunningEmulator
from bridge.emulator.ratelimit import SlidingWindowLimiter

BODY = "A body that is long enough to pass the checks."


def _conn(emu: RunningEmulator) -> http.client.HTTPConnection:
    parts = urlsplit(emu.url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)


# --------------------------------------------------------------------------- auth (notes §1)


@pytest.mark.parametrize(
    "headers",
    [
        {"Api-Key": "wrong", "Api-Username": "system"},
        {"Api-Key": "test-key", "Api-Username": "nobody"},
        {"Api-Key": "test-key"},
    ],
)
def test_bad_credentials_are_403_invalid_access(emulator: RunningEmulator, headers: dict) -> None:
    response = requests.get(emulator.url + "/latest.json", headers=headers, timeout=10)
    assert response.status_code == 403
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == {
        "errors": [
            "You are not permitted to view the requested resource. The API username or key is "
            "invalid."
        ],
        "error_type": "invalid_access",
    }


def test_username_matches_case_insensitively_and_anonymous_cannot_write(
    emulator: RunningEmulator,
) -> None:
    assert (
        requests.get(
            emulator.url + "/latest.json",
            headers={"Api-Key": "test-key", "Api-Username": "SYSTEM"},
            timeout=10,
        ).status_code
        == 200
    )
    anonymous = requests.post(
        emulator.url + "/posts.json", data={"title": "x", "raw": "y"}, timeout=10
    )
    assert anonymous.status_code == 403 and anonymous.json()["error_type"] == "not_logged_in"


def test_credentials_in_query_parameters_are_ignored(emulator: RunningEmulator) -> None:
    # notes §1: keys as params are ignored outside an RSS/ICS allow-list → this is anonymous
    response = requests.post(
        emulator.url + "/posts.json?api_key=test-key&api_username=system",
        data={"raw": BODY},
        timeout=10,
    )
    assert response.status_code == 403


# --------------------------------------------------------------------------- JSON, routes, content
# types (notes §2)


def test_paths_work_with_json_suffix_or_accept_header(api) -> None:
    with_suffix = api.get("/latest.json")
    with_accept = api.get("/latest", headers={"Accept": "application/json; charset=utf-8"})
    assert with_suffix.json() == with_accept.json()
    assert (
        with_suffix.headers["Content-Type"]
        == with_accept.headers["Content-Type"]
        == "application/json; charset=utf-8"
    )
    html = api.get("/latest")
    assert html.headers["Content-Type"].startswith("text/html")  # notes §1: not a JSON request


def test_unknown_routes_and_wrong_methods_are_404_not_found(api) -> None:
    expected = {
        "errors": ["The requested URL or resource could not be found."],
        "error_type": "not_found",
    }
    assert api.get("/no/such/thing.json").json() == expected
    wrong = api.request("PATCH", "/posts.json", json={})
    assert wrong.status_code == 404 and wrong.json() == expected
    assert api.get("/latest.json").status_code == 200  # still serving


def test_malformed_json_is_400_and_the_server_keeps_serving(api) -> None:
    bad = api.post("/posts.json", data=b'{"title": ', headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and bad.json()["error_type"] == "invalid_parameters"
    array = api.post("/posts.json", json=["not", "an", "object"])
    assert array.status_code == 400
    assert api.get("/latest.json").status_code == 200


def test_rails_bracket_form_bodies(api) -> None:
    response = api.post(
        "/categories.json",
        data={"name": "Bracketed", "permissions[everyone]": "1", "permissions[staff]": "1"},
    )
    perms = {
        p["group_name"]: p["permission_type"]
        for p in response.json()["category"]["group_permissions"]
    }
    assert perms == {"everyone": 1, "staff": 1}


def test_huge_bodies_are_refused_without_being_read(emulator: RunningEmulator) -> None:
    parts = urlsplit(emulator.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(
            b"POST /posts.json HTTP/1.1\r\nHost: x\r\nApi-Key: test-key\r\nApi-Username: system\r\n"
            b'Content-Type: application/json\r\nContent-Length: 50000000\r\n\r\n{"raw": "'
        )
        reply = sock.recv(65536).decode("utf-8", "replace")
    assert reply.startswith("HTTP/1.1 413")
    assert "Connection: close" in reply
    assert (
        requests.get(
            emulator.url + "/latest.json",
            headers={"Api-Key": "test-key", "Api-Username": "system"},
            timeout=10,
        ).status_code
        == 200
    )


def test_keep_alive_serves_several_requests_on_one_connection(emulator: RunningEmulator) -> None:
    conn = _conn(emulator)
    headers = {"Api-Key": "test-key", "Api-Username": "system"}
    conn.request("GET", "/latest.json", headers=headers)
    first = conn.getresponse()
    first.read()
    sock = conn.sock
    conn.request("GET", "/tags.json", headers=headers)
    second = conn.getresponse()
    second.read()
    assert first.status == second.status == 200
    assert conn.sock is sock  # the same TCP connection was reused
    conn.close()


def test_delete_answers_an_empty_body_with_a_content_type(api) -> None:
    cat = api.category()
    tid = api.topic(cat["id"])["topic_id"]
    response = api.delete(f"/t/{tid}.json")
    assert response.status_code == 200 and response.content == b""
    assert "Content-Type" in response.headers  # pydiscourse reads it unconditionally


# --------------------------------------------------------------------------- rate limit (notes §9)


def test_one_window_for_all_admin_requests_then_429(emulator_factory) -> None:
    emu = emulator_factory(rate_limit=3)
    emu.state.ensure_user("alice", admin=True)
    as_system = {"Api-Key": "test-key", "Api-Username": "system"}
    as_alice = {"Api-Key": "test-key", "Api-Username": "alice"}
    # a refused key does not count (core: the limiter runs after the key was accepted)
    assert (
        requests.get(
            emu.url + "/latest.json",
            headers={"Api-Key": "bad", "Api-Username": "system"},
            timeout=10,
        ).status_code
        == 403
    )
    statuses = [
        requests.get(emu.url + "/latest.json", headers=h, timeout=10).status_code
        for h in (as_system, as_alice, as_system)
    ]
    assert statuses == [200, 200, 200]
    over = requests.get(emu.url + "/latest.json", headers=as_alice, timeout=10)
    assert over.status_code == 429
    assert over.headers["Discourse-Rate-Limit-Error-Code"] == "admin_api_key_rate_limit"
    wait = int(over.headers["Retry-After"])
    assert 1 <= wait <= 60
    body = over.json()
    assert body["error_type"] == "rate_limit" and body["extras"]["wait_seconds"] == wait
    assert body["extras"]["time_left"] in ("a few seconds", f"{wait} seconds")


def test_sliding_window_waits_for_the_oldest_request_to_age_out() -> None:
    now = [1000.0]
    limiter = SlidingWindowLimiter(2, 60, clock=lambda: now[0])
    assert limiter.try_acquire() is None
    now[0] += 20
    assert limiter.try_acquire() is None
    now[0] += 10
    assert limiter.try_acquire() == 30  # 60 − age of the oldest (30 s)
    now[0] += 30
    assert limiter.try_acquire() is None  # the first aged out: a slot is free again
    assert SlidingWindowLimiter(0).try_acquire() is None  # 0 = no limit


# --------------------------------------------------------------------------- faults


def test_storm_429_then_normal_service(emulator: RunningEmulator, api) -> None:
    emulator.faults(storm_429=2)
    codes = [api.get("/latest.json").status_code for _ in range(3)]
    assert codes == [429, 429, 200]


def test_error_rate_answers_the_error_status(emulator: RunningEmulator, api) -> None:
    emulator.faults(error_rate=1.0, error_status=503)
    assert api.get("/latest.json").status_code == 503
    emulator.faults(reset=True)
    assert api.get("/latest.json").status_code == 200


def test_drop_before_closes_the_connection_without_handling(emulator: RunningEmulator, api) -> None:
    cat = api.category()
    emulator.faults(drop_before=1)
    with pytest.raises(requests.ConnectionError):
        api.post(
            "/posts.json",
            data={"title": "Dropped before it was handled", "raw": BODY, "category": cat["id"]},
        )
    assert all(t.is_definition for t in emulator.state.topics.values())  # nothing was created
    assert emulator.stats()["status"].get("dropped") == 1


def test_drop_after_create_commits_and_a_retry_gets_the_memoized_first_result(
    emulator: RunningEmulator, api
) -> None:
    cat = api.category()
    data = {
        "title": "Committed then dropped topic",
        "raw": BODY,
        "category": cat["id"],
        "external_id": "dc-drop",
    }
    emulator.faults(drop_after_create=1)
    with pytest.raises(requests.ConnectionError):
        api.post("/posts.json", data=data)
    created = [t for t in emulator.state.topics.values() if not t.is_definition]
    assert len(created) == 1  # the create was committed
    retry = api.post("/posts.json", data=data)
    assert retry.status_code == 200 and retry.json()["topic_id"] == created[0].id  # notes §3 memo
    assert api.get("/t/external_id/dc-drop.json").status_code == 301


def test_stats_count_requests_by_route_and_status(emulator: RunningEmulator, api) -> None:
    cat = api.category()
    api.topic(cat["id"])
    api.get("/latest.json")
    emulator.control("reply", topic_id=1, raw="Control calls are not counted here.")
    stats = emulator.stats()
    assert stats["by_route"] == {"POST /categories": 1, "POST /posts": 1, "GET /latest": 1}
    assert stats["total"] == 3 and stats["status"] == {"200": 3}
    emulator.control("reset_stats")
    assert emulator.stats()["total"] == 0


def test_stop_closes_kept_alive_connections(emulator_factory) -> None:
    emu = emulator_factory()
    session = requests.Session()
    headers = {"Api-Key": "test-key", "Api-Username": "system"}
    assert session.get(emu.url + "/latest.json", headers=headers, timeout=10).status_code == 200
    emu.stop()
    with pytest.raises(requests.ConnectionError):
        session.get(emu.url + "/latest.json", headers=headers, timeout=10)
