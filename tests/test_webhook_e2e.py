"""Webhooks end to end: the emulator emits signed Discourse webhooks to our receiver (waitress),
which updates activity and drift at once. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from plugins.forum import PairedCatalogue, pair_catalogue
from sqlmodel import Session
from tests_support import wait_for
from waitress.server import create_server

from bridge.db import session_scope
from bridge.emulator import RunningEmulator
from bridge.loop.events import make_processor
from bridge.loop.signature import sign
from bridge.loop.webhook import PATH, make_app
from bridge.models import Activity, SyncStatus, WebhookDelivery
from bridge.settings import Settings

SECRET = "e2e-webhook-secret"


@pytest.fixture
def receiver_url(engine: sa.Engine) -> Iterator[str]:
    app = make_app(SECRET, make_processor(lambda: session_scope(engine)))
    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    threading.Thread(target=server.run, daemon=True).start()
    yield f"http://127.0.0.1:{server.effective_port}{PATH}"
    server.close()


@pytest.fixture
def hooked(
    bridge_env: Settings,
    engine: sa.Engine,
    receiver_url: str,
    emulator_factory: Callable[..., RunningEmulator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[PairedCatalogue]:
    emulator = emulator_factory(webhook_url=receiver_url, webhook_secret=SECRET)
    for catalogue in pair_catalogue(engine, emulator, tmp_path, monkeypatch):
        # The pairing sync emitted webhooks of its own: let them land before the test acts, so a
        # late one cannot overwrite what the test is looking at.
        emulator.app.webhooks.wait_idle()
        yield catalogue


def deliveries(emu: RunningEmulator) -> list[dict]:
    return emu.control("webhooks")["deliveries"]


def _activity(cat: PairedCatalogue, ref: str) -> Activity | None:
    with Session(cat.engine) as session:
        return session.get(Activity, cat.state(ref).project_id)


def test_replies_and_moderation_reach_the_catalogue_at_once(hooked: PairedCatalogue) -> None:
    cat, emu = hooked, hooked.emulator
    topic = cat.topic_id("sant-cugat-xatbot")
    emu.control(
        "reply",
        topic_id=topic,
        raw="A Terrassa també el vam implantar l'any passat.",
        username="anna",
    )
    wait_for(lambda: (a := _activity(cat, "sant-cugat-xatbot")) is not None and a.replies == 1)
    assert _activity(cat, "sant-cugat-xatbot").last_posted_at is not None

    emu.control("retitle", topic_id=topic, title="Un títol triat per la moderació del fòrum")
    wait_for(lambda: cat.state("sant-cugat-xatbot").drift == ["title"])
    assert cat.state("sant-cugat-xatbot").state == SyncStatus.drift

    emu.control(
        "edit_first_post", topic_id=topic, raw="La moderació ha reescrit aquest primer missatge."
    )
    wait_for(lambda: cat.state("sant-cugat-xatbot").drift == ["title", "body"])

    other = cat.topic_id("girona-dades-obertes")
    emu.control("delete", topic_id=other)
    wait_for(lambda: cat.state("girona-dades-obertes").drift == ["deleted"])
    assert cat.state("girona-dades-obertes").remote_deleted

    # Our own sync's edits come back as webhooks too; they are not drift.
    summary = cat.sync()
    assert summary.updated == 1
    emu.app.webhooks.wait_idle()
    time.sleep(0.2)
    assert cat.state("sant-cugat-xatbot").drift is None
    assert cat.state("sant-cugat-xatbot").state == SyncStatus.synced
    # Every delivery was accepted by the receiver.
    assert {d["status"] for d in deliveries(emu)} == {200}


def test_a_redelivered_event_is_processed_once(hooked: PairedCatalogue, receiver_url: str) -> None:
    cat = hooked
    topic = cat.topic_id("girona-dades-obertes")
    body = json.dumps(
        {
            "post": {
                "id": 999,
                "topic_id": topic,
                "post_number": 2,
                "topic_posts_count": 2,
                "created_at": "2026-11-23T06:00:00Z",
                "raw": "hola",
            }
        }
    ).encode()
    headers = {
        "X-Discourse-Event": "post_created",
        "X-Discourse-Event-Type": "post",
        "X-Discourse-Event-Id": "dup-1",
        "X-Discourse-Event-Signature": sign(body, SECRET),
        "Content-Type": "application/json",
    }
    first = requests.post(receiver_url, data=body, headers=headers, timeout=5)
    second = requests.post(receiver_url, data=body, headers=headers, timeout=5)
    assert first.json() == {"status": "updated"} and second.json() == {"status": "duplicate"}
    assert _activity(cat, "girona-dades-obertes").replies == 1
    with Session(cat.engine) as session:
        assert session.get(WebhookDelivery, "dup-1") is not None


def test_unknown_events_are_acknowledged_and_ignored(
    hooked: PairedCatalogue, receiver_url: str
) -> None:
    body = json.dumps({"user": {"id": 3, "username": "anna"}}).encode()
    headers = {
        "X-Discourse-Event": "user_created",
        "X-Discourse-Event-Type": "user",
        "X-Discourse-Event-Id": "u-1",
        "X-Discourse-Event-Signature": sign(body, SECRET),
    }
    response = requests.post(receiver_url, data=body, headers=headers, timeout=5)
    assert response.status_code == 200 and response.json() == {"status": "ignored"}


def test_webhooks_signed_with_another_secret_change_nothing(
    bridge_env: Settings,
    engine: sa.Engine,
    receiver_url: str,
    emulator_factory: Callable[..., RunningEmulator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emulator = emulator_factory(webhook_url=receiver_url, webhook_secret="not-the-secret")
    for cat in pair_catalogue(engine, emulator, tmp_path, monkeypatch):
        topic = cat.topic_id("sant-cugat-xatbot")
        emulator.control(
            "retitle", topic_id=topic, title="Un títol triat per la moderació del fòrum"
        )
        emulator.app.webhooks.wait_idle()
        assert deliveries(emulator) and {d["status"] for d in deliveries(emulator)} == {403}
        assert cat.state("sant-cugat-xatbot").drift is None


def test_a_moderators_edit_of_a_page_topic_is_drift_at_once(hooked: PairedCatalogue) -> None:
    # Issue 11: the observatory's index and overview topics, as the pull would find them.
    from bridge.observatory import store as page_store
    from bridge.observatory.pages import OVERVIEW

    cat, emu = hooked, hooked.emulator
    rows = page_store.load_pages(cat.engine)
    index = next(key for key in rows if key.startswith("index:"))

    def report() -> dict[str, list[str]]:
        return {d["page"]: d["what"] for d in page_store.page_drift_report(cat.engine)}

    emu.control(
        "edit_first_post",
        topic_id=rows[OVERVIEW].topic_id,
        raw="La moderació ha reescrit el resum.",
    )
    wait_for(lambda: report() == {OVERVIEW: ["body"]})
    emu.control("delete", topic_id=rows[index].topic_id)
    wait_for(lambda: report() == {index: ["deleted"], OVERVIEW: ["body"]})

    summary = cat.sync()  # catalogue-wins
    assert summary.pages["repaired"] == {index: ["deleted"], OVERVIEW: ["body"]}
    emu.app.webhooks.wait_idle()
    assert report() == {}
    assert page_store.load_pages(cat.engine)[index].external_id.endswith("_r2")
