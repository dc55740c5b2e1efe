"""Issue 22: a request acted on at once by the webhook receiver (`topic_created` in the
connections category), without waiting for a pull: the emulator emits signed webhooks to our
receiver (waitress)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from plugins.challenges import SAMPLE
from plugins.connections import InviteSpy, RequestForum
from plugins.sync import SyncHarness
from tests_support import wait_for
from waitress.server import create_server

from bridge.catalogue.importer import run_import
from bridge.connections import store
from bridge.connections.step import with_requests
from bridge.db import session_scope
from bridge.emulator import RunningEmulator
from bridge.loop.events import make_processor
from bridge.loop.webhook import PATH, make_app
from bridge.models.enums import RequestStatus
from bridge.settings import load_settings

SECRET = "request-webhook-secret"
CONFIG = Path(__file__).resolve().parent.parent / "config" / "bridge.toml"


@pytest.fixture
def hooked(
    engine: sa.Engine,
    emulator_factory: Callable[..., RunningEmulator],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[RequestForum]:
    import os

    for name in list(os.environ):
        if name.startswith(("BRIDGE_", "DISCOURSE_")):
            monkeypatch.delenv(name)
    holder: dict[str, Any] = {}
    app = make_app(SECRET, lambda event: holder["processor"](event))
    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    threading.Thread(target=server.run, daemon=True).start()
    emulator = emulator_factory(
        webhook_url=f"http://127.0.0.1:{server.effective_port}{PATH}", webhook_secret=SECRET
    )
    settings = load_settings(
        CONFIG, discourse_url=emulator.url, discourse_api_key=emulator.api_key,
        rate_limit_per_minute=0,
    )  # fmt: skip
    harness = SyncHarness(engine, settings, emulator)
    assert not run_import(engine, [SAMPLE]).problems
    emulator.control("user", username="martavidal")
    assert harness.sync().failed == 0
    emulator.app.webhooks.wait_idle()
    category = store.load_category(engine, settings.connections.slug)
    assert category is not None
    forum = RequestForum(harness, category.category_id)
    client: InviteSpy = forum.client()
    holder["processor"] = with_requests(
        make_processor(lambda: session_scope(engine)), engine, settings, client
    )
    try:
        yield forum
    finally:
        server.close()
        client.close()


def test_a_request_is_acted_on_at_once_then_answered(hooked: RequestForum) -> None:
    topic = hooked.open()
    wait_for(lambda: len(hooked.bridge_posts(topic)) == 1)
    hooked.emulator.app.webhooks.wait_idle()
    assert [i["user"] for i in hooked.invited] == ["martavidal", None]
    assert hooked.row(topic)["status"] == RequestStatus.open
    hooked.emulator.control(
        "reply", topic_id=topic, raw="I tant, us esperem quan vulgueu!", username="martavidal"
    )
    wait_for(lambda: hooked.row(topic)["status"] == RequestStatus.answered)
    hooked.emulator.app.webhooks.wait_idle()
    # The pull after it finds nothing left to do: no write, no invite again.
    before = hooked.writes()
    hooked.pull()
    assert hooked.writes() == before and len(hooked.invited) == 2
    assert len(hooked.bridge_posts(topic)) == 1


def test_a_request_made_in_the_projects_own_topic(hooked: RequestForum) -> None:
    """A reply in a project's topic carrying the category's or a kind's hashtag is a request;
    an answer there by the project's contact answers it. Ordinary replies are not requests."""
    project_topic = hooked.reply_request()
    wait_for(lambda: len(hooked.bridge_posts(project_topic)) == 1)
    hooked.emulator.app.webhooks.wait_idle()
    rows = store.requests(hooked.engine, "topic_id = ?", (project_topic,))
    assert len(rows) == 1
    (row,) = rows
    assert (row["ref"], row["asker"], row["status"]) == ("bcn-sentilo-sensors", "anna", "open")
    assert row["kind"].value == "visit" and hooked.who()[0] == "martavidal"
    hooked.emulator.control(
        "reply", topic_id=project_topic, raw="I tant, us esperem quan vulgueu!",
        username="martavidal",
    )  # fmt: skip
    wait_for(
        lambda: store.request(hooked.engine, row["id"])["status"] == RequestStatus.answered  # type: ignore[index]
    )
    hooked.emulator.app.webhooks.wait_idle()
    # A pull leaves it alone: no category list shows it, and it is not "deleted".
    hooked.pull()
    assert store.request(hooked.engine, row["id"])["status"] == RequestStatus.answered  # type: ignore[index]
