"""The challenges step of `pull`, and the webhook handler that answers at once.

What one pull costs (issue 12 point 2), for C open challenges of which A are answered:
- ceil(C / 100) list reads of the challenges category: pages of `per_page=100`, the largest
  core's TopicQuery validators accept (as `pull` reads the areas' lists, bridge.loop.pull; a
  forum that ignored it would answer pages of 30, followed through `more_topics_url`);
- one `GET /t/{id}/posts.json?post_ids[]=first&post_ids[]=reply` per answered challenge (A), and
  per unanswered one whose topic has replies: an edit of a first post that is not the topic's
  last post does not bump the topic (core lib/post_revisor.rb `bump_topic` / `is_last_post?`),
  so nothing in a list tells it; that read also shows a reply a moderator deleted;
- for an unanswered challenge without replies the list's `bumped_at` tells an edit (the same
  `bump_topic`), so it is read only when it moved;
- one `GET /t/{id}.json?include_raw=true` per new, edited or not-yet-answered challenge, and one
  write (POST or PUT) for each answer posted or changed.
A pull with nothing new writes nothing: no request but those reads, and no database write.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy.engine import Engine

from bridge.challenges import store
from bridge.challenges.answer import Answerer, ChallengeForum, Outcome, Result
from bridge.forum.errors import ForumNotFound
from bridge.models.challenges import ChallengeStatus
from bridge.settings import Settings
from bridge.sync.category_topics import (
    ListedTopic,
    StepRun,
    acquire_waiting,
    listed_under_lease,
    walk,
    with_step,
)

log = logging.getLogger("bridge.challenges")

CHALLENGES_LEASE = "challenges"


class Step(StrEnum):
    read = "read"  # read the topic and answer it
    check = "check"  # read its first post and our reply by id: edited? reply deleted?
    close = "close"  # closed or archived in the list: left alone from now on
    skip = "skip"


Listed = ListedTopic


def decide(item: Listed, known: store.Known | None, definition_topic_id: int | None) -> Step:
    """Pure: what a topic of the challenges list needs, from the list and what is stored."""
    if item.topic_id == definition_topic_id:
        return Step.skip
    if item.closed:
        return (
            Step.skip
            if known is not None and known.status == ChallengeStatus.closed
            else Step.close
        )
    if known is None or known.status in (ChallengeStatus.pending, ChallengeStatus.closed):
        return Step.read  # new, not answered yet (or refused last time), or reopened
    if known.status in (ChallengeStatus.ignored, ChallengeStatus.reply_deleted):
        return Step.skip
    if (
        known.status == ChallengeStatus.no_match
        and known.reply_post_id is None
        and item.posts_count <= 1
    ):
        # Not replied to (a row from before issue 21, whose no-match got no reply) and its first
        # post is its last: an edit bumps the topic (core lib/post_revisor.rb). With the
        # bridge's "nothing matches yet" reply it is checked like an answered one.
        return Step.read if item.bumped_at != known.bumped_at else Step.skip
    return Step.check


@dataclass
class ChallengeRun(StepRun):
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, result: Result) -> int:
        return sum(1 for o in self.outcomes if o.result == result)

    def as_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"listed": self.listed, "pages": self.pages}
        doc.update({r.value: self.count(r) for r in Result})
        doc["failures"] = [
            {"topic_id": o.topic_id, "error": o.error} for o in self.outcomes if o.error
        ]
        if self.skipped:
            doc["skipped"] = self.skipped
        return doc


def _records_loader(engine: Engine, settings: Settings) -> Callable[[], list[dict[str, Any]]]:
    def load() -> list[dict[str, Any]]:
        from bridge.catalogue.read_store import list_records

        return list_records(engine, settings.home_region, settings.discourse_url)

    return load


def pull_challenges(
    engine: Engine,
    settings: Settings,
    client: ChallengeForum,
    *,
    should_stop: Callable[[], bool] = lambda: False,
) -> ChallengeRun:
    """Find new and edited challenges and answer them. ForumAuthError and ForumUnreachable stop
    the step (the caller reports them); everything else is per challenge, retried next run."""
    run = ChallengeRun()
    opened = listed_under_lease(
        engine, client, store.load_category(engine, settings.challenges.slug), run,
        what="challenges", lease_name=CHALLENGES_LEASE, should_stop=should_stop, make=Listed.of,
        forget=store.forget_category,
    )  # fmt: skip
    if opened is None:
        return run
    category, lease, listed = opened
    try:
        known = store.load_known(engine)
        answerer = Answerer(client, engine, settings, category, _records_loader(engine, settings))
        for topic_id in walk(listed, lease, run, should_stop):
            item, row = listed[topic_id], known.get(topic_id)
            step = decide(item, row, category.definition_topic_id)
            outcome = _apply(answerer, client, engine, step, item, row)
            if outcome is not None:
                run.outcomes.append(outcome)
        if not run.stopped:
            # Stored challenges no list showed were moved away or deleted: left alone.
            for topic_id, row in known.items():
                if topic_id not in listed and row.status not in (
                    ChallengeStatus.closed,
                    ChallengeStatus.ignored,
                ):
                    store.save(engine, topic_id, status=ChallengeStatus.closed)
                    run.outcomes.append(Outcome(topic_id, Result.closed))
        return run
    finally:
        lease.release()


def _apply(
    answerer: Answerer,
    client: ChallengeForum,
    engine: Engine,
    step: Step,
    item: Listed,
    row: store.Known | None,
) -> Outcome | None:
    if step == Step.skip:
        if (
            row is not None
            and row.status == ChallengeStatus.reply_deleted
            and row.posts_count != item.posts_count
        ):
            store.save(engine, item.topic_id, posts_count=item.posts_count)
        return None
    if step == Step.close:
        if row is None:
            store.save(engine, item.topic_id, title=item.title, status=ChallengeStatus.closed)
        else:
            store.save(engine, item.topic_id, status=ChallengeStatus.closed)
        return Outcome(item.topic_id, Result.closed)
    if step == Step.read:
        return answerer.process_topic(item.topic_id, row, item.bumped_at)
    assert row is not None
    wanted = [i for i in (row.first_post_id, row.reply_post_id) if i is not None]
    try:
        posts = {p.get("id"): p for p in client.get_topic_posts(item.topic_id, wanted)}
    except ForumNotFound:
        return answerer.process_topic(item.topic_id, row, item.bumped_at)
    first = posts.get(row.first_post_id)
    if row.reply_post_id is not None:
        reply = posts.get(row.reply_post_id)
        if reply is None or reply.get("deleted_at"):
            # A moderator deleted the bridge's reply: respected, never posted again.
            store.save(engine, item.topic_id, status=ChallengeStatus.reply_deleted)
            return Outcome(item.topic_id, Result.reply_deleted)
    if (
        first is None
        or first.get("version") != row.post_version
        or first.get("updated_at") != row.post_updated_at
    ):
        return answerer.process_topic(item.topic_id, row, item.bumped_at)
    changed: dict[str, Any] = {}
    if item.posts_count != row.posts_count:
        changed["posts_count"] = item.posts_count
    if item.bumped_at != row.bumped_at:
        changed["bumped_at"] = item.bumped_at
    if changed:
        store.save(engine, item.topic_id, **changed)
    return None


# --------------------------------------------------------------------------- webhooks


def handle_event(
    engine: Engine,
    settings: Settings,
    client: ChallengeForum,
    name: str,
    payload: dict[str, Any],
    *,
    wait_for_lease: float = 10.0,
) -> str | None:
    """Answer at once on `topic_created`, `topic_edited` and `post_edited` (of a first post) in
    the challenges category; note a deleted reply on `post_destroyed`. None when the event is
    not about a challenge. Payload shapes: API-NOTES §12."""
    category = store.load_category(engine, settings.challenges.slug)
    if category is None:
        return None
    topic_id: int | None = None
    # A title edit comes as topic_edited alone, a body edit as post_edited alone (core
    # config/initializers/012-web_hook_events.rb: never both for one revision).
    if name in ("topic_created", "topic_edited") and isinstance(payload.get("topic"), dict):
        topic = payload["topic"]
        if topic.get("category_id") == category.category_id:
            topic_id = int(topic["id"])
    elif name in ("post_edited", "post_destroyed") and isinstance(payload.get("post"), dict):
        post = payload["post"]
        if name == "post_destroyed":
            owner = store.topic_of_reply(engine, int(post.get("id") or 0))
            if owner is None:
                return None
            store.save(engine, owner, status=ChallengeStatus.reply_deleted)
            return "challenge reply deleted"
        if post.get("post_number") == 1 and post.get("category_id") == category.category_id:
            topic_id = int(post["topic_id"])
    if topic_id is None:
        return None
    lease = acquire_waiting(engine, CHALLENGES_LEASE, wait_for_lease)
    if lease is None:
        return "challenge deferred to the next pull (another run is answering)"
    try:
        answerer = Answerer(client, engine, settings, category, _records_loader(engine, settings))
        outcome = answerer.process_topic(topic_id, store.load_one(engine, topic_id))
        return f"challenge {outcome.result.value}"
    finally:
        lease.release()


def with_challenges(
    inner: Callable[[Any], str], engine: Engine, settings: Settings, client: ChallengeForum
) -> Callable[[Any], str]:
    """A webhook processor (bridge.loop.events) that also answers challenges at once
    (bridge.sync.category_topics.with_step)."""
    return with_step(
        inner,
        lambda name, payload: handle_event(engine, settings, client, name, payload),
        "challenge",
    )
