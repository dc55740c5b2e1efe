"""The test-only control API (forum-side actions update engagement fields) and the webhooks they
emit (notes §10, §12)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from plugins.emulator import ApiSession

from bridge.emulator import RunningEmulator

BODY = "A body that is long enough to pass the checks."
SECRET = "webhook-secret-for-tests"


class _Receiver:
    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.arrived = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with outer.arrived:
                    outer.received.append((dict(self.headers.items()), body))
                    outer.arrived.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/discourse"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[str]:
        return [h["X-Discourse-Event"] for h, _ in self.received]


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    rec = _Receiver()
    yield rec
    rec.server.shutdown()
    rec.server.server_close()


@pytest.fixture
def hooked(emulator_factory, receiver: _Receiver) -> RunningEmulator:
    return emulator_factory(webhook_url=receiver.url, webhook_secret=SECRET)


def _topic(api, cat_id: int, **fields) -> dict:
    return api.topic(cat_id, **fields)


# --------------------------------------------------------------------------- forum-side actions


def test_reply_view_like_update_engagement(emulator: RunningEmulator, api) -> None:
    cat = api.category()
    tid = _topic(api, cat["id"])["topic_id"]
    emulator.control(
        "reply", topic_id=tid, raw="I have a question about this project.", username="anna"
    )
    emulator.control(
        "reply",
        topic_id=tid,
        raw="An answer to the question above, here.",
        username="bernat",
        reply_to_post_number=2,
    )
    emulator.control("view", topic_id=tid, count=5)
    emulator.control("like", topic_id=tid, username="anna")
    emulator.control("like", post_id=emulator.state.topics[tid].posts[1].id, username="bernat")
    topic = api.get(f"/t/{tid}.json").json()
    assert topic["posts_count"] == 3
    assert (
        topic["reply_count"] == 1
    )  # only the post answering another post (core topic.rb next_post_number)
    assert topic["views"] == 5
    assert topic["like_count"] == 2
    assert topic["participant_count"] == 3
    assert topic["last_posted_at"] == topic["post_stream"]["posts"][2]["created_at"]
    assert topic["details"]["last_poster"]["username"] == "bernat"


def test_moderator_actions(emulator: RunningEmulator, api) -> None:
    cat = api.category()
    other = api.category("Social services")
    tid = _topic(api, cat["id"], **{"tags[]": ["km0"]})["topic_id"]
    emulator.control("move", topic_id=tid, category_id=other["id"])
    emulator.control("retag", topic_id=tid, tags=["Foreign", "pilot"])
    emulator.control("retitle", topic_id=tid, title="A moderator renamed this topic")
    emulator.control(
        "edit_first_post", topic_id=tid, raw="The moderator rewrote the first post entirely."
    )
    emulator.control("close", topic_id=tid)
    topic = api.get(f"/t/{tid}.json", params={"include_raw": "true"}).json()
    assert topic["category_id"] == other["id"]
    assert [t["name"] for t in topic["tags"]] == ["foreign", "pilot"]
    assert topic["title"] == "A moderator renamed this topic"
    assert (
        topic["post_stream"]["posts"][0]["raw"] == "The moderator rewrote the first post entirely."
    )
    assert topic["closed"] is True
    emulator.control("open", topic_id=tid)
    assert api.get(f"/t/{tid}.json").json()["closed"] is False
    emulator.control("delete", topic_id=tid)
    assert api.get(f"/t/{tid}.json").json()["deleted_at"] is not None
    assert api.get("/t/external_id/nothing.json").status_code == 404


def test_a_moderator_recovers_a_deleted_topic(hooked: RunningEmulator, receiver: _Receiver) -> None:
    api = ApiSession(hooked)
    cat = api.category()
    tid = _topic(api, cat["id"], external_id="dc-recovered")["topic_id"]
    hooked.control("delete", topic_id=tid)
    assert api.get("/t/external_id/dc-recovered.json").status_code == 404
    assert hooked.control("recover", topic_id=tid)["topic"]["deleted_at"] is None
    # Found by its external id again, and its title is its own: a new topic may not take it.
    found = api.get("/t/external_id/dc-recovered.json", allow_redirects=False)
    assert found.status_code == 301
    taken = api.post(
        "/posts.json",
        data={"title": "Km0 market for local producers", "raw": BODY, "category": cat["id"]},
    )
    assert taken.status_code == 422
    hooked.app.webhooks.wait_idle()
    # core lib/post_destroyer.rb `recover`: the first post, then the topic.
    assert receiver.events()[-2:] == ["post_recovered", "topic_recovered"]


def test_control_refusals_are_reported(emulator: RunningEmulator, api) -> None:
    cat = api.category()
    tid = _topic(api, cat["id"])["topic_id"]
    with pytest.raises(RuntimeError, match="Body is too short"):
        emulator.control("reply", topic_id=tid, raw="short")
    with pytest.raises(RuntimeError, match="404"):
        emulator.control("no_such_action")
    with pytest.raises(RuntimeError, match="unknown fault"):
        emulator.faults(explode=True)


def test_control_api_is_absent_unless_enabled(emulator_factory) -> None:
    emu = emulator_factory(test_control=False)
    response = requests.post(
        emu.url + "/_emulator/stats",
        json={},
        headers={"Api-Key": "test-key", "Api-Username": "system"},
        timeout=10,
    )
    assert response.status_code == 404


# --------------------------------------------------------------------------- webhooks (notes §12)


def test_webhooks_carry_discourse_headers_and_a_valid_signature(
    hooked: RunningEmulator, receiver: _Receiver
) -> None:
    api = ApiSession(hooked)
    cat = api.category()
    post = api.topic(cat["id"], external_id="dc-hook")
    hooked.app.webhooks.wait_idle()
    headers, body = receiver.received[-1]
    assert headers["X-Discourse-Event"] == "post_created"
    assert headers["X-Discourse-Event-Type"] == "post"
    assert headers["X-Discourse-Instance"] == hooked.url
    assert headers["X-Discourse-Event-Id"].isdigit()
    assert headers["User-Agent"].startswith("Discourse/")
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Discourse-Event-Signature"] == expected
    payload = json.loads(body)["post"]
    assert payload["id"] == post["id"] and payload["raw"] == BODY
    assert {"topic_title", "topic_posts_count", "category_id", "category_slug"} <= set(payload)
    topic_headers, topic_body = receiver.received[-2]
    assert topic_headers["X-Discourse-Event"] == "topic_created"
    topic_payload = json.loads(topic_body)["topic"]
    assert topic_payload["external_id"] == "dc-hook"
    assert "post_stream" not in topic_payload and "details" not in topic_payload
    assert topic_payload["created_by"]["username"] == "system"


def test_every_change_emits_its_events_in_order(
    hooked: RunningEmulator, receiver: _Receiver
) -> None:
    api = ApiSession(hooked)
    cat = api.category()
    tid = api.topic(cat["id"])["topic_id"]
    post_id = hooked.state.topics[tid].first_post.id
    api.put(f"/t/-/{tid}.json", data={"title": "A renamed topic title here"})
    api.put(
        f"/posts/{post_id}.json",
        data={"post[raw]": "The body was edited by the bridge.", "post[edit_reason]": "sync"},
    )
    api.put(f"/t/{tid}/status.json", data={"status": "closed", "enabled": "true"})
    hooked.control("reply", topic_id=tid, raw="A reply arriving from the forum side.")
    hooked.control(
        "like", topic_id=tid, username="anna"
    )  # likes emit nothing (012-web_hook_events.rb)
    api.delete(f"/t/{tid}.json")
    hooked.app.webhooks.wait_idle()
    events = receiver.events()
    # the category and its about topic come first, then our topic's lifecycle
    assert events[:3] == ["category_created", "topic_created", "post_created"]
    # core config/initializers/012-web_hook_events.rb: one event per edit — topic_edited when
    # the first post's topic fields changed, post_edited for a body edit; core
    # lib/post_destroyer.rb: post_destroyed, then topic_destroyed.
    assert events[3:] == [
        "topic_created",
        "post_created",
        "topic_edited",
        "post_edited",
        "topic_closed_status_updated",
        "post_created",
        "post_destroyed",
        "topic_destroyed",
    ]
    category_headers, category_body = receiver.received[0]
    assert category_headers["X-Discourse-Event-Type"] == "category"
    assert json.loads(category_body)["category"]["id"] == cat["id"]
    ids = [int(h["X-Discourse-Event-Id"]) for h, _ in receiver.received]
    assert ids == sorted(set(ids))
    delivered = hooked.control("webhooks")["deliveries"]
    assert [d["status"] for d in delivered] == [200] * len(events)


def test_no_signature_header_without_a_secret(emulator_factory, receiver: _Receiver) -> None:
    emu = emulator_factory(webhook_url=receiver.url)
    ApiSession(emu).category()
    emu.app.webhooks.wait_idle()
    assert receiver.received and all(
        "X-Discourse-Event-Signature" not in h for h, _ in receiver.received
    )


def test_an_unreachable_receiver_never_fails_the_api(emulator_factory) -> None:
    emu = emulator_factory(webhook_url="http://127.0.0.1:9/unreachable", webhook_secret=SECRET)
    api = ApiSession(emu)
    cat = api.category()
    assert (
        api.post(
            "/posts.json",
            data={"title": "Created while hooks fail", "raw": BODY, "category": cat["id"]},
        ).status_code
        == 200
    )
    emu.app.webhooks.wait_idle(timeout=30)
    assert all(d.status is None for d in emu.app.webhooks.deliveries)
