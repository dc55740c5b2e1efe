"""Applying a plan: the only part of the sync engine that talks to the forum.

Every confirmed write is committed at once (bridge.sync.store), so a run killed at any point
loses nothing and the next run carries on from what was confirmed:
- a create is preceded by its committed intent (create_started_at); a record found with an
  intent and no topic is looked up by external id before anything is created again (Adopt);
- an answer lost after a create (AmbiguousWrite: timeout, dropped connection, 5xx) is followed by
  a lookup, never by a blind retry; "external id taken" ends in the same lookup and adoption;
- an update commits each request's fields as soon as that request succeeds.

Failures of one record (Discourse's 422 with its reasons, a record too long for a post, a 404
that means a moderator deleted the topic) are recorded against it and the run goes on. A refused
key or an unreachable forum (ForumAuthError, ForumUnreachable) propagates and stops the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from sqlalchemy.engine import Engine

from bridge.discourse_rules import TITLE_TAKEN, prettify_title
from bridge.forum.errors import (
    AmbiguousWrite,
    ExternalIdTaken,
    ForumAuthError,
    ForumError,
    ForumNotFound,
    ForumUnreachable,
    ForumValidationError,
)
from bridge.loop.drift import body_fingerprint, tag_names
from bridge.sync import store
from bridge.sync.desired import DesiredTopic
from bridge.sync.plan import (
    Action,
    Adopt,
    Create,
    Deleted,
    Invalid,
    PlanOptions,
    Unchanged,
    Update,
    plan_record,
)

log = logging.getLogger("bridge.sync")

# What an action ended as, for the summary (contract §3 keys, plus adopted and deleted).
CREATED, ADOPTED, UPDATED, ARCHIVED, RESTORED, UNCHANGED, FAILED, DELETED = (
    "created",
    "adopted",
    "updated",
    "archived",
    "restored",
    "unchanged",
    "failed",
    "deleted",
)


class Forum(Protocol):
    """The part of bridge.forum.client.ForumClient the applier uses."""

    requests_made: int

    def create_topic(
        self, *, title: str, raw: str, category_id: int, tags: list[str], external_id: str
    ) -> dict[str, Any]: ...
    def get_topic_by_external_id(self, external_id: str) -> dict[str, Any] | None: ...
    def get_topic(self, topic_id: int, *, include_raw: bool = False) -> dict[str, Any]: ...
    def get_post(self, post_id: int) -> dict[str, Any]: ...
    def update_post(self, post_id: int, *, raw: str, edit_reason: str) -> dict[str, Any]: ...
    def update_topic(
        self,
        topic_id: int,
        *,
        title: str | None = None,
        category_id: int | None = None,
        tags: list[str] | None = None,
    ) -> dict[str, Any]: ...
    def set_topic_status(self, topic_id: int, status: str, enabled: bool) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Outcome:
    ref: str
    action: str  # the planned action's name
    result: str  # CREATED, ADOPTED, UPDATED, …
    fields: tuple[str, ...] = ()
    error: str | None = None
    topic_id: int | None = None


def _category_gone(exc: ForumError) -> bool:
    return (
        exc.status == 400
        and exc.error_type == "invalid_parameters"
        and any("category" in str(e) for e in exc.errors)
    )


class RecordFailed(Exception):
    """This record's action failed; the message is for a person (Discourse's reasons included)."""


def _reasons(exc: ForumError) -> str:
    return "; ".join(exc.errors) if exc.errors else exc.message


def _title_taken(exc: ForumValidationError) -> bool:
    return any(TITLE_TAKEN.lower() in e.lower() for e in exc.errors)


class Applier:
    def __init__(
        self,
        client: Forum,
        engine: Engine,
        categories: Mapping[str, int],
        options: PlanOptions,
        *,
        check: Callable[[], None] = lambda: None,
    ) -> None:
        self.client = client
        self.engine = engine
        self.categories = categories
        self.options = options
        self.check = check  # raises to stop (lease lost); called between actions

    # ------------------------------------------------------------------ entry point

    def apply(self, action: Action) -> Outcome:
        """Carry out one action. Raises only what must stop the whole run."""
        self.check()
        try:
            if isinstance(action, Create):
                return self._create(action)
            if isinstance(action, Adopt):
                return self._adopt_or_create(action)
            if isinstance(action, Update):
                return self._update(action)
            if isinstance(action, Unchanged):
                if action.touch and action.content_hash:
                    store.touch(self.engine, action.project_id, action.content_hash)
                return Outcome(action.ref, action.name, UNCHANGED)
            if isinstance(action, Deleted):
                return Outcome(action.ref, action.name, DELETED, topic_id=action.topic_id)
            if isinstance(action, Invalid):
                raise RecordFailed(action.error)
            raise TypeError(f"unknown action {action!r}")
        except (ForumAuthError, ForumUnreachable):
            raise
        except RecordFailed as exc:
            return self._failed(action, str(exc))
        except ForumNotFound as exc:
            if isinstance(action, Update):
                store.record_remote_deleted(self.engine, action.project_id)
                return Outcome(
                    action.ref, action.name, DELETED, error=_reasons(exc), topic_id=action.topic_id
                )
            return self._failed(action, f"the forum answered 404: {_reasons(exc)}")
        except ForumError as exc:
            if _category_gone(exc) and isinstance(action, (Create, Adopt, Update)):
                # Discourse answers 400 invalid_parameters "category" for an id it does not have
                # (API-NOTES §3): the cached category was deleted in the forum.
                store.forget_category(self.engine, action.desired.area)
                return self._failed(
                    action,
                    f"the forum has no category {self.categories.get(action.desired.area)} for area "
                    f"{action.desired.area} any more; it is found or created again at the next sync",
                )
            # 422 with Discourse's reasons, 5xx or 429 still there after the client's retries, an
            # ambiguous create that stayed ambiguous: this record only, retried next run.
            return self._failed(action, _reasons(exc))

    def _failed(self, action: Action, error: str) -> Outcome:
        # A record seen for the first time gets its state row (and external id) with the failure,
        # so `status` lists it.
        new_id = None
        if isinstance(action, Create) and action.new_state:
            new_id = action.external_id
        elif isinstance(action, Invalid):
            new_id = action.new_external_id
        store.record_failure(self.engine, action.project_id, error, external_id=new_id)
        return Outcome(action.ref, action.name, FAILED, error=error)

    # ------------------------------------------------------------------ create / adopt

    def _create(self, action: Create) -> Outcome:
        d = action.desired
        category_id = self._category(d)
        store.record_intent(
            self.engine,
            action.project_id,
            action.external_id,
            new=action.new_state,
            replaces_deleted=action.replaces_deleted,
        )
        return self._send_create(
            action.ref, action.name, action.project_id, action.external_id, d, category_id
        )

    def _adopt_or_create(self, action: Adopt) -> Outcome:
        topic = self.client.get_topic_by_external_id(action.external_id)
        if topic is not None:
            return self._adopt(
                action.ref,
                action.name,
                action.project_id,
                action.external_id,
                action.desired,
                topic,
            )
        category_id = self._category(action.desired)
        store.record_intent(self.engine, action.project_id, action.external_id, new=False)
        return self._send_create(
            action.ref,
            action.name,
            action.project_id,
            action.external_id,
            action.desired,
            category_id,
        )

    def _send_create(
        self,
        ref: str,
        name: str,
        project_id: int,
        external_id: str,
        d: DesiredTopic,
        category_id: int,
    ) -> Outcome:
        title = d.title
        looked_up = False
        for _attempt in range(3):  # at most: one title fallback and one create after a lookup
            try:
                post = self.client.create_topic(
                    title=title,
                    raw=d.raw,
                    category_id=category_id,
                    tags=list(d.tags),
                    external_id=external_id,
                )
            except ExternalIdTaken:
                # A topic already carries our id (an earlier run whose answer was lost, a catalogue
                # restored from a backup): adopt it rather than create a second one.
                topic = self.client.get_topic_by_external_id(external_id)
                if topic is None:
                    raise RecordFailed(
                        f"external id {external_id} is taken by a topic the API user cannot see "
                        f"(deleted?); `digicanvis sync --recreate-deleted {ref}` creates a new one"
                    ) from None
                return self._adopt(ref, name, project_id, external_id, d, topic)
            except AmbiguousWrite as exc:
                # The create may or may not have happened: look before anything else.
                topic = self.client.get_topic_by_external_id(external_id)
                if topic is not None:
                    return self._adopt(ref, name, project_id, external_id, d, topic)
                if looked_up:
                    raise RecordFailed(
                        f"the forum's answer to the create was lost twice ({exc.message}); retried next run"
                    ) from None
                looked_up = (
                    True  # not there: the create did not happen, so sending it again is safe
                )
                continue
            except ForumValidationError as exc:
                if _category_gone(exc):
                    raise  # handled in apply(): the cached category is forgotten
                if _title_taken(exc) and title != d.fallback_title:
                    title = d.fallback_title  # a topic we do not own has our title
                    continue
                # A definite refusal: nothing was created, so the next run need not look it up.
                store.clear_intent(self.engine, project_id)
                raise RecordFailed(f"the forum refused the topic: {_reasons(exc)}") from None
            store.record_paired(
                self.engine,
                project_id,
                topic_id=int(post["topic_id"]),
                first_post_id=int(post["id"]),
                topic_slug=post.get("topic_slug"),
                title=prettify_title(title),  # what Discourse stores (§8), compared next time
                category_id=category_id,
                tags=d.tags,
                body_hash=d.body_hash,
                closed=False,
                content_hash=d.content_hash,
                complete=True,
            )
            return Outcome(
                ref,
                name,
                CREATED,
                fields=("title", "body", "category", "tags"),
                topic_id=int(post["topic_id"]),
            )
        raise RecordFailed("the forum kept refusing the create")

    def _adopt(
        self,
        ref: str,
        name: str,
        project_id: int,
        external_id: str,
        d: DesiredTopic,
        topic: dict[str, Any],
    ) -> Outcome:
        """Pair the record with a topic found by its external id, then bring the topic in line."""
        if topic.get("deleted_at"):
            store.record_remote_deleted(self.engine, project_id)
            return Outcome(ref, name, DELETED, topic_id=topic.get("id"))
        topic_id = int(topic["id"])
        posts = (topic.get("post_stream") or {}).get("posts") or []
        first_post_id = next(
            (p["id"] for p in posts if p.get("post_number") == 1), posts[0]["id"] if posts else None
        )
        if first_post_id is None:
            first_post_id = self._first_post_id(topic_id)
        raw = self.client.get_post(first_post_id).get("raw")
        tags = tag_names(topic.get("tags")) or ()
        store.record_paired(
            self.engine,
            project_id,
            topic_id=topic_id,
            first_post_id=first_post_id,
            topic_slug=topic.get("slug"),
            title=topic.get("title"),
            category_id=topic.get("category_id"),
            tags=tags,
            body_hash=body_fingerprint(raw) if raw is not None else None,
            closed=bool(topic.get("closed")),
            content_hash=None,
            complete=False,
        )
        # What the forum shows is now "what we wrote"; the planner says what still differs.
        stored = store.load_state(self.engine, project_id)
        assert stored is not None
        follow = plan_record(d, stored, self.categories, self.options, set())
        if isinstance(follow, Update):
            outcome = self._update(follow)
            if outcome.result == FAILED:
                return replace(outcome, action=name)
            return Outcome(ref, name, ADOPTED, fields=follow.changed, topic_id=topic_id)
        store.record_synced(self.engine, project_id, content_hash=d.content_hash)
        return Outcome(ref, name, ADOPTED, topic_id=topic_id)

    def _first_post_id(self, topic_id: int) -> int:
        topic = self.client.get_topic(topic_id)
        posts = (topic.get("post_stream") or {}).get("posts") or []
        if not posts:
            raise RecordFailed(f"topic {topic_id} shows no first post")
        return int(posts[0]["id"])

    # ------------------------------------------------------------------ update / close / reopen

    def _update(self, action: Update) -> Outcome:
        d = action.desired
        pid = action.project_id
        if "body" in action.changed:
            post_id = action.first_post_id or self._first_post_id(action.topic_id)
            self.client.update_post(post_id, raw=d.raw, edit_reason=action.edit_reason)
            store.record_written(self.engine, pid, body_hash=d.body_hash, first_post_id=post_id)
        topic_fields = [f for f in ("title", "category", "tags") if f in action.changed]
        if topic_fields:
            self._update_topic(action, topic_fields)
        if action.status:
            closed = action.status == "close"
            self.client.set_topic_status(action.topic_id, "closed", closed)
            store.record_written(self.engine, pid, closed=closed)
        # An archived record's content is not written (only its topic closed): its content_hash
        # stays, so restoring it brings the content up to date.
        store.record_synced(
            self.engine,
            pid,
            content_hash=None if d.closed else d.content_hash,
            repaired=action.repairs,
        )
        result = {"close": ARCHIVED, "reopen": RESTORED}.get(action.name, UPDATED)
        return Outcome(
            action.ref, action.name, result, fields=action.changed, topic_id=action.topic_id
        )

    def _update_topic(self, action: Update, fields: list[str]) -> None:
        d = action.desired
        title = d.title if "title" in fields else None
        category_id = self._category(d) if "category" in fields else None
        tags = list(d.tags) if "tags" in fields else None
        while True:
            try:
                self.client.update_topic(
                    action.topic_id, title=title, category_id=category_id, tags=tags
                )
                break
            except ForumValidationError as exc:
                if _category_gone(exc):
                    raise  # handled in apply(): the cached category is forgotten
                if title is not None and _title_taken(exc) and title != d.fallback_title:
                    title = d.fallback_title
                    continue
                raise RecordFailed(f"the forum refused the topic update: {_reasons(exc)}") from None
        written: dict[str, Any] = {}
        if title is not None:
            written["title"] = prettify_title(title)
        if category_id is not None:
            written["category_id"] = category_id
        if tags is not None:
            written["tags"] = tags
        store.record_written(self.engine, action.project_id, **written)

    def _category(self, d: DesiredTopic) -> int:
        try:
            return self.categories[d.area]
        except KeyError:
            raise RecordFailed(f"no forum category for area {d.area}") from None
