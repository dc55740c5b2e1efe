"""Connection requests in the forum (issue 22): the category `sync` makes, the step `pull` runs,
and the webhook handler that acts at once.

What one pull costs, for R requests of which C changed since the last pull:
- ceil(R / 100) list reads of the connections category (pages of `per_page=100`, as the
  challenges' and the areas' lists are read);
- one `GET /t/{id}.json?include_raw=true` per new request and per changed one (its list entry
  moved: a reply, an edit); an unchanged request costs nothing beyond the list;
- for requests made as replies in a project's own topic: one `GET /t/{id}.json?include_raw=true`
  per project topic the activity pull saw grow (its post ids and first chunk), and one
  `GET /t/{id}/posts.json` when its new posts lie beyond that chunk; a project topic that did
  not grow costs nothing (the bridge's own note grows it once: read once at the next pull);
- one write per invite (`POST /t/{id}/invite.json`) and one per bridge post (the note that
  names who was invited; at most one reminder).
Tags (`visita-acordada`…), closing and Discourse Solved's `has_accepted_answer` come with the
list, so agreeing or closing costs no read. `scripts/bench_requests.py` prints it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import partial
from typing import Any

from sqlalchemy.engine import Engine

from bridge.connections import forum_writes, rules, store
from bridge.connections.forum_writes import ConnectionForum, Sent, Which
from bridge.forum.errors import ForumAuthError, ForumError, ForumNotFound, ForumUnreachable
from bridge.loop.activity import TopicSeen, parse_time
from bridge.models.enums import InviteState, RequestKind, RequestNote, RequestStatus
from bridge.models.types import utcnow
from bridge.rules.discourse import body_fingerprint
from bridge.settings import Settings
from bridge.sync.category_topics import (
    ListedTopic,
    StepRun,
    acquire_waiting,
    listed_under_lease,
    walk,
    with_step,
)

log = logging.getLogger("bridge.connections")

CONNECTIONS_LEASE = "connections"
_DONE = (RequestStatus.closed, RequestStatus.ignored)


# --------------------------------------------------------------------------- the category


def ensure_connection_category(
    client: Any, engine: Engine, settings: Settings
) -> store.CachedCategory | None:
    """Find or create the `[connections]` category (as the challenges' one) and write its
    definition post, the template of a request, when it is not what the bridge last wrote.
    A no-op sync costs no request."""
    from bridge.sync.categories import category_stands, step_category
    from bridge.sync.render import render_request_template

    cfg = settings.connections
    if not cfg.enabled:
        return None
    template = render_request_template(settings=settings)
    digest = body_fingerprint(template)
    cached = store.load_category(engine, cfg.slug)
    if cached is None or not category_stands(settings, cfg, cached):
        fields = step_category(client, settings, cfg, "[connections]")
        cached = store.CachedCategory(**fields, template_hash=None)
        store.save_category(engine, cached)
    if cached.template_hash == digest or cached.definition_topic_id is None:
        return cached
    try:
        view = client.get_topic(cached.definition_topic_id)
        posts = (view.get("post_stream") or {}).get("posts") or []
        first = next((p for p in posts if p.get("post_number") == 1), None)
        if first is not None:
            client.update_post(
                int(first["id"]), raw=template, edit_reason=cfg.label(settings.language)
            )
    except ForumNotFound:
        return cached  # the definition topic is gone: the category works without it
    cached = store.CachedCategory(**{**cached.__dict__, "template_hash": digest})
    store.save_category(engine, cached)
    return cached


# --------------------------------------------------------------------------- one run


@dataclass(frozen=True)
class Listed(ListedTopic):
    tags: tuple[str, ...]
    solved: bool


class Result(StrEnum):
    recorded = "recorded"
    ignored = "ignored"
    invited = "invited"
    replied = "replied"
    reminded = "reminded"
    answered = "answered"
    agreed = "agreed"
    stale = "stale"
    closed = "closed"
    failed = "failed"


@dataclass
class RequestRun(StepRun):
    reads: int = 0
    counts: dict[Result, int] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)

    def add(self, result: Result, n: int = 1) -> None:
        self.counts[result] = self.counts.get(result, 0) + n

    def as_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"listed": self.listed, "pages": self.pages, "reads": self.reads}
        doc.update({r.value: self.counts.get(r, 0) for r in Result})
        doc["failures"] = list(self.failures)
        if self.skipped:
            doc["skipped"] = self.skipped
        return doc


def _tag_names(topic: dict[str, Any]) -> tuple[str, ...]:
    # Current core gives tags as objects {id, name, slug}; older ones as names (API-NOTES §7).
    return tuple(
        str(t.get("name") if isinstance(t, dict) else t).lower() for t in topic.get("tags") or ()
    )


def _listed(topic: dict[str, Any]) -> Listed:
    return Listed(
        **ListedTopic.fields_of(topic),
        tags=_tag_names(topic),
        # Discourse Solved adds `has_accepted_answer` to topic lists.
        solved=bool(topic.get("has_accepted_answer")),
    )


class Requests:
    """One run's work on requests (a pull, or one webhook event)."""

    def __init__(
        self,
        client: ConnectionForum,
        engine: Engine,
        settings: Settings,
        category: store.CachedCategory,
        run: RequestRun,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.client, self.engine, self.settings, self.category = client, engine, settings, category
        self.cfg = settings.connections
        self.run = run
        self.now = now
        self._records: list[dict[str, Any]] | None = None
        self._views: dict[int, dict[str, Any]] = {}

    # ------------------------------------------------------------------ the catalogue, once

    @property
    def records(self) -> list[dict[str, Any]]:
        if self._records is None:  # read once per run, and only when something needs it
            from bridge.catalogue.read_store import Filters, list_records

            # Archived records too: a request for one is told apart from a stray link.
            self._records = list_records(
                self.engine,
                self.settings.home_region,
                self.settings.discourse_url,
                Filters(archived="include"),
            )
        return self._records

    def by_topic(self) -> dict[int, rules.Project]:
        return {
            int(r["topic_id"]): rules.Project(
                r["ref"],
                r["title"],
                (r.get("local_body") or {}).get("name") or "",
                int(r["topic_id"]),
                bool(r.get("archived")),
            )
            for r in self.records
            if r.get("topic_id") is not None
        }

    def project(self, ref: str | None) -> rules.Project | None:
        return next((p for p in self.by_topic().values() if p.ref == ref), None)

    def answerers(self, ref: str) -> set[str]:
        """Who can answer for a project: its contacts' forum users and every forum user listed
        for its council (any of the council's records)."""
        own = next((r for r in self.records if r["ref"] == ref), None)
        if own is None:
            return set()
        council = _council_key(own)
        return {
            str(c["forum_username"]).lower()
            for r in self.records
            if r["ref"] == ref or _council_key(r) == council
            for c in r.get("contacts") or ()
            if c.get("forum_username")
        }

    def _private_contacts(self, ref: str) -> list[dict[str, Any]]:
        """The project's contacts with their addresses: only ever handed to the invite call."""
        from bridge.catalogue.read_store import get_record

        record = get_record(self.engine, ref, self.settings.home_region, private=True)
        return list(record.get("contacts") or ())

    # ------------------------------------------------------------------ reading a topic

    def _view(self, topic_id: int) -> dict[str, Any] | None:
        if topic_id in self._views:  # read already this run (a webhook's event)
            return self._views.pop(topic_id)
        self.run.reads += 1
        try:
            return self.client.get_topic(topic_id, include_raw=True)
        except ForumNotFound:
            return None

    def _first(self, view: dict[str, Any]) -> dict[str, Any] | None:
        posts = (view.get("post_stream") or {}).get("posts") or []
        return next((p for p in posts if p.get("post_number") == 1), None)

    def _linked(self, view: dict[str, Any]) -> rules.Linked:
        first = self._first(view) or {}
        links = rules.linked_topics(str(first.get("raw") or ""), self.settings.discourse_url)
        return rules.find_project(links, self.by_topic(), int(view["id"]))

    # ------------------------------------------------------------------ new requests

    def record_new(self, item: Listed, view: dict[str, Any] | None = None) -> None:
        view = view or self._view(item.topic_id)
        if view is None or view.get("deleted_at"):
            return  # gone before it was read: nothing to record
        first = self._first(view)
        if first is None:
            return
        author = ((view.get("details") or {}).get("created_by") or {}).get("username")
        values: dict[str, Any] = {
            "topic_id": item.topic_id,
            "post_id": int(first["id"]),
            "asker": str(author or "")[:60] or None,
            "asked_at": parse_time(view.get("created_at")) or self.now(),
            "bumped_at": item.bumped_at,
            "posts_count": item.posts_count,
            "tags": list(item.tags),
            "kind": rules.kind_of(
                item.tags, f"{item.title}\n{first.get('raw') or ''}", self.cfg.tags
            ),
        }
        if str(author or "").lower() == self.client.api_username.lower():
            values.update(status=RequestStatus.ignored, note=RequestNote.own_user)
        else:
            linked = self._linked(view)
            values.update(_linked_values(linked))
        self._record(values)

    def _record(self, values: dict[str, Any]) -> None:
        """A new request stored and counted; acted on when it is open."""
        request_id = store.insert(self.engine, **values)
        self.run.add(
            Result.ignored if values["status"] == RequestStatus.ignored else Result.recorded
        )
        row = store.request(self.engine, request_id)
        if row is not None and row["status"] == RequestStatus.open:
            self.act(row)

    def record_reply(self, post: dict[str, Any]) -> None:
        """A request made as a reply in a project's own topic (webhook `post_created`)."""
        topic_id, post_id = int(post["topic_id"]), int(post["id"])
        if store.requests(self.engine, "topic_id = ? AND post_id = ?", (topic_id, post_id)):
            return  # recorded already (a redelivered event)
        project = self.by_topic().get(topic_id)
        if project is None:
            return  # not a catalogue topic: a hashtag in an ordinary conversation
        author = str(post.get("username") or "")
        values: dict[str, Any] = {
            "topic_id": topic_id,
            "post_id": post_id,
            "asker": author[:60] or None,
            "asked_at": parse_time(post.get("created_at")) or self.now(),
            "kind": rules.kind_of(
                rules.hashtags(str(post.get("raw") or "")),
                str(post.get("raw") or ""),
                self.cfg.tags,
            ),
            **_linked_values(
                rules.Linked(project, RequestNote.archived_project if project.archived else None)
            ),
        }
        if author.lower() == self.client.api_username.lower():
            values.update(status=RequestStatus.ignored, note=RequestNote.own_user)
        self._record(values)

    def reply(self, post: dict[str, Any], waiting: list[dict[str, Any]] | None = None) -> None:
        """A reply in a project's own topic, from a webhook or found by a pull: a request when
        it carries the category's or a kind's hashtag; else, where requests wait in that topic,
        maybe their answer."""
        if _asks(self.settings, post):
            self.record_reply(post)
            return
        if waiting is None:
            waiting = _waiting(self.engine, int(post["topic_id"]))
        if waiting:
            self.answered_in_reply(waiting, post)

    def new_posts(self, topic_id: int, seen: TopicSeen) -> list[dict[str, Any]]:
        """The posts a project topic gained since the last pull, with their raw: one read of
        the topic (its post ids and first chunk), and one of the new posts beyond that chunk."""
        view = self._view(topic_id)
        if view is None or view.get("deleted_at"):
            return []
        stream = (view.get("post_stream") or {}).get("stream") or []
        wanted = [int(i) for i in stream[-seen.new_posts :]]
        have = {
            int(p["id"]): p
            for p in (view.get("post_stream") or {}).get("posts") or []
            if int(p["id"]) in wanted
        }
        missing = [i for i in wanted if i not in have]
        if missing:
            self.run.reads += 1
            for post in self.client.get_topic_posts(topic_id, missing, include_raw=True):
                have[int(post["id"])] = post
        found = [{**p, "topic_id": topic_id} for p in have.values() if not p.get("deleted_at")]
        return sorted(found, key=lambda p: int(p.get("post_number") or 0))

    def answered_in_reply(self, waiting: list[dict[str, Any]], post: dict[str, Any]) -> None:
        """A reply in a project's topic where requests wait: answered when its author can
        answer for the project (the same rule as in a request's own topic)."""
        for row in waiting:
            if int(post["id"]) <= int(row["post_id"]) or not row["ref"]:
                continue
            if rules.first_answer([post], self._answerers_of(row)) is not None:
                store.save(
                    self.engine, row["id"], status=RequestStatus.answered,
                    answered_at=parse_time(post.get("created_at")) or self.now(),
                )  # fmt: skip
                self.run.add(Result.answered)

    # ------------------------------------------------------------------ known requests

    def follow(self, row: dict[str, Any], item: Listed) -> None:
        """A known request against what the list shows now: reads the topic only when its
        entry moved; writes only what changed."""
        changes: dict[str, Any] = {}
        moved = item.bumped_at != row["bumped_at"] or item.posts_count != row["posts_count"]
        if moved:
            changes.update(bumped_at=item.bumped_at, posts_count=item.posts_count)
        if list(item.tags) != row["tags"]:
            changes["tags"] = list(item.tags)
        answered_at = row["answered_at"]
        if moved and row["note"] != RequestNote.own_user and not item.closed:
            view = self._view(item.topic_id)
            if view is None:
                self._close(row, RequestNote.topic_deleted)
                return
            linked = self._linked(view)
            project = linked.project
            if (project.ref if project else None) != row["ref"] and not (
                row["status"] != RequestStatus.ignored and project is None
            ):
                # An edit that links another project (or, for an ignored request, one at all):
                # followed from now on; the new project's contacts are invited.
                relinked = _linked_values(linked)
                if row["status"] != RequestStatus.ignored:
                    relinked["note"] = relinked.get("note") or RequestNote.relinked
                    relinked.pop("status", None)
                    if linked.note is not None:
                        relinked["status"] = RequestStatus.ignored
                store.save(self.engine, row["id"], **changes, **relinked)
                self.run.add(Result.recorded)
                fresh = store.request(self.engine, row["id"])
                if fresh is not None and fresh["status"] not in _DONE:
                    self.act(fresh, round_=1, reply=False)
                return
            if row["ref"] and answered_at is None and row["status"] not in _DONE:
                posts = list((view.get("post_stream") or {}).get("posts") or [])
                found = rules.first_answer(posts, self._answerers_of(row))
                if found is not None:
                    answered_at = parse_time(found.get("created_at")) or self.now()
                    changes["answered_at"] = answered_at
        if row["status"] == RequestStatus.ignored:
            if changes:
                store.save(self.engine, row["id"], **changes)
            return
        agreed = any(tag in item.tags for tag in self.cfg.agreed_tags.values())
        facts = rules.Facts(
            closed=item.closed,
            solved=item.solved,
            agreed=agreed,
            answered_at=answered_at,
            asked_at=row["asked_at"],
            reminded=row["reminded_at"] is not None,
            now=self.now(),
        )
        self._settle(row, facts, changes)

    def follow_reply(self, row: dict[str, Any], closed: bool) -> None:
        """A request made as a reply in a project's topic, followed by a pull: answered when
        an answer was read among the topic's new posts (`reply`); else stale after the days,
        reminded once; closed with the project's topic."""
        facts = rules.Facts(
            closed=closed,
            solved=False,  # no list shows a reply's own solved or agreed marks
            agreed=False,
            answered_at=row["answered_at"],
            asked_at=row["asked_at"],
            reminded=row["reminded_at"] is not None,
            now=self.now(),
        )
        self._settle(row, facts, {})

    def _settle(self, row: dict[str, Any], facts: rules.Facts, changes: dict[str, Any]) -> None:
        """The status the facts give, written with what else changed; the reminder or the
        invites it calls for."""
        answered_at = facts.answered_at
        status = rules.next_status(row["status"], facts, self.cfg.stale_days)
        if status != row["status"]:
            changes["status"] = status
            self.run.add(Result(status.value))
            if status == RequestStatus.agreed:
                changes["agreed_at"] = self.now()
                if facts.solved is False and answered_at is None:
                    changes["answered_at"] = self.now()  # agreeing is answering
            if status == RequestStatus.answered and answered_at is None:
                changes["answered_at"] = self.now()  # solved
            if status == RequestStatus.closed:
                changes["closed_at"] = self.now()
        if changes:
            store.save(self.engine, row["id"], **changes)
        if status == RequestStatus.stale and row["reminded_at"] is None:
            fresh = store.request(self.engine, row["id"])
            if fresh is not None:
                self.remind(fresh)
        elif status == RequestStatus.open and (
            row["reply_post_id"] is None or row["note"] == RequestNote.flood_limited
        ):
            fresh = store.request(self.engine, row["id"])
            if fresh is not None:
                self.act(fresh)

    def _answerers_of(self, row: dict[str, Any]) -> set[str]:
        found = self.answerers(row["ref"]) if row["ref"] else set()
        return found - {str(row["asker"] or "").lower(), self.client.api_username.lower()}

    def _close(self, row: dict[str, Any], note: RequestNote | None) -> None:
        if row["status"] == RequestStatus.closed:
            return
        values: dict[str, Any] = {"status": RequestStatus.closed, "closed_at": self.now()}
        if note is not None:
            values["note"] = note
        store.save(self.engine, row["id"], **values)
        self.run.add(Result.closed)

    # ------------------------------------------------------------------ writing

    def act(self, row: dict[str, Any], *, round_: int = 1, reply: bool = True) -> None:
        """Invite the project's contacts (within the day's limit), then post the one note."""
        ref = row["ref"]
        if ref is None:
            return
        wanted = rules.targets(self._private_contacts(ref))
        done = {i.target for i in store.invites(self.engine, row["id"]) if i.round == round_}
        waiting = [t for t in wanted if t.key not in done]
        allowed = rules.within_limit(
            store.invites_today(self.engine, ref),
            len(waiting),
            self.cfg.max_invites_per_project_per_day,
        )
        message = self._message(row) if waiting[:allowed] else None
        for target in waiting[:allowed]:
            assert message is not None
            outcome = forum_writes.invite(
                self.client, self.engine, row["id"], row["topic_id"], ref, target, round_, message
            )
            if outcome.result in (Sent.sent, Sent.uncertain):
                self.run.add(Result.invited)
            elif outcome.result == Sent.refused:
                self.run.failures.append(
                    {"topic_id": row["topic_id"], "error": outcome.error or "invite refused"}
                )
        held = len(waiting) > allowed
        note = RequestNote.flood_limited if held else (None if wanted else RequestNote.no_contacts)
        if note != row["note"] and row["note"] != RequestNote.relinked:
            store.save(self.engine, row["id"], note=note)
        if held or not reply or row["reply_post_id"] is not None:
            return
        people = self._people(row["id"], round_)
        project = self.project(ref)
        from bridge.sync.render import render_request_reply

        council = project.council if project else ""
        raw = render_request_reply(people, council, settings=self.settings)
        posted = forum_writes.post_once(self.client, self.engine, row, Which.reply, raw)
        if posted is not None:
            self.run.add(Result.replied)
            self._count_own_post(row, posted)

    def _message(self, row: dict[str, Any]) -> forum_writes.Message:
        from bridge.sync.render import render_request_message

        project = self.project(row["ref"])
        title, raw, plain = render_request_message(
            row["kind"].value,
            row["asker"],
            project.title if project else str(row["ref"]),
            project.council if project else "",
            f"{self.settings.discourse_url or ''}/t/-/{row['topic_id']}",
            settings=self.settings,
        )
        return forum_writes.Message(title, raw, plain)

    def remind(self, row: dict[str, Any]) -> None:
        """The one reminder: the same people invited a second time, and one post naming up to
        three other councils that did something similar."""
        if row["ref"] is None:
            return
        store.save(self.engine, row["id"], reminded_at=self.now())
        self.act(row, round_=2, reply=False)
        from bridge.sync.render import render_request_reminder

        project = self.project(row["ref"])
        council = project.council if project else ""
        people = self._people(row["id"], 2)
        others = self._others(row["ref"], council)
        if not people and not others:
            return  # nobody to remind and nothing to suggest: no post
        raw = render_request_reminder(people, council, others, settings=self.settings)
        posted = forum_writes.post_once(self.client, self.engine, row, Which.reminder, raw)
        if posted is not None:
            self.run.add(Result.reminded)
            self._count_own_post(row, posted)

    def _people(self, request_id: int, round_: int) -> list[tuple[str | None, str | None]]:
        return [
            (i.person, i.role)
            for i in store.invites(self.engine, request_id)
            if i.round == round_ and i.state != InviteState.refused
        ]

    def _others(self, ref: str, council: str) -> list[tuple[str, str, str | None]]:
        """Up to three other councils with a similar project, by the one similarity and
        relevance rule (bridge.discovery.rank.similar)."""
        from bridge.discovery import UnknownRef, similar

        live = [r for r in self.records if not r.get("archived")]
        try:
            matches = similar(live, ref, limit=10)
        except (UnknownRef, ValueError):
            return []
        council_of = {r["ref"]: (r.get("local_body") or {}).get("name") or "" for r in live}
        topic_of = {r["ref"]: r.get("topic_id") for r in live}
        chosen: list[tuple[str, str, str | None]] = []
        seen = {rules.fold(council)}
        for match in matches:
            other = council_of.get(match.ref, "")
            if not other or rules.fold(other) in seen:
                continue
            seen.add(rules.fold(other))
            topic = topic_of.get(match.ref)
            chosen.append((other, match.title, f"/t/-/{topic}" if topic else None))
            if len(chosen) == 3:
                break
        return chosen

    def _count_own_post(self, row: dict[str, Any], posted: dict[str, Any]) -> None:
        """Our post bumps the topic to its own time (core lib/post_creator.rb): remembered, or
        the next list would look like news and cost a read."""
        fresh = store.request(self.engine, row["id"])
        created = parse_time(posted.get("created_at"))
        if fresh is not None and created is not None:
            store.save(
                self.engine, row["id"], posts_count=int(fresh["posts_count"] or 0) + 1,
                bumped_at=created,
            )  # fmt: skip


def _asks(settings: Settings, post: dict[str, Any]) -> bool:
    cfg = settings.connections
    return rules.asks(str(post.get("raw") or ""), cfg.slug, cfg.tags.values())


def _waiting(engine: Engine, topic_id: int | None = None) -> list[dict[str, Any]]:
    """Requests still waiting for an answer (open or stale), in one topic or all."""
    if topic_id is None:
        return store.requests(engine, "status IN ('open', 'stale')")
    return store.requests(engine, "topic_id = ? AND status IN ('open', 'stale')", (topic_id,))


def _council_key(record: dict[str, Any]) -> str:
    return rules.fold((record.get("local_body") or {}).get("name") or "")


def _linked_values(linked: rules.Linked) -> dict[str, Any]:
    project = linked.project
    values: dict[str, Any] = {
        "ref": project.ref if project else None,
        "council": (project.council[:500] or None) if project else None,
        "note": linked.note,
        "status": RequestStatus.ignored if linked.note is not None else RequestStatus.open,
    }
    return values


def pull_requests(
    engine: Engine,
    settings: Settings,
    client: ConnectionForum,
    *,
    should_stop: Callable[[], bool] = lambda: False,
    now: Callable[[], datetime] = utcnow,
    topics: Mapping[int, TopicSeen] | None = None,
) -> RequestRun:
    """Find new requests, invite, follow known ones to an answer. ForumAuthError and
    ForumUnreachable stop the step (the caller reports them); the rest is per request.
    `topics`: the project topics the activity pull just saw (bridge.loop.pull); those that
    grew are read for requests made as replies in them."""
    run = RequestRun()
    if not settings.connections.enabled:
        run.skipped = "[connections] enabled = false"
        return run
    opened = listed_under_lease(
        engine, client, store.load_category(engine, settings.connections.slug), run,
        what="connections", lease_name=CONNECTIONS_LEASE, should_stop=should_stop, make=_listed,
        forget=store.forget_category,
    )  # fmt: skip
    if opened is None:
        return run
    category, lease, listed = opened
    try:
        known = store.by_topic(engine)
        work = Requests(client, engine, settings, category, run, now)
        for topic_id in walk(listed, lease, run, should_stop):
            _one(work, listed[topic_id], known.get(topic_id))
        if not run.stopped:
            # Known requests no list showed were deleted or moved away: closed, left alone.
            for topic_id, row in known.items():
                if topic_id not in listed and row["status"] not in _DONE:
                    if topic_id in work.by_topic():
                        continue  # made in a project's own topic: no category list shows it
                    work._close(row, RequestNote.topic_deleted)
        if not run.stopped:
            _in_project_topics(work, topics or {}, should_stop)
        return run
    finally:
        lease.release()


def _in_project_topics(
    work: Requests, topics: Mapping[int, TopicSeen], should_stop: Callable[[], bool]
) -> None:
    """Requests made as replies in projects' own topics (no category list shows them): the
    new posts of each project topic the pull saw grow, read and taken as a webhook's
    `post_created` would be; then every such request still waiting, followed. A topic that
    did not grow costs nothing."""
    projects = work.by_topic()
    # Those made before this run: one made now was acted on as it was recorded.
    known = store.requests(work.engine, "status NOT IN ('closed', 'ignored')")
    for topic_id in sorted(t for t, seen in topics.items() if seen.new_posts and t in projects):
        if should_stop():
            work.run.stopped = True
            return
        _guarded(work, topic_id, partial(_take_new_posts, work, topic_id, topics[topic_id]))
    for row in known:
        if row["topic_id"] in projects:
            seen = topics.get(row["topic_id"])
            fresh = store.request(work.engine, row["id"])  # an answer just read changed it
            if fresh is not None and fresh["status"] not in _DONE:
                closed = seen.closed if seen is not None else False
                _guarded(work, row["topic_id"], partial(work.follow_reply, fresh, closed))


def _take_new_posts(work: Requests, topic_id: int, seen: TopicSeen) -> None:
    for post in work.new_posts(topic_id, seen):
        work.reply(post)


def _one(work: Requests, item: Listed, row: dict[str, Any] | None) -> None:
    def one() -> None:
        if row is None:
            work.record_new(item)
        elif not (row["status"] == RequestStatus.closed and item.closed):
            work.follow(row, item)

    _guarded(work, item.topic_id, one)


def _guarded(work: Requests, topic_id: int, step: Callable[[], None]) -> None:
    """One request's (or one topic's) work: a forum refusal or hostile text is recorded and
    the others go on; an unreachable forum or a refused key stops the step."""
    try:
        step()
    except (ForumAuthError, ForumUnreachable):
        raise
    except ForumError as exc:
        work.run.add(Result.failed)
        work.run.failures.append({"topic_id": topic_id, "error": str(exc)[:500]})
    except Exception as exc:  # hostile text or a bug must not stop the other requests
        log.exception("connection request %s", topic_id)
        work.run.add(Result.failed)
        work.run.failures.append({"topic_id": topic_id, "error": f"{type(exc).__name__}"})


# --------------------------------------------------------------------------- webhooks


def handle_event(
    engine: Engine,
    settings: Settings,
    client: ConnectionForum,
    name: str,
    payload: dict[str, Any],
    *,
    wait_for_lease: float = 10.0,
) -> str | None:
    """Act at once on `topic_created` and `post_created` in the connections category (payload
    shapes: API-NOTES §12). None when the event is not about a request."""
    if not settings.connections.enabled or name not in ("topic_created", "post_created"):
        return None
    category = store.load_category(engine, settings.connections.slug)
    if category is None:
        return None
    topic_id: int | None = None
    if name == "topic_created" and isinstance(payload.get("topic"), dict):
        if payload["topic"].get("category_id") == category.category_id:
            topic_id = int(payload["topic"]["id"])
    elif name == "post_created" and isinstance(payload.get("post"), dict):
        if payload["post"].get("category_id") == category.category_id:
            topic_id = int(payload["post"]["topic_id"])
        elif int(payload["post"].get("post_number") or 0) > 1:
            # A reply elsewhere: a request made in a project's own topic, or an answer to one.
            return _in_project_topic(engine, settings, client, category, payload["post"])
    if topic_id is None or topic_id == category.definition_topic_id:
        return None
    lease = acquire_waiting(engine, CONNECTIONS_LEASE, wait_for_lease)
    if lease is None:
        return "request deferred to the next pull (another run is on it)"
    try:
        run = RequestRun()
        work = Requests(client, engine, settings, category, run)
        view = work._view(topic_id)
        if view is None or view.get("category_id") != category.category_id:
            return None
        item = Listed(
            **ListedTopic.fields_of({**view, "id": topic_id}),
            tags=_tag_names(view),
            solved=bool(view.get("has_accepted_answer") or view.get("accepted_answer")),
        )
        row = store.by_topic(engine, [topic_id]).get(topic_id)
        if row is None:
            work.record_new(item, view)
        else:
            work._views[topic_id] = view  # the read this event made: not made twice
            _one(work, item, row)
        done = ", ".join(f"{k.value} {v}" for k, v in run.counts.items())
        return f"request {done or 'unchanged'}"
    finally:
        lease.release()


def _in_project_topic(
    engine: Engine,
    settings: Settings,
    client: ConnectionForum,
    category: store.CachedCategory,
    post: dict[str, Any],
) -> str | None:
    """A reply in a topic outside the connections category: a request when it is in a
    project's own topic and carries the category's or a kind's hashtag (`#contactes`,
    `#visita`); else an answer to such a request when its author can answer for the project."""
    asks = _asks(settings, post)
    waiting = [] if asks else _waiting(engine, int(post.get("topic_id") or 0))
    if not asks and not waiting:
        return None  # the common case: an ordinary reply, no request read, no lock taken
    lease = acquire_waiting(engine, CONNECTIONS_LEASE, 10.0)
    if lease is None:
        return "request deferred to the next pull (another run is on it)"
    try:
        run = RequestRun()
        work = Requests(client, engine, settings, category, run)
        work.reply(post, waiting)
        done = ", ".join(f"{k.value} {v}" for k, v in run.counts.items())
        return f"request {done or 'unchanged'}"
    finally:
        lease.release()


def with_requests(
    inner: Callable[[Any], str], engine: Engine, settings: Settings, client: ConnectionForum
) -> Callable[[Any], str]:
    """A webhook processor that also follows requests at once (bridge.sync.category_topics)."""
    return with_step(
        inner,
        lambda name, payload: handle_event(engine, settings, client, name, payload),
        "request",
    )


__all__ = [
    "CONNECTIONS_LEASE",
    "RequestKind",
    "RequestRun",
    "ensure_connection_category",
    "handle_event",
    "pull_requests",
    "with_requests",
]
