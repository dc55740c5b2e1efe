"""The one rule that says what a record's sync state is (issue 8), apart from the sync state's SQL
(bridge.sync.state, which re-exports it) so that `projects list/show` can apply it without
loading the ORM (issue 15).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from bridge.models.enums import Aspect, SyncStatus

# What a moderator can change that the catalogue owns, in the order `status` lists it (contract §3).
DRIFT_ASPECTS: tuple[str, ...] = tuple(a.value for a in Aspect if a is not Aspect.pinned)


# --------------------------------------------------------------------------- the rule


class RecordFacts(Protocol):
    """What the rule needs of a catalogue record."""

    @property
    def archived(self) -> bool: ...
    @property
    def content_hash(self) -> str: ...


class StateFacts(Protocol):
    """What the rule needs of a sync state row."""

    @property
    def state(self) -> SyncStatus | str: ...
    @property
    def topic_id(self) -> int | None: ...
    @property
    def content_hash(self) -> str | None: ...
    @property
    def closed(self) -> bool: ...


class RecordSummary(NamedTuple):
    """The columns of a record the rule reads (for readers that select only those); a named
    tuple because `projects list` and `status` make one for every record."""

    archived: bool
    content_hash: str


@dataclass(frozen=True)
class StateSummary:
    """The columns of a state row the rule reads (for readers that join only those)."""

    state: SyncStatus | str
    topic_id: int | None
    content_hash: str | None
    closed: bool


def is_pending(record: RecordFacts, state: StateFacts | None) -> bool:
    """Changed since its last good sync, in a way the forum must follow: a topic not yet closed or
    reopened, or new content. An archived record's content waits for its restore (its topic is
    closed and left as it was), so for it only the open/closed state counts."""
    if state is None or state.topic_id is None:
        return False
    if bool(record.archived) != bool(state.closed):
        return True
    return not record.archived and record.content_hash != state.content_hash


def effective_status(record: RecordFacts, state: StateFacts | None) -> SyncStatus:
    """never (no topic yet), failed (the last attempt), drift (the forum changed what we own),
    pending (see `is_pending`), else synced."""
    if state is None:
        return SyncStatus.never
    stored = SyncStatus(state.state)
    if stored is SyncStatus.failed:
        return SyncStatus.failed
    if state.topic_id is None:
        return SyncStatus.never  # a create started and not confirmed has no topic yet
    if stored is SyncStatus.drift:
        return SyncStatus.drift
    return SyncStatus.pending if is_pending(record, state) else SyncStatus.synced


def needs_bookkeeping(record: RecordFacts, state: StateFacts | None) -> bool:
    """Nothing to send, yet the stored state is stale: a pending change that does not show in the
    forum (a private contact's phone), or a failure / unconfirmed step that has cleared."""
    if state is None:
        return False
    return is_pending(record, state) or SyncStatus(state.state) in (
        SyncStatus.failed,
        SyncStatus.pending,
    )


def settled(drift: Sequence[str] | None) -> SyncStatus:
    """The stored state of a record whose writes are all confirmed: drift while any is left."""
    return SyncStatus.drift if drift else SyncStatus.synced


# --------------------------------------------------------------------------- the drift merge


def merge_drift(
    previous_what: Sequence[str],
    previous_detail: Mapping[str, Any] | None,
    what: Sequence[str],
    detail: Mapping[str, Any],
    seen: Collection[str],
    order: Sequence[str] = DRIFT_ASPECTS,
) -> tuple[tuple[str, ...], dict[str, Any]]:
    """What a moderator changed on an object after one more observation, for records' topics
    (bridge.sync.state.save_drift) and pages (bridge.observatory.store.observe_page) alike.

    The aspects the observation speaks for (`seen`) are replaced by what it found (`what`, with
    its `detail`); the others keep their earlier report (a topic-list item shows no body, so a
    pull must not clear a body drift a webhook found). `deleted` stands alone: a deleted topic
    reports nothing else (bridge.sync.drift.detect), whichever observation came first — the copy
    for records used to keep a body drift beside `deleted`, the copy for pages did not; the
    pages' rule is the one `detect` states. Returns the aspects in `order` and their detail."""
    kept = {a for a in previous_what if a not in seen}
    merged = kept | set(what)
    if "deleted" in merged:
        merged = {"deleted"}
    old = previous_detail or {}
    now_what = tuple(a for a in order if a in merged)
    now_detail = {
        a: detail[a] if a in detail else old[a] for a in now_what if a in detail or a in old
    }
    return now_what, now_detail
