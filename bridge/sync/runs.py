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

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bridge.dbapi import rows_of
from bridge.models import read_tables
from bridge.models.columns import utcnow
from bridge.redact import scrub
from bridge.sync import runs_read
from bridge.sync.lease import SYNC_LEASE, LeaseHandle

# The run vocabulary is defined beside the run log's reader (no SQLAlchemy there: `status`).
from bridge.sync.runs_read import RUN_COUNTS as RUN_COUNTS
from bridge.sync.runs_read import RunKind as RunKind
from bridge.sync.runs_read import RunStatus as RunStatus

log = logging.getLogger("bridge.sync")

# Light Core columns, not the model: a sync with nothing to do loads neither SQLModel nor
# pydantic's model machinery for its run row (issue 20).
_runs = read_tables.sync_run


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


def start_run(engine: Engine, holder: str, kind: RunKind = RunKind.sync) -> int:
    """A new run row. Rows still `running` from a process that died are marked `interrupted`:
    the caller holds the lease, so no other run of this kind can be alive."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(_runs)
            .where(_runs.c.kind == kind, _runs.c.status == RunStatus.running)
            .values(
                status=RunStatus.interrupted,
                message="the process stopped before finishing (killed or crashed)",
            )
        )
        new_id = conn.execute(
            sa.insert(_runs)
            .values(
                kind=kind,
                started_at=utcnow(),
                status=RunStatus.running,
                holder=holder[:200],
                # The model's defaults are Python's, not the database's: given here.
                **dict.fromkeys((*RUN_COUNTS, "requests"), 0),
            )
            .returning(_runs.c.id)
        ).scalar_one()
        return int(new_id)


def finish_run(
    engine: Engine,
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
    values: dict[str, Any] = {k: v for k, v in counts.items() if k in (*RUN_COUNTS, "requests")}
    now = utcnow()
    if key_accepted:
        values["key_accepted_at"] = now
    with engine.begin() as conn:
        conn.execute(
            sa.update(_runs)
            .where(_runs.c.id == run_id)
            .values(
                status=status,
                finished_at=now,
                revision=revision,
                fingerprint=fingerprint,
                # The run log is shown later by `status`: no secret may be stored in it.
                failures=[{**f, "error": scrub(f.get("error") or "")} for f in failures] or None,
                message=scrub(message) if message else message,
                **values,
            )
        )


@dataclass(frozen=True)
class CleanSync:
    """The newest sync run, when it was a full one that ended ok: what a no-op compares with."""

    run_id: int
    revision: int
    fingerprint: str
    records: int  # the records its plan covered (each counted once in its counts)


def last_clean_sync(engine: Engine) -> CleanSync | None:
    """The newest finished sync when it ended ok with a revision stored (a full run), else None:
    after a partial, failed or interrupted run, or one of --project, the next does the work."""
    with engine.connect() as conn:
        row = (
            conn.execute(
                sa.select(_runs)
                .where(_runs.c.kind == RunKind.sync, _runs.c.status != RunStatus.running)
                .order_by(_runs.c.started_at.desc(), _runs.c.id.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
    if row is None or row["status"] != RunStatus.ok or row["revision"] is None:
        return None
    covered = sum(row[k] or 0 for k in RUN_COUNTS if k not in ("adopted", "failed"))
    return CleanSync(row["id"], int(row["revision"]), row["fingerprint"] or "", covered)


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
