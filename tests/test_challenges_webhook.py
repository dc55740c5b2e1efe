"""Challenges answered at once by the webhook receiver (issue 12 point 2): the emulator emits
signed webhooks to our receiver (waitress), whose processor answers `topic_created` and
`post_edited` in the challenges category without waiting for a pull."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from plugins.challenges import SAMPLE, ChallengeForum
from plugins.sync import SyncHarness
from tests_support import wait_for
from waitress.server import create_server

from bridge.catalogue.importer import run_import
from bridge.challenges import store
from bridge.challenges.runner import with_challenges
from bridge.db import session_scope
from bridge.emulator import RunningEmulator
from bridge.forum.client import ForumClient
from bridge.loop.events import make_processor
from bridge.loop.webhook import PATH, make_app
from bridge.models.challenges import ChallengeStatus
from bridge.settings import load_settings

SECRET = "challenge-webhook-secret"
CONFIG = Path(__file__).resolve().parent.parent / "config" / "bridge.toml"


@pytest.fixture
def hooked_forum(
    engine: sa.Engine,
    emulator_factory: Callable[..., RunningEmulator],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[ChallengeForum]:
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
        CONFIG,
        discourse_url=emulator.url,
        discourse_api_key=emulator.api_key,
        rate_limit_per_minute=0,
    )
    client = ForumClient(emulator.url, emulator.api_key, emulator.api_username)
    holder["processor"] = with_challenges(
        make_processor(lambda: session_scope(engine)), engine, settings, client
    )
    harness = SyncHarness(engine, settings, emulator)
    assert not run_import(engine, [SAMPLE]).problems
    assert harness.sync().failed == 0
    emulator.app.webhooks.wait_idle()
    category = store.load_category(engine, settings.challenges.slug)
    assert category is not None
    try:
        yield ChallengeForum(harness, category.category_id)
    finally:
        server.close()
        client.close()


def test_a_new_challenge_is_answered_at_once(hooked_forum: ChallengeForum) -> None:
    forum = hooked_forum
    topic_id = forum.open()
    wait_for(lambda: len(forum.bridge_replies(topic_id)) == 1)
    forum.emulator.app.webhooks.wait_idle()
    row = forum.row(topic_id)
    assert row.status == ChallengeStatus.answered
    # Its own reply's webhooks (post_created) change nothing: still one reply.
    assert len(forum.bridge_replies(topic_id)) == 1
    # An edit that changes the matches reaches the same reply at once.
    (reply,) = forum.bridge_replies(topic_id)
    version = reply.version
    forum.emulator.control(
        "edit_post",
        topic_id=topic_id,
        raw="Ara ens cal gestionar la recollida de residus i la neteja amb sensors i dades.",
    )
    wait_for(lambda: forum.row(topic_id).matched_refs != row.matched_refs)
    assert forum.bridge_replies(topic_id)[0].version > version
    # A moderator deleting the reply is noted at once; nothing is posted again.
    forum.emulator.control("delete_post", post_id=reply.id, username="moderadora")
    wait_for(lambda: forum.row(topic_id).status == ChallengeStatus.reply_deleted)
    forum.emulator.app.webhooks.wait_idle()
    assert forum.bridge_replies(topic_id) == []


def test_topics_outside_the_challenges_category_get_no_answer(
    hooked_forum: ChallengeForum,
) -> None:
    forum = hooked_forum
    area = next(c.id for c in forum.emulator.state.categories.values() if c.slug == "citizen-care")
    topic_id = forum.open(title="Un xatbot per al padró de la vila", category_id=area)
    forum.emulator.app.webhooks.wait_idle()
    assert forum.bridge_replies(topic_id) == []
    assert store.load_one(forum.harness.engine, topic_id) is None


def test_a_retitled_challenge_is_read_again_at_once(hooked_forum: ChallengeForum) -> None:
    """A title edit arrives as topic_edited alone (no post_edited): it is a challenge edit too."""
    forum = hooked_forum
    topic_id = forum.open()
    wait_for(lambda: len(forum.bridge_replies(topic_id)) == 1)
    forum.emulator.control(
        "retitle", topic_id=topic_id, title="Trucades sobre el padró: busquem un assistent"
    )
    wait_for(lambda: forum.row(topic_id).title == "Trucades sobre el padró: busquem un assistent")
    forum.emulator.app.webhooks.wait_idle()
    assert len(forum.bridge_replies(topic_id)) == 1


def test_a_forged_topic_created_naming_a_record_topic_is_not_a_challenge(
    hooked_forum: ChallengeForum,
) -> None:
    """Issue 28 point 2: a signed topic_created that says a record's topic is in the challenges
    category (it is not) never makes it a challenge, not even a closed one."""
    from bridge.loop.webhook import Event

    forum = hooked_forum
    harness = forum.harness
    record_topic = next(iter(harness.states().values())).topic_id
    client = harness.client()
    processor = with_challenges(
        make_processor(lambda: session_scope(harness.engine)), harness.engine, harness.settings,
        client,
    )  # fmt: skip
    try:
        for number, topic_id in enumerate((record_topic, 999_999), start=1):
            outcome = processor(
                Event(
                    name="topic_created",
                    type="topic",
                    id=f"forged-{number}",
                    instance=None,
                    payload={"topic": {"id": topic_id, "category_id": forum.category_id}},
                )
            )
            assert outcome in ("challenge ignored", "ignored", "updated"), outcome
    finally:
        client.close()
    assert store.load_one(harness.engine, record_topic) is None
    assert store.load_one(harness.engine, 999_999) is None
    assert all(row["topic_id"] != record_topic for row in store.rows(harness.engine))
