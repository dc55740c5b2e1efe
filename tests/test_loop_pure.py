"""Pure parts of the forum loop: durations, signatures, activity extraction, drift."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from bridge.loop.activity import LIST_POSTERS_CAP, from_topic, merge_participants
from bridge.loop.durations import parse_duration
from bridge.loop.signature import sign, verify
from bridge.sync.drift import Observed, Written, detect, observe_topic, tag_names


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("15m", 900), ("1h", 3600), ("1h30m", 5400), ("2d", 172800), (" 5M ", 300)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "15", "m", "15x", "0s", "-5m", "1.5h", "15 minutes"])
def test_bad_durations_say_what_is_accepted(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|longer than zero"):
        parse_duration(text)


def test_signature_is_hmac_sha256_of_the_exact_body() -> None:
    # Known vector computed independently: HMAC-SHA256(key="secret", msg='{"ping":"OK"}').
    import hashlib
    import hmac

    body = b'{"ping":"OK"}'
    expected = "sha256=" + hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    assert sign(body, "secret") == expected
    assert verify(body, expected, "secret")
    assert not verify(body + b" ", expected, "secret")
    assert not verify(body, expected, "other")
    assert not verify(body, None, "secret")
    assert not verify(body, expected.removeprefix("sha256="), "secret")
    assert not verify(body, "sha256=zz\u00e9", "secret")


def test_activity_from_a_real_topic_list_item(shared_dir: Path) -> None:
    sample = json.loads(
        (
            shared_dir / "discourse/samples/discourse_api_docs/latest_topics_response.json"
        ).read_text()
    )
    item = sample["topic_list"]["topics"][0]
    values = from_topic(item)
    assert values.posts_count == item["posts_count"]
    assert values.replies == max(item["posts_count"] - 1, 0)
    assert values.views == item["views"]
    assert values.likes == item["like_count"]
    assert values.participants == len(item["posters"])
    assert values.last_posted_at == datetime.fromisoformat(
        item["last_posted_at"].replace("Z", "+00:00")
    )


def test_activity_from_a_real_topic_view(shared_dir: Path) -> None:
    topic = json.loads(
        (shared_dir / "discourse/samples/discourse_api_docs/topic_response.json").read_text()
    )
    values = from_topic(topic)
    assert values.participants_exact
    assert values.participants == topic["participant_count"]


def test_capped_posters_never_lower_an_exact_count() -> None:
    capped = from_topic(
        {"posts_count": 40, "posters": [{}] * LIST_POSTERS_CAP, "views": 3, "like_count": 1}
    )
    assert not capped.participants_exact
    assert merge_participants(capped, previous=12) == 12
    few = from_topic({"posts_count": 3, "posters": [{}, {}], "views": 3, "like_count": 1})
    assert merge_participants(few, previous=12) == 2
    assert from_topic({"posts_count": 0}).last_posted_at is None


WRITTEN = Written(
    title="Plataforma de participació ciutadana",
    category_id=5,
    tags=("km0", "pilot", "service"),
    closed=False,
    body_hash="abc",
)


def test_no_drift_when_discourse_only_rewrote_what_we_sent() -> None:
    written = Written(
        title="km0 platform for the council!!!",
        category_id=5,
        tags=("Km0", "Àrea Pública", "pilot"),
        closed=False,
        body_hash="h",
    )
    observed = Observed(
        title="Km0 platform for the council!",
        category_id=5,
        tags=("km0", "àrea-pública", "pilot"),
        closed=False,
        body_hash="h",
    )
    assert not detect(written, observed)


def test_each_kind_of_drift_is_reported_in_contract_order() -> None:
    observed = Observed(
        title="Un altre títol ben diferent",
        category_id=9,
        tags=("km0",),
        closed=True,
        body_hash="zzz",
    )
    drift = detect(WRITTEN, observed)
    assert drift.what == ("category", "tags", "title", "body", "closed")
    assert drift.detail["category"] == {"written": 5, "forum": 9}


def test_deleted_topic_reports_only_deleted() -> None:
    drift = detect(
        WRITTEN,
        observe_topic({"title": "x", "category_id": 9, "deleted_at": "2026-11-23T06:00:00Z"}),
    )
    assert drift.what == ("deleted",)


def test_unobserved_aspects_are_not_drift() -> None:
    # A topic-list item has no raw body: body drift needs --deep or a post_edited webhook.
    assert not detect(
        WRITTEN, observe_topic({"title": WRITTEN.title, "category_id": 5, "closed": False})
    )


def test_tags_as_strings_or_objects() -> None:
    assert tag_names(["a", "b"]) == ("a", "b")
    assert tag_names([{"id": 1, "name": "a", "slug": "a"}]) == ("a",)
    assert tag_names(None) is None


def test_body_fingerprint_ignores_what_discourse_normalises() -> None:
    from bridge.sync.drift import body_fingerprint, stored_raw

    sent = "Descripció\u00a0del projecte\n\n---\nFitxa x  \n\n"
    # Source: core lib/post_creator.rb setup_post: TextCleaner.normalize_whitespaces(raw).rstrip
    assert stored_raw(sent) == "Descripció del projecte\n\n---\nFitxa x"
    assert body_fingerprint(sent) == body_fingerprint(stored_raw(sent))
    assert body_fingerprint(sent) != body_fingerprint(sent + "edited")
    # zero-width spaces are left alone by Discourse (core spec: "does not muck with zero width white
    # space")
    assert stored_raw("a\u200bb") == "a\u200bb"


def test_seen_aspects() -> None:
    from bridge.sync.drift import ASPECTS, seen_aspects

    assert seen_aspects(Observed(body_hash="x")) == {"body"}
    assert seen_aspects(observe_topic({"title": "t", "category_id": 1, "closed": False})) == {
        "title",
        "category",
        "closed",
        "deleted",
    }
    assert seen_aspects(Observed(deleted=True)) == set(ASPECTS)
