"""The plan: what a sync will do to each record, computed with no I/O at all.

Like a Terraform plan, it is shown by `sync --dry-run` and then applied by bridge.sync.apply.
Like vdirsyncer's status file, `Stored` (SyncState) holds what we last wrote, so comparing the
desired topic with it tells "changed in the catalogue" without asking the forum anything; what
the forum changed on its own (drift, issue 5) arrives as the remote observation in
`Stored.drift`/`drift_detail`, which the planner repairs (catalogue-wins) or leaves (report-only).

Inputs: desired topics (bridge.sync.desired), stored sync states, the category cache, options.
Output: one action per record, in the order they should be applied: status changes and updates
before creates, so a title freed by an update is free when a create wants it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from bridge.models.enums import DriftPolicy
from bridge.sync.desired import DesiredTopic
from bridge.sync.external_id import new_external_id, recreated_external_id

# Defined apart so that a no-op sync, which plans nothing, need not import the planner.
from bridge.sync.plan_error import PlanError as PlanError
from bridge.sync.state import Stored, needs_bookkeeping

__all__ = ["Stored"]  # planned against; defined with the table's reads in bridge.sync.state

ALL_FIELDS = ("title", "body", "category", "tags")


@dataclass(frozen=True)
class PlanOptions:
    external_id_prefix: str = "dc"
    drift_policy: DriftPolicy = DriftPolicy.catalogue_wins
    edit_reason_update: str = "Updated from the DigiCanvis catalogue"
    edit_reason_drift: str = "Restored from the DigiCanvis catalogue"
    only: frozenset[str] | None = None  # --project REF…
    recreate_deleted: frozenset[str] = frozenset()


class Result(StrEnum):
    """What an action ended as, for the summary (contract §3 keys, plus adopted and deleted)."""

    created = "created"
    adopted = "adopted"
    updated = "updated"
    archived = "archived"
    restored = "restored"
    unchanged = "unchanged"
    failed = "failed"
    deleted = "deleted"


class StatusChange(StrEnum):
    """Closing or reopening a topic (PUT /t/{id}/status closed=true|false)."""

    close = "close"
    reopen = "reopen"


class ActionName(StrEnum):
    """What a planned action does, for records' topics and pages alike (the plan a dry run
    prints; the order a plan applies them in is `_ORDER`)."""

    create = "create"
    adopt = "adopt"  # look the external id up first: an earlier create may have reached it
    update = "update"
    close = "close"  # archive: the catalogue's own archive state
    reopen = "reopen"  # restore
    unchanged = "unchanged"
    deleted = "deleted"
    invalid = "invalid"


# --------------------------------------------------------------------------- actions


@dataclass(frozen=True)
class Action:
    ref: str
    project_id: int
    kind: ClassVar[ActionName]

    @property
    def name(self) -> ActionName:
        return self.kind

    @property
    def fields(self) -> tuple[str, ...]:
        return ()

    @property
    def writes(self) -> bool:
        """Whether the action sends anything to the forum."""
        return True

    @property
    def result(self) -> Result:
        """What the action counts as once it succeeds (a dry run counts the plan this way)."""
        raise NotImplementedError

    def as_json(self) -> dict[str, Any]:
        return {"ref": self.ref, "action": self.name, "fields": list(self.fields)}


@dataclass(frozen=True)
class Create(Action):
    """A new topic. `new_state` when no SyncState row exists yet (it is inserted with the id);
    `replaces_deleted` when a deleted topic is recreated on purpose with a new id."""

    external_id: str
    desired: DesiredTopic
    new_state: bool = False
    replaces_deleted: bool = False
    kind = ActionName.create
    result = Result.created

    @property
    def fields(self) -> tuple[str, ...]:
        return ALL_FIELDS


@dataclass(frozen=True)
class Adopt(Action):
    """An earlier create may have reached the forum (intent recorded, no topic stored): look the
    external id up first, adopt the topic when found, create it only when not."""

    external_id: str
    desired: DesiredTopic
    kind = ActionName.adopt
    result = Result.adopted

    @property
    def fields(self) -> tuple[str, ...]:
        return ALL_FIELDS


@dataclass(frozen=True)
class Update(Action):
    """Fields of an existing topic to rewrite, and maybe a close or reopen."""

    topic_id: int
    first_post_id: int | None
    desired: DesiredTopic
    changed: tuple[str, ...] = ()
    status: StatusChange | None = None
    edit_reason: str = ""
    repairs: tuple[str, ...] = ()  # drift repaired by this action (cleared once written)
    agreed_closed: bool | None = None  # see Unchanged

    kind = ActionName.update

    @property
    def name(self) -> ActionName:
        # Closing or reopening counts as archive/restore only when it follows the catalogue's
        # own archive state; undoing a moderator's close or reopen is a repair, i.e. an update.
        if self.status and "closed" not in self.repairs:
            return ActionName(self.status.value)
        return ActionName.update

    @property
    def fields(self) -> tuple[str, ...]:
        return self.changed + (("closed",) if "closed" in self.repairs else ())

    @property
    def result(self) -> Result:
        return _STATUS_RESULT.get(self.name, Result.updated)


_STATUS_RESULT = {ActionName.close: Result.archived, ActionName.reopen: Result.restored}


@dataclass(frozen=True)
class Unchanged(Action):
    """Nothing to send. `touch` when local bookkeeping should still be refreshed (e.g. a change
    that does not show in the forum, like a private contact's phone, or a failure that cleared)."""

    touch: bool = False
    content_hash: str | None = None  # the record's content hash, stored when touching
    # A moderator closed or reopened the topic as the catalogue wants it: stored, drift cleared.
    agreed_closed: bool | None = None
    kind = ActionName.unchanged
    result = Result.unchanged

    @property
    def writes(self) -> bool:
        return False


@dataclass(frozen=True)
class Deleted(Action):
    """A moderator deleted the topic: reported, never recreated silently (issue 5)."""

    topic_id: int | None
    kind = ActionName.deleted
    result = Result.deleted

    @property
    def writes(self) -> bool:
        return False


@dataclass(frozen=True)
class Invalid(Action):
    """The record cannot be written (e.g. longer than a post may be): fails without a request."""

    error: str
    new_external_id: str | None = None  # a record never seen: its state row is created with it
    kind = ActionName.invalid
    result = Result.failed  # fails without a request

    @property
    def writes(self) -> bool:
        return False


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...]
    # Areas whose category is not known yet (no cache row): found or created before applying.
    missing_categories: tuple[str, ...] = ()

    @property
    def writes(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.writes)

    def as_json(self) -> list[dict[str, Any]]:
        return [a.as_json() for a in self.actions]


def requests_needed(action: Action) -> int:
    """The requests an action should take when nothing goes wrong (a dry run's estimate, issue 28):
    a create is one POST (and a close for an archived record); an adoption looks the external id
    up (a redirect hop included) and reads the first post; an update is one PUT for the body
    (with its title and category), one for tags or a title and category alone, one for a close
    or reopen, and a read of the first post's id when it is not stored. Retries are not counted."""
    if isinstance(action, Create):
        return 1 + action.desired.closed
    if isinstance(action, Adopt):
        return 3
    if isinstance(action, Update):
        changed = set(action.changed)
        body = "body" in changed
        topic = "tags" in changed or (not body and bool(changed & {"title", "category"}))
        first_post = body and action.first_post_id is None
        return body + topic + (action.status is not None) + first_post
    return 0


# --------------------------------------------------------------------------- planning


def _free_external_id(first: str, ref: str, taken: set[str]) -> str:
    """`first`, or the next recreated id while that is taken; reserved in `taken`. Discourse
    compares external ids case-insensitively (§3)."""
    value = first
    while value.lower() in taken:
        value = recreated_external_id(value, ref)
    taken.add(value.lower())
    return value


def _title_ok(stored: Stored, desired: DesiredTopic) -> bool:
    """The stored title matches what we meant to write: the primary title, or the fallback the
    forum made us use, each as Discourse prettifies it (never compared raw, §8)."""
    return stored.title in (desired.stored_title, desired.stored_fallback_title)


def _differences(stored: Stored, desired: DesiredTopic, category_id: int | None) -> list[str]:
    changed = []
    if not _title_ok(stored, desired):
        changed.append("title")
    if stored.body_hash != desired.body_hash:
        changed.append("body")
    # Unknown category id (only in a dry run before the categories were resolved): cannot tell.
    if category_id is not None and stored.category_id != category_id:
        changed.append("category")
    if sorted(stored.tags or ()) != sorted(desired.tags):
        changed.append("tags")
    return changed


def _remote_closed(stored: Stored, detail: Mapping[str, Any]) -> bool:
    """The topic's open/closed state as the forum last showed it. bridge.sync.drift records it as
    {"written": …, "forum": …}; without a value, drift on `closed` means the opposite of ours."""
    seen = detail.get("closed")
    if isinstance(seen, Mapping):
        seen = seen.get("forum")
    return (not stored.closed) if seen is None else bool(seen)


def plan_record(
    desired: DesiredTopic,
    stored: Stored | None,
    categories: Mapping[str, int],
    options: PlanOptions,
    taken: set[str],
) -> Action:
    """One record's action: a row of the decision table, by the state of its pairing."""
    if stored is not None and stored.remote_deleted:
        return _plan_deleted(desired, stored, options, taken)
    if stored is None or stored.topic_id is None:
        return _plan_unpaired(desired, stored, options, taken)
    return _plan_paired(desired, stored, categories.get(desired.area), options)


def _plan_deleted(
    desired: DesiredTopic, stored: Stored, options: PlanOptions, taken: set[str]
) -> Action:
    """A moderator deleted the topic: reported, or recreated with a new id when asked to."""
    ref, pid = desired.ref, desired.project_id
    if ref not in options.recreate_deleted:
        return Deleted(ref, pid, topic_id=stored.topic_id)
    if desired.error:
        return Invalid(ref, pid, error=desired.error)
    new_id = _free_external_id(recreated_external_id(stored.external_id, ref), ref, taken)
    return Create(ref, pid, external_id=new_id, desired=desired, replaces_deleted=True)


def _plan_unpaired(
    desired: DesiredTopic, stored: Stored | None, options: PlanOptions, taken: set[str]
) -> Action:
    """No topic yet: create it; or look it up first when an earlier create may have reached the
    forum; an archived record never synced gets none."""
    ref, pid = desired.ref, desired.project_id
    if desired.closed:
        return Unchanged(ref, pid)
    fresh = (
        _free_external_id(new_external_id(options.external_id_prefix, ref), ref, taken)
        if stored is None
        else None
    )
    if desired.error:
        return Invalid(ref, pid, error=desired.error, new_external_id=fresh)
    if stored is None:
        assert fresh is not None
        return Create(ref, pid, external_id=fresh, desired=desired, new_state=True)
    if stored.create_started_at is not None:
        return Adopt(ref, pid, external_id=stored.external_id, desired=desired)
    return Create(ref, pid, external_id=stored.external_id, desired=desired)


def _plan_paired(
    desired: DesiredTopic, stored: Stored, category_id: int | None, options: PlanOptions
) -> Action:
    """The topic exists. What the forum shows now = what we wrote, except where drift says
    otherwise; drift is repaired (catalogue-wins) or left (report-only)."""
    ref, pid = desired.ref, desired.project_id
    assert stored.topic_id is not None
    drift = set(stored.drift)
    detail = stored.drift_detail or {}
    remote_closed = _remote_closed(stored, detail) if "closed" in drift else stored.closed
    repair = options.drift_policy == DriftPolicy.catalogue_wins

    changed = _differences(stored, desired, category_id)
    repairs: list[str] = []
    for name in ALL_FIELDS:
        if name in drift:
            if repair:
                repairs.append(name)
                if name not in changed:
                    changed.append(name)
            elif name in changed:
                # report-only: the moderator's version stays until someone decides.
                changed.remove(name)
    if desired.closed:
        # An archived record's topic is closed; its content is left as it was (it is updated
        # if the record is ever restored, since the stored hashes will differ then), and drift on
        # it stays reported: nothing repairs it (found by tests/test_sync_property.py).
        changed, repairs = [], []
    status = None
    if desired.closed != remote_closed and ("closed" not in drift or repair):
        status = StatusChange.close if desired.closed else StatusChange.reopen
        if "closed" in drift:
            repairs.append("closed")
    # The forum's open/closed state differs from what we wrote but is what the catalogue wants
    # (a moderator closed an archived record's topic): nothing to send, the drift is settled.
    agreed_closed = remote_closed if "closed" in drift and desired.closed == remote_closed else None
    if changed and desired.error:
        return Invalid(ref, pid, error=desired.error)
    if changed or status:
        reason = options.edit_reason_drift if repairs else options.edit_reason_update
        return Update(
            ref,
            pid,
            topic_id=stored.topic_id,
            first_post_id=stored.first_post_id,
            desired=desired,
            changed=tuple(f for f in ALL_FIELDS if f in changed),
            status=status,
            edit_reason=reason,
            repairs=tuple(repairs),
            agreed_closed=agreed_closed,
        )
    return Unchanged(
        ref,
        pid,
        touch=needs_bookkeeping(desired, stored) or agreed_closed is not None,
        # An archived record's content is not in the forum: its stored hash waits for the restore.
        content_hash=None if desired.closed else desired.content_hash,
        agreed_closed=agreed_closed,
    )


_ORDER = {
    ActionName.close: 0,
    ActionName.reopen: 1,
    ActionName.update: 2,
    ActionName.adopt: 3,
    ActionName.create: 4,
}


def make_plan(
    desired: Iterable[DesiredTopic],
    stored: Mapping[int, Stored],
    categories: Mapping[str, int],
    options: PlanOptions,
) -> Plan:
    """The plan for every desired topic (or those named in options.only)."""
    desired = list(desired)
    refs = {d.ref for d in desired}
    wanted = options.only if options.only is not None else refs
    unknown = (set(wanted) | set(options.recreate_deleted)) - refs
    if unknown:  # the runner checks before the lease; this guards the pure planner's callers
        raise PlanError.unknown(unknown)
    by_ref = {d.ref: d for d in desired}
    for ref in sorted(options.recreate_deleted):
        state = stored.get(by_ref[ref].project_id)
        if state is None or not state.remote_deleted:
            raise PlanError(
                f"{ref}: its topic is not known to be deleted, so there is nothing to recreate"
            )
    taken = {s.external_id.lower() for s in stored.values()}
    actions = [
        plan_record(d, stored.get(d.project_id), categories, options, taken)
        for d in sorted(desired, key=lambda d: d.ref)
        if d.ref in wanted
    ]
    actions.sort(key=lambda a: _ORDER.get(a.name, 5))  # stable: by ref within a kind
    needed = {a.desired.area for a in actions if isinstance(a, (Create, Adopt, Update))}
    missing = tuple(sorted(area for area in needed if area not in categories))
    return Plan(actions=tuple(actions), missing_categories=missing)
