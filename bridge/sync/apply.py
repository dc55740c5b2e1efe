"""Applying a plan: the only part of the sync engine that talks to the forum.

Every confirmed write is committed at once (bridge.sync.store), so a run killed at any point
loses nothing and the next run carries on from what was confirmed:
- a create goes through the forum-object kernel (bridge.sync.kernel, `_TopicWrite` below): its
  intent (create_started_at) committed first; a record found with an intent and no topic is
  looked up by external id before anything is created again (Adopt); a lost answer
  (AmbiguousWrite) is followed by a lookup, never by a blind retry; "external id taken" ends in
  the same lookup and adoption;
- an update commits each request's fields as soon as that request succeeds.

Failures of one record (Discourse's 422 with its reasons, a record too long for a post, a 404
that means a moderator deleted the topic) are recorded against it and the run goes on. A refused
key or an unreachable forum (ForumAuthError, ForumUnreachable) propagates and stops the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.engine import Engine

from bridge.forum.client import NewTopic, Topic
from bridge.forum.errors import (
    ForumAuthError,
    ForumError,
    ForumNotFound,
    ForumUnreachable,
    ForumValidationError,
)
from bridge.rules.discourse import TITLE_TAKEN, body_fingerprint, prettify_title
from bridge.sync import state, store
from bridge.sync.desired import DesiredTopic
from bridge.sync.kernel import Forum as Forum
from bridge.sync.kernel import Lookup, WriteFailed, create_or_adopt, reasons
from bridge.sync.plan import (
    Action,
    Adopt,
    Create,
    Deleted,
    Invalid,
    PlanOptions,
    Result,
    StatusChange,
    Unchanged,
    Update,
    plan_record,
)

log = logging.getLogger("bridge.sync")


@dataclass(frozen=True)
class Outcome:
    ref: str
    action: str  # the planned action's name
    result: Result
    fields: tuple[str, ...] = ()
    error: str | None = None
    topic_id: int | None = None
    # A moderator's changes undone by this write (catalogue-wins), printed by `sync` (issue 28).
    reverted: tuple[str, ...] = ()


def _category_gone(exc: ForumError) -> bool:
    return (
        exc.status == 400
        and exc.error_type == "invalid_parameters"
        and any("category" in str(e) for e in exc.errors)
    )


# This record's action failed; the message is for a person (Discourse's reasons included).
RecordFailed = WriteFailed
_reasons = reasons


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
            if isinstance(action, (Create, Adopt)):
                # Through the kernel: an Adopt looks its external id up before anything else.
                return create_or_adopt(
                    _TopicWrite(self, action),
                    look_first=isinstance(action, Adopt),
                    hint=f"`digicanvis sync --recreate-deleted {action.ref}` creates a new one",
                )
            if isinstance(action, Update):
                return self._update(action)
            if isinstance(action, Unchanged):
                if action.touch:
                    state.touch(
                        self.engine,
                        action.project_id,
                        action.content_hash,
                        agreed_closed=action.agreed_closed,
                    )
                return Outcome(action.ref, action.name, action.result)
            if isinstance(action, Deleted):
                return Outcome(action.ref, action.name, action.result, topic_id=action.topic_id)
            if isinstance(action, Invalid):
                raise RecordFailed(action.error)
            raise TypeError(f"unknown action {action!r}")
        except (ForumAuthError, ForumUnreachable):
            raise
        except RecordFailed as exc:
            return self._failed(action, str(exc))
        except ForumNotFound as exc:
            if isinstance(action, Update):
                state.record_remote_deleted(self.engine, action.project_id)
                return Outcome(
                    action.ref,
                    action.name,
                    Result.deleted,
                    error=_reasons(exc),
                    topic_id=action.topic_id,
                )
            return self._failed(action, f"the forum answered 404: {_reasons(exc)}")
        except ForumError as exc:
            if _category_gone(exc) and isinstance(action, (Create, Adopt, Update)):
                # Discourse answers 400 invalid_parameters "category" for an id it does not have
                # (API-NOTES §3): the cached category was deleted in the forum.
                store.forget_category(self.engine, action.desired.area)
                area = action.desired.area
                return self._failed(
                    action,
                    f"the forum has no category {self.categories.get(area)} for area {area} any "
                    "more; it is found or created again at the next sync",
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
        state.record_failure(self.engine, action.project_id, error, external_id=new_id)
        return Outcome(action.ref, action.name, Result.failed, error=error)

    # ------------------------------------------------------------------ create / adopt

    def _adopt(self, action: Create | Adopt, topic: Topic) -> Outcome:
        """Pair the record with a topic found by its external id, then bring the topic in line."""
        ref, name, pid, d = action.ref, action.name, action.project_id, action.desired
        if topic.deleted:
            state.record_remote_deleted(self.engine, pid)
            return Outcome(ref, name, Result.deleted, topic_id=topic.id)
        first_post_id = topic.first_post_id or self._first_post_id(topic.id)
        raw = self.client.post_raw(first_post_id)
        state.record_paired(
            self.engine,
            pid,
            topic_id=topic.id,
            first_post_id=first_post_id,
            topic_slug=topic.slug,
            title=topic.title,
            category_id=topic.category_id,
            tags=topic.tags,
            body_hash=body_fingerprint(raw) if raw is not None else None,
            closed=topic.closed,
            content_hash=None,
            complete=False,
        )
        # What the forum shows is now "what we wrote"; the planner says what still differs.
        stored = state.load_state(self.engine, pid)
        assert stored is not None
        follow = plan_record(d, stored, self.categories, self.options, set())
        if isinstance(follow, Update):
            outcome = self._update(follow)
            if outcome.result is Result.failed:
                return replace(outcome, action=name)
            return Outcome(ref, name, Result.adopted, fields=follow.changed, topic_id=topic.id)
        state.record_synced(self.engine, pid, content_hash=d.content_hash)
        return Outcome(ref, name, Result.adopted, topic_id=topic.id)

    def _first_post_id(self, topic_id: int) -> int:
        first = self.client.read_topic(topic_id).first_post_id
        if first is None:
            raise RecordFailed(f"topic {topic_id} shows no first post")
        return first

    # ------------------------------------------------------------------ update / close / reopen

    def _update(self, action: Update) -> Outcome:
        """The fewest requests: the body with its title and category in one PUT /posts/{id} (one
        revision); tags, or title and category without a body change, in one PUT /t/-/{id}; then
        the status. Only changed fields are sent, each as Discourse stores it. Each request's
        confirmed fields are committed at once; the last one's with the record's `synced`."""
        d, pid = action.desired, action.project_id
        changed = set(action.changed)
        title = d.title if "title" in changed else None
        category_id = self._category(d) if "category" in changed else None
        tags = list(d.tags) if "tags" in changed else None
        pending: dict[str, Any] = {}  # confirmed, not yet committed

        def commit() -> None:
            if pending:
                state.record_written(self.engine, pid, **pending)
                pending.clear()

        if "body" in changed:
            post_id = action.first_post_id or self._first_post_id(action.topic_id)

            def send_post(t: str | None) -> None:
                self.client.update_post(
                    post_id,
                    raw=d.raw,
                    edit_reason=action.edit_reason,
                    title=_as_stored(t),
                    category_id=category_id,
                )

            sent = self._send_titled(send_post, title, d, refused=None)
            pending |= {"body_hash": d.body_hash, "first_post_id": post_id}
            pending |= _topic_written(sent, category_id, None)
            title = category_id = None  # written with the body
        if title is not None or category_id is not None or tags is not None:
            commit()

            def send_topic(t: str | None) -> None:
                self.client.update_topic(
                    action.topic_id, title=_as_stored(t), category_id=category_id, tags=tags
                )

            sent = self._send_titled(
                send_topic, title, d, refused="the forum refused the topic update"
            )
            pending |= _topic_written(sent, category_id, tags)
        if action.status:
            commit()
            closed = action.status is StatusChange.close
            self.client.set_topic_status(action.topic_id, "closed", closed)
            pending["closed"] = closed
        elif action.agreed_closed is not None:
            pending["closed"] = action.agreed_closed
        # An archived record's content is not written (only its topic closed): its content_hash
        # stays, so restoring it brings the content up to date.
        state.record_synced(
            self.engine,
            pid,
            content_hash=None if d.closed else d.content_hash,
            repaired=action.repairs + (("closed",) if action.agreed_closed is not None else ()),
            **pending,
        )
        return Outcome(
            action.ref,
            action.name,
            action.result,
            fields=action.changed,
            topic_id=action.topic_id,
            reverted=action.repairs,
        )

    def _send_titled(
        self,
        send: Callable[[str | None], None],
        title: str | None,
        d: DesiredTopic,
        *,
        refused: str | None,
    ) -> str | None:
        """Send a request that may carry the title; when a topic we do not own has that title,
        send it again with the fallback. Returns the title sent. `refused` prefixes other 422s
        (None lets them reach apply() as they are)."""
        while True:
            try:
                send(title)
                return title
            except ForumValidationError as exc:
                if _category_gone(exc):
                    raise  # handled in apply(): the cached category is forgotten
                if title is not None and _title_taken(exc) and title != d.fallback_title:
                    title = d.fallback_title
                    continue
                if refused is None:
                    raise
                raise RecordFailed(f"{refused}: {_reasons(exc)}") from exc

    def _category(self, d: DesiredTopic) -> int:
        try:
            return self.categories[d.area]
        except KeyError:
            raise RecordFailed(f"no forum category for area {d.area}") from None


def _as_stored(title: str | None) -> str | None:
    """A title as Discourse stores it: it compares what it is sent with what it has as raw
    strings, so an unprettified title would count as a change (a revision, an event, a bump)."""
    return None if title is None else prettify_title(title)


def _topic_written(
    title: str | None, category_id: int | None, tags: list[str] | None
) -> dict[str, Any]:
    """The sync state's columns for topic fields the forum confirmed (titles as it stores them)."""
    written: dict[str, Any] = {}
    if title is not None:
        written["title"] = prettify_title(title)
    if category_id is not None:
        written["category_id"] = category_id
    if tags is not None:
        written["tags"] = tags
    return written


class _TopicWrite:
    """A record's topic as a kernel object (bridge.sync.kernel): its intent and pairing are
    sync_state's (bridge.sync.state), its lookup the external id, its refusal answered by the
    fallback title when a topic we do not own has ours."""

    noun = "topic"

    def __init__(self, applier: Applier, action: Create | Adopt) -> None:
        self.applier, self.action = applier, action
        self.ident = action.external_id
        self.title = action.desired.title
        self.category_id: int | None = None

    @property
    def label(self) -> str:
        return f"record {self.action.ref}"

    def record_intent(self) -> None:
        a = self.action
        self.category_id = self.applier._category(a.desired)
        new = a.new_state if isinstance(a, Create) else False
        replaces = a.replaces_deleted if isinstance(a, Create) else False
        state.record_intent(
            self.applier.engine, a.project_id, a.external_id, new=new, replaces_deleted=replaces
        )

    def clear_intent(self) -> None:
        state.clear_intent(self.applier.engine, self.action.project_id)

    def send(self) -> NewTopic:
        d = self.action.desired
        assert self.category_id is not None
        return self.applier.client.open_topic(
            title=self.title,
            raw=d.raw,
            category_id=self.category_id,
            tags=list(d.tags),
            external_id=self.ident,
        )

    def lookup(self) -> Topic | Lookup:
        return self.applier.client.find_topic(self.ident) or Lookup.absent

    def refused(self, exc: ForumValidationError) -> bool:
        if _category_gone(exc):
            raise exc  # handled in apply(): the cached category is forgotten
        if _title_taken(exc) and self.title != self.action.desired.fallback_title:
            self.title = self.action.desired.fallback_title  # a topic we do not own has it
            return True
        return False

    def confirmed(self, created: NewTopic) -> Outcome:
        a, d = self.action, self.action.desired
        state.record_paired(
            self.applier.engine,
            a.project_id,
            topic_id=created.topic_id,
            first_post_id=created.post_id,
            topic_slug=created.slug,
            title=prettify_title(self.title),  # what Discourse stores (§8), compared next time
            category_id=self.category_id,
            tags=d.tags,
            body_hash=d.body_hash,
            closed=False,
            content_hash=d.content_hash,
            complete=True,
        )
        return Outcome(
            a.ref,
            a.name,
            Result.created,  # an Adopt that found nothing created the topic too
            fields=a.fields,
            topic_id=created.topic_id,
        )

    def adopt(self, topic: Topic) -> Outcome:
        return self.applier._adopt(self.action, topic)
