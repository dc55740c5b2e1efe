"""A sync with nothing to do, decided and recorded before SQLAlchemy or pydantic is loaded
(issue 20): what `digicanvis sync`, run by cron every few minutes for years, costs most days.

The same decision as the sync engine's (bridge.sync.runner, bridge.sync.revision): the newest
sync run ended ok as a full run, the catalogue revision is the one it stored, the settings are
the ones it ran with, and the forum accepted the key within `KEY_CHECK_EVERY`. Here the settings
are compared through the digest of their sources (bridge.config.sources_digest; the second half
of the run's fingerprint), read with the database driver alone (bridge.dbapi).

Then, as the engine does: the lease is taken (the same lock and row, bridge.sync.lease), the
decision checked again under it (a run or an import may have ended meanwhile), and a run row
written (bridge.sync.runs: rows left `running` by a killed process marked interrupted, this one
ok, "nothing changed since run N", the same revision and fingerprint). Anything else, a lease
held by another process, a key check due, settings read another way, a database reached only
through SQLAlchemy, returns None: the full sync decides, and does the work or says why not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bridge.sync.runs_read import CleanSync


@dataclass(frozen=True)
class NothingToDo:
    """A no-op sync recorded as run `run_id`, nothing changed since run `since`."""

    run_id: int
    since: int
    unchanged: int

    def as_json(self) -> dict[str, Any]:
        """As `SyncSummary.as_json` gives the engine's no-op (tests/test_sync_noop_fast.py)."""
        from bridge.sync.runs_read import RUN_COUNTS

        counts: dict[str, Any] = dict.fromkeys((*RUN_COUNTS, "requests"), 0)
        counts["unchanged"] = self.unchanged
        return counts | {
            "failures": [],
            "deleted": [],
            "run_id": self.run_id,
            "nothing_changed_since_run": self.since,
        }


def nothing_to_do() -> NothingToDo | None:
    """The no-op, done and recorded, or None when the full sync must decide."""
    from bridge.config import ConfigError, load_catalogue_settings, sources_digest
    from bridge.dbapi import DatabaseError, DriverRows, connect

    try:
        cfg = load_catalogue_settings()
        digest = sources_digest()
    except ConfigError:
        return None  # the full sync says what is wrong
    if not cfg.discourse_url or not cfg.forum_key_usable:
        return None
    try:
        with connect(cfg.database_url) as rows:
            if not isinstance(rows, DriverRows) or _clean(rows, digest) is None:
                return None
            return _record(rows, digest)
    except DatabaseError:
        return None


def _clean(rows: Any, digest: str) -> CleanSync | None:
    """The run a no-op would follow, when nothing the plan reads changed since it."""
    from bridge.sync import revision, runs_read

    clean = runs_read.last_clean_sync(rows)
    if clean is None or not revision.same_sources(clean.fingerprint, digest):
        return None
    if revision.stored(rows) != clean.revision:
        return None
    checked = runs_read.key_accepted_at(rows)
    if checked is None or datetime.now(UTC) - checked >= runs_read.KEY_CHECK_EVERY:
        return None  # the engine's no-op asks the forum once a day whether it takes the key
    return clean


def _record(rows: Any, digest: str) -> NothingToDo | None:
    from bridge.sync import lease, runs
    from bridge.sync.runs_read import RunKind, RunStatus

    holder = lease.make_holder()
    if not lease.try_acquire(rows, lease.SYNC_LEASE, holder):
        return None  # held: the full sync names the holder (LeaseHeld, exit 2)
    try:
        clean = _clean(rows, digest)  # again, under the lease
        if clean is None:
            return None
        run_id = runs.start_run(rows, holder, RunKind.sync)
        runs.finish_run(
            rows,
            run_id,
            status=RunStatus.ok,
            counts={"unchanged": clean.records, "requests": 0},
            failures=[],
            message=f"nothing changed since run {clean.run_id}",
            revision=clean.revision,
            fingerprint=clean.fingerprint,
        )
        return NothingToDo(run_id, clean.run_id, clean.records)
    finally:
        lease.release(rows, lease.SYNC_LEASE, holder)
