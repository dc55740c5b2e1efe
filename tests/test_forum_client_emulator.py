"""The forum client over real HTTP against the Discourse emulator (bridge.emulator): the whole
vocabulary round-trips, and each failure the emulator can inject is met the way the client
promises. Sleeps go to a fake clock; where the emulator's limiter is involved it is given the
same fake clock, so nothing waits for real."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tests_support import FakeTime

from bridge.emulator import RunningEmulator
from bridge.emulator.ratelimit import SlidingWindowLimiter
from bridge.forum.client import ForumClient
from bridge.forum.errors import (
    AmbiguousWrite,
    ExternalIdTaken,
    ForumAuthError,
    ForumNotFound,
    ForumServerError,
    ForumUnreachable,
    ForumValidationError,
)

BODY = "A participation platform that lets neighbours propose and vote on local budgets."


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime(10_000.0)


@pytest.fixture
def make_client(emulator: RunningEmulator, fake: FakeTime) -> Iterator[Callable[..., ForumClient]]:
    made: list[ForumClient] = []

    def make(**kwargs: Any) -> ForumClient:
        options: dict[str, Any] = {
            "rate_limit_per_minute": 0,
            "sleep": fake.sleep,
            "clock": fake.clock,
            "timeout": 10,
        }
        options.update(kwargs)
        key = options.pop("api_key", emulator.api_key)
        client = ForumClient(emulator.url, key, emulator.api_username, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., ForumClient]) -> ForumClient:
    return make_client()


@pytest.fixture
def category(client: ForumClient) -> dict[str, Any]:
    return client.create_category(
        name="Atenció ciutadana",
        slug="citizen-care",
        color="0088CC",
        text_color="FFFFFF",
        description="Projects that serve people directly",
    )


def _create(client: ForumClient, category_id: int, n: int, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "title": f"Participation platform number {n} for the council",
        "raw": f"{BODY} ({n})",
        "category_id": category_id,
        "tags": ["km0", "pilot"],
        "external_id": f"dc-record-{n}",
    }
    fields.update(overrides)
    return client._create_topic(**fields)


def _tag_names(topic: dict[str, Any]) -> list[str]:
    """notes §7: tags may be strings (older cores) or objects (current core)."""
    return sorted(t["name"] if isinstance(t, dict) else t for t in topic.get("tags", []))


def test_lifecycle_round_trip(client: ForumClient, category: dict[str, Any]) -> None:
    cats = client.list_categories()
    assert category["id"] in [c["id"] for c in cats]
    assert client.get_category(category["id"])["slug"] == "citizen-care"

    post = _create(client, category["id"], 1)
    topic_id, post_id = post["topic_id"], post["id"]
    assert post["post_number"] == 1

    found = client._get_topic_by_external_id("dc-record-1")  # 301 followed
    assert found is not None and found["id"] == topic_id
    assert found["external_id"] == "dc-record-1"
    assert _tag_names(found) == ["km0", "pilot"]
    assert client._get_topic_by_external_id("dc-record-nope") is None

    basic = client.update_topic(
        topic_id, title="A renamed participation platform for everyone", tags=["km0", "implemented"]
    )
    assert basic["id"] == topic_id
    topic = client.get_topic(topic_id)
    assert topic["title"] == "A renamed participation platform for everyone"
    assert _tag_names(topic) == ["implemented", "km0"]

    client.update_topic(topic_id, tags=[])  # clears them all
    assert _tag_names(client.get_topic(topic_id)) == []

    edited = client.update_post(
        post_id, raw=BODY + " Now with more detail.", edit_reason="catalogue changed"
    )
    assert edited["id"] == post_id
    assert client.get_post(post_id)["raw"] == BODY + " Now with more detail."
    assert client.get_topic(topic_id, include_raw=True)["post_stream"]["posts"][0]["raw"].endswith(
        "more detail."
    )

    client.set_topic_status(topic_id, "closed", True)
    assert client.get_topic(topic_id)["closed"] is True
    client.set_topic_status(topic_id, "closed", False)
    assert client.get_topic(topic_id)["closed"] is False

    listed = client.list_category_topics("citizen-care", category["id"])
    assert topic_id in [t["id"] for t in listed["topic_list"]["topics"]]
    assert topic_id in [t["id"] for t in client.latest_topics()["topic_list"]["topics"]]
    assert "km0" in [t["name"] for t in client.list_tags()]

    updated = client.update_category(category["id"], name="Atenció a la ciutadania")
    assert updated["name"] == "Atenció a la ciutadania"


def test_a_taken_external_id_is_recognised(client: ForumClient, category: dict[str, Any]) -> None:
    _create(client, category["id"], 1)
    with pytest.raises(ExternalIdTaken) as info:
        # another title and body, so the create memo (notes §3) does not answer it
        _create(client, category["id"], 2, external_id="dc-record-1")
    assert info.value.errors == ["External has already been taken"]


def test_validation_errors_carry_discourses_reasons(
    client: ForumClient, category: dict[str, Any]
) -> None:
    with pytest.raises(ForumValidationError) as info:
        _create(client, category["id"], 1, title="short")
    assert any("Title" in e for e in info.value.errors)


def test_missing_things_are_not_found(client: ForumClient) -> None:
    with pytest.raises(ForumNotFound):
        client.get_topic(999_999)
    with pytest.raises(ForumNotFound):
        client.get_post(999_999)


def test_a_bad_key_is_an_auth_error_without_the_key(
    make_client: Callable[..., ForumClient], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "wrong-key-SHOULD-NOT-LEAK-123"
    client = make_client(api_key=secret)
    with pytest.raises(ForumAuthError) as info:
        client.list_categories()
    assert "refused the API key for user 'system'" in str(info.value)
    assert (
        secret not in str(info.value)
        and secret not in repr(info.value)
        and secret not in caplog.text
    )


def test_a_429_storm_is_waited_out(
    client: ForumClient, emulator: RunningEmulator, fake: FakeTime
) -> None:
    emulator.faults(storm_429=3)
    assert client.list_categories() is not None
    assert len(fake.sleeps) == 3 and all(s >= 1 for s in fake.sleeps)
    assert emulator.stats()["status"].get("429") == 3


def test_a_burst_of_5xx_on_reads_and_updates_is_retried(
    client: ForumClient, emulator: RunningEmulator, category: dict[str, Any]
) -> None:
    post = _create(client, category["id"], 1)
    emulator.faults(error_rate=1.0, error_status=502)
    with pytest.raises(ForumServerError):
        client.get_topic(post["topic_id"])
    assert emulator.stats()["status"].get("502") == client.max_retries + 1
    emulator.faults(error_rate=0.0)
    emulator.faults(drop_before=2)  # two connections closed before handling, then normal service
    assert (
        client.update_topic(post["topic_id"], title="A participation platform, renamed once")["id"]
        == post["topic_id"]
    )


def test_a_5xx_on_create_is_ambiguous_and_sent_once(
    client: ForumClient, emulator: RunningEmulator, category: dict[str, Any]
) -> None:
    emulator.faults(error_rate=1.0, error_status=500)
    before = client.requests_made
    with pytest.raises(AmbiguousWrite):
        _create(client, category["id"], 1)
    assert client.requests_made == before + 1
    emulator.faults(error_rate=0.0)
    assert (
        client._get_topic_by_external_id("dc-record-1") is None
    )  # this injected 500 created nothing


def test_a_create_committed_then_dropped_is_found_by_external_id(
    client: ForumClient, emulator: RunningEmulator, category: dict[str, Any]
) -> None:
    emulator.faults(drop_after_create=1)
    with pytest.raises(AmbiguousWrite):
        _create(client, category["id"], 1)
    adopted = client._get_topic_by_external_id("dc-record-1")
    assert adopted is not None and adopted["external_id"] == "dc-record-1"
    assert emulator.stats()["by_route"]["POST /posts"] == 1  # never re-sent


def test_an_unreachable_forum(
    make_client: Callable[..., ForumClient], emulator: RunningEmulator
) -> None:
    client = make_client(max_retries=1)
    emulator.stop()
    with pytest.raises(ForumUnreachable, match="cannot connect"):
        client.list_categories()


def test_pacing_matches_the_emulators_window_so_no_429(
    make_client: Callable[..., ForumClient],
    emulator: RunningEmulator,
    fake: FakeTime,
    category: dict[str, Any],
) -> None:
    """Both sides share one fake clock: the emulator's limiter (notes §9 sliding window) allows 20
    a minute and the client paces at 20 a minute; 45 requests pass with no 429 and the client
    waited for the window twice."""
    emulator.app.limiter = SlidingWindowLimiter(20, clock=fake.clock)
    client = make_client(rate_limit_per_minute=20)
    for _ in range(45):
        client.get_category(category["id"])
    assert emulator.stats()["status"].get("429") is None
    assert client.pacer.waited == pytest.approx(2 * 61.0, abs=1.0)
    assert client.requests_made == 45


def test_without_pacing_the_emulators_429_is_honoured(
    make_client: Callable[..., ForumClient],
    emulator: RunningEmulator,
    fake: FakeTime,
    category: dict[str, Any],
) -> None:
    emulator.app.limiter = SlidingWindowLimiter(5, clock=fake.clock)
    client = make_client(rate_limit_per_minute=0)
    for _ in range(6):
        client.get_category(category["id"])
    assert emulator.stats()["status"].get("429") == 1
    assert len(fake.sleeps) == 1 and fake.sleeps[0] >= 60  # waited what the forum said, + 1 s
