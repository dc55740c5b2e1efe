"""Challenges end to end against the emulator (issue 12): a practitioner opens a challenge, the
bridge answers it once, edits that reply when the matches change, respects a moderator, survives
a crash between posting and recording, and never answers outside the challenges category.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from plugins.challenges import CENSUS_BODY, ChallengeForum

from bridge.challenges import answer as answer_module
from bridge.challenges.answer import Result
from bridge.forum.errors import ForumRateLimited
from bridge.models.challenges import Challenge, ChallengeStatus

CHATBOTS = ("santjust-xatbot", "helsinki-chatbot")


def _table(engine: sa.Engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(Challenge.__table__)).mappings()]


def test_a_challenge_gets_one_reply_with_the_matching_projects(
    challenge_forum: ChallengeForum,
) -> None:
    forum = challenge_forum
    topic_id = forum.open()
    run = forum.pull()
    assert run.count(Result.posted) == 1 and not run.outcomes[0].error
    (reply,) = forum.bridge_replies(topic_id)
    row = forum.row(topic_id)
    assert row.status == ChallengeStatus.answered and row.reply_post_id == reply.id
    # Any sensible matcher finds the catalogue's chatbots for a census chatbot challenge.
    assert set(row.matched_refs) & set(CHATBOTS)
    for ref in set(row.matched_refs) & set(CHATBOTS):
        assert forum.topic_url(ref) in reply.raw
    assert 1 <= len(row.matched_refs) <= forum.harness.settings.challenges.max_matches
    assert reply.raw.startswith(forum.harness.settings.label("challenge_intro"))
    # Contacts are profile links, never mentions: the bridge notifies nobody.
    assert not re.search(r"(?<![\w/])@\w", reply.raw)


def test_a_second_pull_writes_nothing(challenge_forum: ChallengeForum) -> None:
    forum = challenge_forum
    forum.open()
    forum.pull()
    before_rows, before_writes = _table(forum.harness.engine), forum.writes()
    run = forum.pull()
    assert run.outcomes == []
    assert forum.writes() == before_writes, "no POST or PUT to the forum"
    assert _table(forum.harness.engine) == before_rows, "no database write"


def test_an_edit_that_changes_the_matches_edits_the_same_reply(
    challenge_forum: ChallengeForum,
) -> None:
    forum = challenge_forum
    topic_id = forum.open()
    forum.pull()
    (reply,) = forum.bridge_replies(topic_id)
    reply_id, raw_before, version_before = reply.id, reply.raw, reply.version
    first_refs = forum.row(topic_id).matched_refs
    forum.emulator.control(
        "edit_post",
        topic_id=topic_id,
        username="marta",
        raw="Ara el que ens preocupa és la recollida de residus i la neteja dels carrers: "
        "qui ho gestiona amb sensors o dades?",
    )
    run = forum.pull()
    assert run.count(Result.edited) == 1
    (again,) = forum.bridge_replies(topic_id)
    assert again.id == reply_id and again.version > version_before and again.raw != raw_before
    assert again.edit_reason == forum.harness.settings.label("edit_reason_challenge")
    assert forum.row(topic_id).matched_refs != first_refs


def test_an_edit_that_keeps_the_matches_leaves_the_reply_alone(
    challenge_forum: ChallengeForum,
) -> None:
    forum = challenge_forum
    topic_id = forum.open()
    forum.pull()
    (reply,) = forum.bridge_replies(topic_id)
    raw_before, version_before = reply.raw, reply.version
    # Only punctuation changes: the text differs, any sensible matcher finds the same projects.
    forum.emulator.control(
        "edit_post",
        topic_id=topic_id,
        username="marta",
        raw=CENSUS_BODY.replace("respondre-les?", "respondre-les??"),
    )
    writes = forum.writes()
    run = forum.pull()
    assert run.count(Result.edited) == 0 and run.count(Result.unchanged) == 1
    assert forum.writes() == writes
    (after,) = forum.bridge_replies(topic_id)
    assert (after.raw, after.version) == (raw_before, version_before)


def test_a_moderator_deleting_the_reply_is_respected(challenge_forum: ChallengeForum) -> None:
    forum = challenge_forum
    topic_id = forum.open()
    forum.pull()
    (reply,) = forum.bridge_replies(topic_id)
    forum.emulator.control("delete_post", post_id=reply.id, username="moderadora")
    run = forum.pull()
    assert run.count(Result.reply_deleted) == 1
    assert forum.row(topic_id).status == ChallengeStatus.reply_deleted
    # Even an edit of the challenge afterwards does not bring the reply back.
    forum.emulator.control(
        "edit_post", topic_id=topic_id, raw="Qui té dades obertes de mobilitat i trànsit?"
    )
    writes = forum.writes()
    forum.pull()
    forum.pull()
    assert forum.bridge_replies(topic_id) == [] and forum.writes() == writes


def test_closed_challenges_and_other_categories_are_left_alone(
    challenge_forum: ChallengeForum,
) -> None:
    forum = challenge_forum
    closed = forum.open()
    forum.emulator.control("close", topic_id=closed)
    area_category = next(
        c.id for c in forum.emulator.state.categories.values() if c.slug == "citizen-care"
    )
    elsewhere = forum.open(
        title="Un xatbot per al padró a la nostra vila", category_id=area_category
    )
    run = forum.pull()
    assert run.count(Result.posted) == 0
    assert forum.bridge_replies(closed) == [] and forum.bridge_replies(elsewhere) == []
    assert forum.row(closed).status == ChallengeStatus.closed
    # Closing an answered challenge afterwards: left alone, its reply never edited again.
    answered = forum.open(title="Qui fa servir un xatbot per al padró municipal?")
    forum.pull()
    assert forum.row(answered).status == ChallengeStatus.answered
    forum.emulator.control("close", topic_id=answered)
    forum.emulator.control(
        "edit_post", topic_id=answered, raw="Tancat: ja ho tenim resolt, gràcies."
    )
    writes = forum.writes()
    forum.pull()
    assert forum.writes() == writes and forum.row(answered).status == ChallengeStatus.closed


def test_a_reply_whose_answer_was_lost_is_adopted_not_posted_twice(
    challenge_forum: ChallengeForum,
) -> None:
    """The forum stored the reply, then the connection dropped: the outcome is unknown."""
    forum = challenge_forum
    topic_id = forum.open()
    forum.emulator.faults(drop_after_create=1)
    run = forum.pull()
    assert run.count(Result.failed) == 1
    assert forum.row(topic_id).reply_started_at is not None, "the intent is kept"
    assert len(forum.bridge_replies(topic_id)) == 1
    run = forum.pull()
    assert run.count(Result.adopted) == 1
    assert len(forum.bridge_replies(topic_id)) == 1
    row = forum.row(topic_id)
    assert row.status == ChallengeStatus.answered and row.reply_started_at is None


def test_a_crash_between_posting_and_recording_never_leads_to_a_second_reply(
    challenge_forum: ChallengeForum, monkeypatch: pytest.MonkeyPatch
) -> None:
    forum = challenge_forum
    topic_id = forum.open()
    real_save = answer_module.store.save

    def crash_on_record(engine, tid, **values):
        if "reply_post_id" in values:
            raise SystemExit("killed after the forum took the reply")
        real_save(engine, tid, **values)

    monkeypatch.setattr(answer_module.store, "save", crash_on_record)
    with pytest.raises(SystemExit):
        forum.pull()
    monkeypatch.setattr(answer_module.store, "save", real_save)
    assert len(forum.bridge_replies(topic_id)) == 1
    run = forum.pull()
    assert run.count(Result.adopted) == 1 and run.count(Result.posted) == 0
    (reply,) = forum.bridge_replies(topic_id)
    assert forum.row(topic_id).reply_post_id == reply.id


def test_a_refused_reply_is_retried_next_run_and_shown_in_status(
    challenge_forum: ChallengeForum, monkeypatch: pytest.MonkeyPatch
) -> None:
    forum = challenge_forum
    topic_id = forum.open()
    client = forum.client()

    def refuse(topic: int, raw: str) -> dict:
        raise ForumRateLimited("the forum is rate limiting this client", status=429)

    monkeypatch.setattr(client, "reply_to_topic", refuse)
    run = forum.pull(client)
    assert run.count(Result.failed) == 1 and forum.bridge_replies(topic_id) == []
    row = forum.row(topic_id)
    assert row.status == ChallengeStatus.pending and "rate limiting" in (row.last_error or "")
    assert row.reply_started_at is None, "a refusal is not ambiguous: nothing was posted"
    from bridge.challenges.read_store import challenge_status

    assert challenge_status(forum.harness.engine)["failed"] == [
        {"topic_id": topic_id, "error": row.last_error}
    ]
    run = forum.pull()
    assert run.count(Result.posted) == 1 and len(forum.bridge_replies(topic_id)) == 1
    assert forum.row(topic_id).last_error is None


@pytest.mark.parametrize(
    ("title", "raw"),
    [
        ("Ajuda, si us plau!", "Ajuda, si us plau, ajuda!!"),  # a few words
        (
            "Wir brauchen Hilfe beim Bürgerbüro",
            "Unsere Gemeinde sucht Erfahrungen mit digitalen Terminen im Bürgerbüro.",
        ),
        (
            "Xatbot <script>alert(1)</script> @admin [quote]",
            "<img src=x onerror=alert(1)> @admin @staff [quote]padró[/quote] ```\n# xatbot\n"
            "[details=x]padró[/details] <!-- --> " + "xatbot padró " * 2400,
        ),
    ],
    ids=["few-words", "another-language", "markup-mentions-huge"],
)
def test_bad_challenges_never_stop_the_pull(
    challenge_forum: ChallengeForum, title: str, raw: str
) -> None:
    forum = challenge_forum
    topic_id = forum.open(title=title, raw=raw)
    fine = forum.open(title="Qui fa servir un xatbot per al padró municipal?")
    run = forum.pull()
    assert not [o for o in run.outcomes if o.error]
    assert forum.row(fine).status == ChallengeStatus.answered
    assert forum.row(topic_id).status in (ChallengeStatus.answered, ChallengeStatus.no_match)
    for reply in forum.bridge_replies(topic_id):
        assert "@admin" not in reply.raw and "<script" not in reply.raw
        assert "[quote]" not in reply.raw and len(reply.raw) < 32_000


def test_an_unanswered_challenge_is_read_again_only_when_its_edit_bumps_it(
    challenge_forum: ChallengeForum,
) -> None:
    forum = challenge_forum
    # Nothing in a Catalan, Spanish and English catalogue answers a Japanese challenge.
    topic_id = forum.open(
        title="図書館の開館時間について助けが必要です",
        raw="私たちの町の図書館は開館時間の案内で困っています。誰か経験がありますか？",
    )
    run = forum.pull()
    assert forum.row(topic_id).status == ChallengeStatus.no_match
    # Issue 21 changed this test: a challenge nothing answers gets one plain reply saying so
    # and listing nothing (it used to get none, so that its author's edit would bump the topic
    # and be the only thing that made the pull read it again).
    (reply,) = forum.bridge_replies(topic_id)
    assert reply.raw.startswith(forum.harness.settings.label("challenge_none"))
    assert "/t/" not in reply.raw.split("---")[0]
    assert run.count(Result.no_match) == 1
    # Replied, its first post is no longer its last: an edit of it does not bump the topic
    # (core lib/post_revisor.rb bump_topic), so it is checked as an answered one is: its first
    # post and the reply read in one request a pull, nothing written when nothing changed.
    stats = forum.emulator.stats()["by_route"]
    reads_before = stats.get("GET /t/{id}", 0) + stats.get("GET /t/{id}/posts", 0)
    again = forum.pull()
    stats = forum.emulator.stats()["by_route"]
    assert stats.get("GET /t/{id}", 0) + stats.get("GET /t/{id}/posts", 0) == reads_before + 1
    assert not again.outcomes
    forum.emulator.control(
        "edit_post",
        topic_id=topic_id,
        username="marta",
        raw=CENSUS_BODY,
        edit_reason="en català",
    )
    run = forum.pull()
    # The edit is found and the same reply now lists the projects.
    assert run.count(Result.edited) == 1 and len(forum.bridge_replies(topic_id)) == 1
    assert forum.row(topic_id).status == ChallengeStatus.answered


def test_nobody_elses_post_is_ever_edited(challenge_forum: ChallengeForum) -> None:
    """Even when the stored reply id points at a practitioner's post (a corrupted row, a
    restored backup), the bridge checks the author before editing and refuses."""
    forum = challenge_forum
    topic_id = forum.open()
    forum.pull()
    theirs = forum.emulator.control(
        "reply", topic_id=topic_id, raw="La nostra experiència amb el padró, per si us serveix."
    )["post_id"]
    with forum.harness.engine.begin() as conn:
        conn.execute(
            sa.update(Challenge.__table__)
            .where(Challenge.__table__.c.topic_id == topic_id)
            .values(reply_post_id=theirs)
        )
    forum.emulator.control(
        "edit_post",
        topic_id=topic_id,
        raw="Ara busquem sensors per a la recollida de residus i la neteja dels carrers.",
        edit_reason="un altre repte",
    )
    run = forum.pull()
    assert run.count(Result.failed) == 1 and "never edited" in (run.outcomes[0].error or "")
    with forum.emulator.state.lock:
        post = forum.emulator.state.posts[theirs]
        assert post.version == 1 and post.raw.startswith("La nostra experiència")


def test_a_failed_edit_is_retried_next_pull(
    challenge_forum: ChallengeForum, monkeypatch: pytest.MonkeyPatch
) -> None:
    forum = challenge_forum
    topic_id = forum.open()
    forum.pull()
    forum.emulator.control(
        "edit_post",
        topic_id=topic_id,
        raw="Ara busquem sensors per a la recollida de residus i la neteja dels carrers.",
        edit_reason="un altre repte",
    )
    client = forum.client()

    def refuse(post_id: int, *, raw: str, edit_reason: str) -> dict:
        raise ForumRateLimited("the forum is rate limiting this client", status=429)

    monkeypatch.setattr(client, "update_post", refuse)
    assert forum.pull(client).count(Result.failed) == 1
    assert forum.pull().count(Result.edited) == 1
    (reply,) = forum.bridge_replies(topic_id)
    assert reply.edit_reason == forum.harness.settings.label("edit_reason_challenge")


def test_a_challenge_moved_out_of_the_category_is_left_alone(
    challenge_forum: ChallengeForum,
) -> None:
    forum = challenge_forum
    topic_id = forum.open()
    forum.pull()
    area = next(c.id for c in forum.emulator.state.categories.values() if c.slug == "citizen-care")
    forum.emulator.control("move", topic_id=topic_id, category_id=area)
    run = forum.pull()
    assert run.count(Result.closed) == 1
    forum.emulator.control("edit_post", topic_id=topic_id, raw="Un altre text, sobre residus.")
    writes = forum.writes()
    forum.pull()
    assert forum.writes() == writes and forum.row(topic_id).status == ChallengeStatus.closed


def test_a_reply_beyond_the_first_twenty_posts_is_found_before_posting(
    challenge_forum: ChallengeForum,
) -> None:
    """A challenge discussed at length before the bridge answered it, then a catalogue that lost
    its row (restored from an old backup): the reply is found past the topic view's first chunk."""
    forum = challenge_forum
    topic_id = forum.open()
    for i in range(24):
        forum.emulator.control(
            "reply", topic_id=topic_id, raw=f"Resposta número {i} d'una companya: també ens passa."
        )
    assert forum.pull().count(Result.posted) == 1
    with forum.harness.engine.begin() as conn:
        conn.execute(sa.delete(Challenge.__table__))
    run = forum.pull()
    assert run.count(Result.adopted) == 1 and run.count(Result.posted) == 0
    (reply,) = forum.bridge_replies(topic_id)
    assert reply.post_number == 26 and forum.row(topic_id).reply_post_id == reply.id
