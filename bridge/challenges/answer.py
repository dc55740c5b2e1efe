"""One challenge answered: read, matched, replied to once, that reply edited when the matches
change. Crash-safe like the sync's creates: the intent (`reply_started_at`) is stored before the
reply is sent, and a topic's posts are searched for the bridge's own reply before anything is
posted, so a run that died between posting and recording adopts its reply instead of posting a
second one.

Rules (issue 12 point 4): only topics of the challenges category, open and not archived or
deleted, opened by someone other than the bridge's API user; a reply a moderator deleted is
never posted again; no post but the bridge's own reply is ever edited (checked before each edit).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy.engine import Engine

from bridge.challenges import store
from bridge.challenges.matching import Suggestion, suggest
from bridge.forum.errors import (
    AmbiguousWrite,
    ForumAuthError,
    ForumError,
    ForumNotFound,
    ForumUnreachable,
)
from bridge.loop.activity import parse_time
from bridge.models.challenges import ChallengeStatus
from bridge.models.types import utcnow
from bridge.settings import Settings
from bridge.sync.category_topics import TopicStepForum, is_own_reply, same_user, unread_posts
from bridge.sync.drift import body_fingerprint
from bridge.sync.kernel import Lookup, ReplyPost, WriteFailed, create_or_adopt
from bridge.sync.render import render_challenge_reply

log = logging.getLogger("bridge.challenges")


class ChallengeForum(TopicStepForum, Protocol):
    def get_post(self, post_id: int) -> dict[str, Any]: ...
    def update_post(self, post_id: int, *, raw: str, edit_reason: str) -> dict[str, Any]: ...


class Result(StrEnum):
    posted = "posted"
    adopted = "adopted"  # the reply of an interrupted run, found and recorded
    edited = "edited"
    unchanged = "unchanged"
    no_match = "no_match"  # replied that nothing in the catalogue matches yet
    closed = "closed"
    ignored = "ignored"
    reply_deleted = "reply_deleted"
    failed = "failed"


@dataclass(frozen=True)
class Outcome:
    topic_id: int
    result: Result
    error: str | None = None


def text_fingerprint(title: str, raw: str) -> str:
    return body_fingerprint(f"{title}\n{raw}")


class Answerer:
    """Answers challenges for one run (a pull, or one webhook event)."""

    def __init__(
        self,
        client: ChallengeForum,
        engine: Engine,
        settings: Settings,
        category: store.CachedCategory,
        records: Callable[[], list[dict[str, Any]]],
    ) -> None:
        self.client, self.engine, self.settings, self.category = client, engine, settings, category
        self._records_loader = records
        self._records: list[dict[str, Any]] | None = None

    def _place_of(self, council: str) -> dict[str, Any] | None:
        """A council's place in the gazetteer (the home country's first): None when unknown or
        ambiguous, so a wrong guess never steers the answer."""
        from bridge.places import store as places_store

        with self.engine.begin() as conn:
            places_store.ensure_builtin(conn)
            found = places_store.gazetteer(conn).find(council)
        home = self.settings.home_region[:2]
        local = [p for p in found if p.country == home] or found
        return local[0].as_dict() if len(local) == 1 else None

    @property
    def records(self) -> list[dict[str, Any]]:
        if self._records is None:  # read once per run, and only when something needs matching
            self._records = self._records_loader()
        return self._records

    # ------------------------------------------------------------------ entry points

    def process_topic(
        self, topic_id: int, known: store.Known | None, bumped_at: datetime | None = None
    ) -> Outcome:
        """Read the topic (first posts with their raw) and do what it needs."""
        try:
            view = self.client.get_topic(topic_id, include_raw=True)
        except ForumNotFound:
            # Gone before it was ever seen in the category: nothing to record.
            return self._close(topic_id, known, in_category=known is not None)
        return self.process_view(view, known, bumped_at)

    def process_view(
        self, view: dict[str, Any], known: store.Known | None, bumped_at: datetime | None = None
    ) -> Outcome:
        topic_id = int(view["id"])
        in_category = view.get("category_id") == self.category.category_id
        if not in_category or view.get("deleted_at") or view.get("closed") or view.get("archived"):
            return self._close(topic_id, known, title=view.get("title"), in_category=in_category)
        author = ((view.get("details") or {}).get("created_by") or {}).get("username")
        if same_user(author, self.client.api_username) or topic_id == (
            self.category.definition_topic_id
        ):
            if known is None or known.status != ChallengeStatus.ignored:
                self._save(
                    topic_id, title=str(view.get("title") or ""), status=ChallengeStatus.ignored
                )
            return Outcome(topic_id, Result.ignored)
        posts = list((view.get("post_stream") or {}).get("posts") or [])
        first = next((p for p in posts if p.get("post_number") == 1), None)
        if first is None:
            return self._close(topic_id, known, title=view.get("title"))
        title = str(view.get("title") or "")
        raw = str(first.get("raw") or "")
        signals: dict[str, Any] = {
            "title": title,
            "author": author,
            "first_post_id": first.get("id"),
            "post_version": first.get("version"),
            "post_updated_at": first.get("updated_at"),
            "posts_count": int(view.get("posts_count") or len(posts)),
        }
        if bumped_at is not None:
            signals["bumped_at"] = bumped_at
        text_hash = text_fingerprint(title, raw)
        if known is not None and known.status == ChallengeStatus.reply_deleted:
            self._save_if_changed(known, signals)
            return Outcome(topic_id, Result.reply_deleted)
        reply_id = known.reply_post_id if known else None
        adopted = False
        if reply_id is None:
            mine = self._own_reply(topic_id, view, posts)
            if mine is not None:
                reply_id, adopted = int(mine["id"]), True
                self._adopted(topic_id, signals, mine)
                known = store.load_one(self.engine, topic_id)
        if (
            known is not None
            and not adopted
            and known.text_hash == text_hash
            and known.status in (ChallengeStatus.answered, ChallengeStatus.no_match)
        ):
            self._save_if_changed(known, signals)
            return Outcome(topic_id, Result.unchanged)
        try:
            suggestions = suggest(
                self.records,
                title,
                raw,
                limit=self.settings.challenges.max_matches,
                resolve=self._place_of,
            )
        except Exception as exc:  # a text the engine chokes on must not stop the pull
            log.exception("matching challenge %s failed", topic_id)
            return self._failed(topic_id, known, signals, f"matching failed: {exc}")
        refs = tuple(s.ref for s in suggestions)
        if reply_id is None:
            # Nothing relevant (issue 21): the reply says so plainly and lists nothing, never
            # the nearest projects as filler.
            return self._post(topic_id, known, signals, text_hash, suggestions)
        same_reply = (
            adopted
            and known is not None
            and known.reply_hash
            == body_fingerprint(render_challenge_reply(suggestions, settings=self.settings))
        )
        # The same projects in another order are the same matches: the reply is left alone.
        if known is not None and (set(refs) == set(known.matched_refs) or same_reply):
            self._save(
                topic_id,
                **signals,
                text_hash=text_hash,
                matched_refs=refs,
                status=_answered(suggestions),
            )
            return Outcome(topic_id, Result.adopted if adopted else Result.unchanged)
        return self._edit(topic_id, known, reply_id, signals, text_hash, suggestions)

    # ------------------------------------------------------------------ writing

    def _post(
        self,
        topic_id: int,
        known: store.Known | None,
        signals: dict[str, Any],
        text_hash: str,
        suggestions: tuple[Suggestion, ...],
    ) -> Outcome:
        reply = _ReplyWrite(self, topic_id, signals, text_hash, suggestions)
        try:
            # Through the forum-object kernel: the intent first, so that if we die after the
            # forum took the reply, the next run looks for it (process_view's _own_reply).
            return create_or_adopt(reply)
        except (ForumAuthError, ForumUnreachable):
            raise
        except AmbiguousWrite as exc:
            # The forum may have the reply: keep the intent, the next run looks before posting.
            return self._failed(topic_id, known, {}, str(exc))
        except (ForumError, WriteFailed) as exc:
            # Refused (rate limit, validation): nothing was posted. Retried next run.
            return self._failed(topic_id, known, {"reply_started_at": None}, str(exc))

    def _edit(
        self,
        topic_id: int,
        known: store.Known | None,
        reply_id: int,
        signals: dict[str, Any],
        text_hash: str,
        suggestions: tuple[Suggestion, ...],
    ) -> Outcome:
        raw = render_challenge_reply(suggestions, settings=self.settings)
        try:
            post = self.client.get_post(reply_id)
        except ForumNotFound:
            post = {"deleted_at": "gone"}
        if post.get("deleted_at") or post.get("user_deleted"):
            self._save(topic_id, **signals, status=ChallengeStatus.reply_deleted)
            return Outcome(topic_id, Result.reply_deleted)
        if not same_user(post.get("username"), self.client.api_username) or (
            post.get("topic_id") != topic_id
        ):
            return self._failed(
                topic_id,
                known,
                signals,
                f"post {reply_id} is not the bridge's reply to this challenge: never edited",
            )
        try:
            if body_fingerprint(str(post.get("raw") or "")) != body_fingerprint(raw):
                self.client.update_post(
                    reply_id, raw=raw, edit_reason=self.settings.label("edit_reason_challenge")
                )
        except (ForumAuthError, ForumUnreachable):
            raise
        except ForumError as exc:
            # The first post's signals are not stored, so the next pull sees the edit again and
            # retries it.
            return self._failed(topic_id, known, {}, str(exc))
        self._save(
            topic_id,
            **signals,
            text_hash=text_hash,
            matched_refs=tuple(s.ref for s in suggestions),
            reply_hash=body_fingerprint(raw),
            status=_answered(suggestions),
            last_error=None,
            attempts=0,
        )
        return Outcome(topic_id, Result.edited)

    def _own_reply(
        self, topic_id: int, view: dict[str, Any], posts: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        """The bridge's reply already in the topic (an interrupted run's, or one a lost database
        forgot), if any. The topic view holds the first 20 posts; the rest of its stream is read,
        20 a request, only when those hold none (a topic with more replies than that before the
        bridge answered it is rare)."""

        def mine(candidates: list[dict[str, Any]]) -> dict[str, Any] | None:
            return next((p for p in candidates if is_own_reply(p, self.client.api_username)), None)

        found = mine(posts)
        if found is not None:
            return found
        for ids in unread_posts(view, posts):
            found = mine(self.client.get_topic_posts(topic_id, ids))
            if found is not None:
                return self.client.get_post(int(found["id"]))  # with its raw
        return None

    # ------------------------------------------------------------------ bookkeeping

    def _adopted(self, topic_id: int, signals: dict[str, Any], mine: dict[str, Any]) -> None:
        """The bridge's own reply, found in the topic, paired with the challenge (the intent
        cleared): what it says is compared with the matches next."""
        self._save(
            topic_id,
            **signals,
            reply_post_id=int(mine["id"]),
            reply_hash=body_fingerprint(str(mine.get("raw") or "")),
            reply_started_at=None,
            status=ChallengeStatus.answered,
            answered_at=parse_time(mine.get("created_at")) or utcnow(),
        )

    def _save(self, topic_id: int, **values: Any) -> None:
        store.save(self.engine, topic_id, **values)

    def _close(
        self,
        topic_id: int,
        known: store.Known | None,
        title: Any = None,
        *,
        in_category: bool = True,
    ) -> Outcome:
        if known is None and not in_category:
            # Never a challenge (issue 28 point 2): a topic outside the challenges category,
            # however an event named it (a forged topic_created naming a record's topic), is
            # not recorded, so it never shows in `challenges list --all`.
            return Outcome(topic_id, Result.ignored)
        if known is None or known.status != ChallengeStatus.closed:
            values: dict[str, Any] = {"status": ChallengeStatus.closed}
            if title is not None:
                values["title"] = str(title)
            self._save(topic_id, **values)
        return Outcome(topic_id, Result.closed)

    def _failed(
        self, topic_id: int, known: store.Known | None, values: dict[str, Any], error: str
    ) -> Outcome:
        self._save(
            topic_id,
            **values,
            last_error=error[:2000],
            attempts=(known.attempts if known else 0) + 1,
        )
        log.warning("challenge %s: %s", topic_id, error)
        return Outcome(topic_id, Result.failed, error)

    def _save_if_changed(self, known: store.Known, signals: dict[str, Any]) -> None:
        """Write the list's and first post's signals only when they moved: a pull with nothing
        new writes nothing."""
        changed = {k: v for k, v in signals.items() if getattr(known, k) != v}
        if changed:
            self._save(known.topic_id, **changed)


def _answered(suggestions: tuple[Suggestion, ...]) -> ChallengeStatus:
    """A replied challenge's status: `no_match` when the reply says nothing matches yet."""
    return ChallengeStatus.answered if suggestions else ChallengeStatus.no_match


class _ReplyWrite(ReplyPost):
    """A challenge's reply as a kernel object (bridge.sync.kernel): its intent and pairing are
    the challenges table's (bridge.challenges.store). It has no external id: it is found among
    the topic's posts by its author, which the next run's topic read shows anyway
    (`Answerer._own_reply`), so a lost answer is looked up then."""

    def __init__(
        self,
        answerer: Answerer,
        topic_id: int,
        signals: dict[str, Any],
        text_hash: str,
        suggestions: tuple[Suggestion, ...],
    ) -> None:
        self.answerer, self.topic_id, self.signals = answerer, topic_id, signals
        self.text_hash, self.suggestions = text_hash, suggestions
        self.raw = render_challenge_reply(suggestions, settings=answerer.settings)

    @property
    def label(self) -> str:
        return f"the reply to challenge {self.topic_id}"

    def record_intent(self) -> None:
        self.answerer._save(
            self.topic_id,
            **self.signals,
            matched_refs=tuple(s.ref for s in self.suggestions),
            status=ChallengeStatus.pending,
            reply_started_at=utcnow(),
        )

    def clear_intent(self) -> None:
        self.answerer._save(self.topic_id, reply_started_at=None)

    def send(self) -> dict[str, Any]:
        return self.answerer.client.reply_to_topic(self.topic_id, self.raw)

    def lookup(self) -> dict[str, Any] | Lookup:
        return Lookup.next_run

    def confirmed(self, created: dict[str, Any]) -> Outcome:
        # Our reply is a post of the topic and bumps it to its own time (core lib/post_creator.rb
        # sets the topic's bumped_at from the new post): remember both, or the next list read
        # would look like news.
        after: dict[str, Any] = {"posts_count": int(self.signals.get("posts_count") or 1) + 1}
        if parse_time(created.get("created_at")) is not None:
            after["bumped_at"] = parse_time(created.get("created_at"))
        self.answerer._save(
            self.topic_id,
            **after,
            text_hash=self.text_hash,
            reply_post_id=int(created["id"]),
            reply_hash=body_fingerprint(self.raw),
            reply_started_at=None,
            status=_answered(self.suggestions),
            answered_at=utcnow(),
            last_error=None,
            attempts=0,
        )
        return Outcome(self.topic_id, Result.posted if self.suggestions else Result.no_match)

    def adopt(self, mine: dict[str, Any]) -> Outcome:
        self.answerer._adopted(self.topic_id, self.signals, mine)
        return Outcome(self.topic_id, Result.adopted)
