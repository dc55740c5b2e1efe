"""The run log (`SyncRun`) and the one wrapper that every sync and pull runs inside: the lease,
a run row, and the mapping of how the work ended to the run's status.

    with logged_run(engine, RunKind.sync) as run:
        ...                      # run.check() between steps raises LeaseLost
        run.tally = lambda: (counts, failures)
        run.end(RunStatus.ok)

Whatever happens inside, the run row is finished (ok / partial / interrupted / failed, with the
counts so far) and the lease released. An exception leaves the status `failed` with its message,
Ctrl-C `interrupted`; the exception itself propagates for the caller to map to an exit code.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bridge.dbapi import DriverRows, rows_of, stored_time, writing
from bridge.redact import scrub
from bridge.sync import runs_read

# The run vocabulary is defined beside the run log's reader (no SQLAlchemy there: `status`).
from bridge.sync.runs_read import RUN_COUNTS as RUN_COUNTS
from bridge.sync.runs_read import CleanSync as CleanSync
from bridge.sync.runs_read import RunKind as RunKind
from bridge.sync.runs_read import RunStatus as RunStatus

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

log = logging.getLogger("bridge.sync")

# The run row is written in plain SQL (bridge.dbapi.writing), on an engine or on the driver's own
# connection: a sync with nothing to do loads no SQLAlchemy, no SQLModel, no pydantic (issue 20,
# bridge.sync.noop). The model (bridge.models.sync.SyncRun) still defines the table.
_COUNTED = (*RUN_COUNTS, "requests")


Tally = Callable[[], tuple[Mapping[str, int], list[dict[str, str]]]]


@dataclass
class Run:
    """The run in progress, as the body of `logged_run` sees it."""

    id: int
    holder: str
    check: Callable[[], None]
    status: RunStatus = RunStatus.failed
    message: str | None = None
    tally: Tally = field(default=lambda: ({}, []))
    # Issue 20: stored for a full sync that ends ok (the next one compares them).
    revision: int | None = None
    fingerprint: str | None = None
    # Issue 28: the forum answered a request with this key (not a 403) during the run.
    key_accepted: bool = False

    def end(self, status: RunStatus, message: str | None = None) -> None:
        self.status, self.message = status, message


@contextmanager
def logged_run(engine: Engine, kind: RunKind, *, lease_ttl: float | None = None) -> Iterator[Run]:
    """Take the lease (LeaseHeld when another run has it), open a run row, yield, finish it."""
    from bridge.sync.lease import SYNC_LEASE, LeaseHandle

    lease = (
        LeaseHandle.acquire(engine, SYNC_LEASE, ttl=lease_ttl)
        if lease_ttl
        else LeaseHandle.acquire(engine, SYNC_LEASE)
    )
    try:
        run = Run(start_run(engine, lease.holder, kind), lease.holder, lease.check)
        try:
            yield run
        except KeyboardInterrupt:
            run.end(RunStatus.interrupted, "interrupted (Ctrl-C); the next run carries on")
            raise
        except Exception as exc:
            run.end(RunStatus.failed, run.message or str(exc))
            raise
        finally:
            try:
                counts, failures = run.tally()
                finish_run(
                    engine,
                    run.id,
                    status=run.status,
                    counts=counts,
                    failures=failures,
                    message=run.message,
                    revision=run.revision if run.status is RunStatus.ok else None,
                    fingerprint=run.fingerprint if run.status is RunStatus.ok else None,
                    key_accepted=run.key_accepted,
                )
            except Exception:
                log.exception("could not record the end of %s run %s", kind, run.id)
    finally:
        lease.release()


def start_run(source: Engine | DriverRows, holder: str, kind: RunKind = RunKind.sync) -> int:
    """A new run row. Rows still `running` from a process that died are marked `interrupted`:
    the caller holds the lease, so no other run of this kind can be alive."""
    with writing(source) as rows:
        rows.run(
            "UPDATE sync_run SET status = ?, message = ? WHERE kind = ? AND status = ?",
            (
                RunStatus.interrupted.value,
                "the process stopped before finishing (killed or crashed)",
                RunKind(kind).value,
                RunStatus.running.value,
            ),
        )
        # The model's defaults are Python's, not the database's: given here.
        columns = ("kind", "started_at", "status", "holder", *_COUNTED)
        values = (
            RunKind(kind).value,
            stored_time(datetime.now(UTC), rows.dialect),
            RunStatus.running.value,
            holder[:200],
            *(0 for _ in _COUNTED),
        )
        found = rows.all(
            f"INSERT INTO sync_run ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            " RETURNING id",
            values,
        )
        return int(found[0][0])


def finish_run(
    source: Engine | DriverRows,
    run_id: int,
    *,
    status: RunStatus,
    counts: Mapping[str, int],
    failures: list[dict[str, str]],
    message: str | None,
    revision: int | None = None,
    fingerprint: str | None = None,
    key_accepted: bool = False,
) -> None:
    now = datetime.now(UTC)
    values: dict[str, Any] = {k: v for k, v in counts.items() if k in _COUNTED}
    with writing(source) as rows:
        if key_accepted:
            values["key_accepted_at"] = stored_time(now, rows.dialect)
        # The run log is shown later by `status`: no secret may be stored in it.
        scrubbed = [{**f, "error": scrub(f.get("error") or "")} for f in failures]
        values |= {
            "status": RunStatus(status).value,
            "finished_at": stored_time(now, rows.dialect),
            "revision": revision,
            "fingerprint": fingerprint,
            # As SQLAlchemy's JSON type writes it (its default serializer, json.dumps).
            "failures": json.dumps(scrubbed) if scrubbed else None,
            "message": scrub(message) if message else message,
        }
        cast = "CAST(? AS JSON)" if rows.dialect == "postgresql" else "?"
        assignments = ", ".join(
            f"{name} = {cast if name == 'failures' else '?'}" for name in values
        )
        rows.run(f"UPDATE sync_run SET {assignments} WHERE id = ?", (*values.values(), run_id))


def last_clean_sync(source: Engine | DriverRows) -> CleanSync | None:
    """The newest finished sync when it ended ok with a revision stored (a full run), else None:
    after a partial, failed or interrupted run, or one of --project, the next does the work
    (the SQL is `runs_read`'s)."""
    with rows_of(source) as rows:
        return runs_read.last_clean_sync(rows)


def key_accepted_at(engine: Engine) -> datetime | None:
    """When the forum last accepted the API key, in any run (the SQL is `runs_read`'s)."""
    with rows_of(engine) as rows:
        return runs_read.key_accepted_at(rows)


def last_runs(
    engine: Engine, limit: int = 20, kind: RunKind = RunKind.sync
) -> list[dict[str, Any]]:
    """The newest runs of a kind, as `status` lists them (the SQL is `runs_read.last_runs`)."""
    with rows_of(engine) as rows:
        return runs_read.last_runs(rows, limit, kind)
