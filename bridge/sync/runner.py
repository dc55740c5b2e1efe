"""One sync run: lease → run log → snapshot → categories → plan → apply → summary.

`run_sync` is the library entry point used by `digicanvis sync` and by the scheduler of issue 5
(which passes `should_stop` so SIGTERM lets the current action finish, and reads the summary).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from bridge.challenges.category import ensure_challenge_category
from bridge.forum.errors import ForumAuthError, ForumUnreachable
from bridge.settings import Settings
from bridge.sync import store
from bridge.sync.apply import (
    ADOPTED,
    ARCHIVED,
    CREATED,
    DELETED,
    FAILED,
    RESTORED,
    UNCHANGED,
    UPDATED,
    Applier,
    Forum,
    Outcome,
)
from bridge.sync.categories import CategoryError, ensure_categories
from bridge.sync.desired import CatalogueRecord, desired_topics
from bridge.sync.lease import SYNC_LEASE, LeaseHandle, LeaseLost
from bridge.sync.plan import Plan, PlanError, PlanOptions, make_plan

log = logging.getLogger("bridge.sync")


class SyncStopped(Exception):
    """The run stopped before finishing: refused key, unreachable forum, lost lease or a
    category that cannot be made. Progress so far is recorded. Exit 2."""


@dataclass(frozen=True)
class SyncOptions:
    dry_run: bool = False
    only: frozenset[str] | None = None
    recreate_deleted: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SyncSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0
    restored: int = 0
    failed: int = 0
    adopted: int = 0  # also counted in `created`: topics that now exist for records that had none
    deleted: int = 0  # topics a moderator deleted: reported, not recreated, not failures
    requests: int = 0
    failures: tuple[dict[str, str], ...] = ()
    deleted_refs: tuple[str, ...] = ()
    plan: tuple[dict[str, Any], ...] | None = None  # dry run only
    categories_needed: tuple[str, ...] = ()  # dry run: areas whose category is not cached yet
    run_id: int | None = None
    stopped: str | None = None  # why the run stopped early (should_stop)
    outcomes: tuple[Outcome, ...] = field(default=(), repr=False)

    def as_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "archived": self.archived,
            "restored": self.restored,
            "failed": self.failed,
            "failures": list(self.failures),
            "adopted": self.adopted,
            "deleted": [{"ref": r, "what": ["deleted"]} for r in self.deleted_refs],
            "requests": self.requests,
        }
        if self.plan is not None:
            doc["plan"] = list(self.plan)
            doc["categories_needed"] = list(self.categories_needed)
        if self.run_id is not None:
            doc["run_id"] = self.run_id
        if self.stopped:
            doc["stopped"] = self.stopped
        return doc


def plan_options(settings: Settings, options: SyncOptions) -> PlanOptions:
    return PlanOptions(
        external_id_prefix=settings.sync.external_id_prefix,
        drift_policy=settings.sync.drift_policy,
        edit_reason_update=settings.label("edit_reason_update"),
        edit_reason_drift=settings.label("edit_reason_drift"),
        only=options.only,
        recreate_deleted=options.recreate_deleted,
    )


def check_refs(records: list[CatalogueRecord], options: SyncOptions) -> None:
    """--project and --recreate-deleted name records that exist (exit 2 otherwise)."""
    known = {r.ref for r in records}
    unknown = sorted((set(options.only or ()) | set(options.recreate_deleted)) - known)
    if unknown:
        raise PlanError(f"unknown ref{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}")


def compute_plan(
    engine: Engine,
    settings: Settings,
    options: SyncOptions,
    categories: dict[str, int],
    records: list[CatalogueRecord] | None = None,
) -> Plan:
    """Read the catalogue and the sync state, then plan (pure). Raises PlanError on bad refs."""
    if records is None:
        records = store.load_records(engine, settings.home_region)
    named = None if options.only is None else set(options.only | options.recreate_deleted)
    check_refs(records, options)
    # Titles are decided across the whole catalogue; with --project only the named posts are rendered.
    desired = desired_topics(records, settings, render_only=named)
    return make_plan(
        desired.values(), store.load_states(engine), categories, plan_options(settings, options)
    )


def _summarise(outcomes: list[Outcome], requests: int, **extra: Any) -> SyncSummary:
    count = {
        k: 0 for k in (CREATED, ADOPTED, UPDATED, ARCHIVED, RESTORED, UNCHANGED, FAILED, DELETED)
    }
    for o in outcomes:
        count[o.result] += 1
    return SyncSummary(
        created=count[CREATED] + count[ADOPTED],
        adopted=count[ADOPTED],
        updated=count[UPDATED],
        unchanged=count[UNCHANGED],
        archived=count[ARCHIVED],
        restored=count[RESTORED],
        failed=count[FAILED],
        deleted=count[DELETED],
        requests=requests,
        failures=tuple(
            {"ref": o.ref, "error": o.error or ""} for o in outcomes if o.result == FAILED
        ),
        deleted_refs=tuple(o.ref for o in outcomes if o.result == DELETED),
        outcomes=tuple(outcomes),
        **extra,
    )


def dry_run(engine: Engine, settings: Settings, options: SyncOptions) -> SyncSummary:
    """The plan and the counts it would give. No request, no write, no lease."""
    cached = {area: row.category_id for area, row in store.load_categories(engine).items()}
    plan = compute_plan(engine, settings, options, cached)
    # Each planned action as the outcome it would have, so the counts come from _summarise too.
    would = [
        Outcome(
            a.ref, a.name, _PLANNED_RESULT[a.name], fields=a.fields, error=getattr(a, "error", None)
        )
        for a in plan.actions
    ]
    return _summarise(
        would, 0, plan=tuple(plan.as_json()), categories_needed=plan.missing_categories
    )


# What each planned action counts as in a summary (an invalid record fails without a request).
_PLANNED_RESULT = {
    "create": CREATED,
    "adopt": ADOPTED,
    "update": UPDATED,
    "close": ARCHIVED,
    "reopen": RESTORED,
    "unchanged": UNCHANGED,
    "invalid": FAILED,
    "deleted": DELETED,
}


def run_sync(
    engine: Engine,
    settings: Settings,
    client: Forum,
    options: SyncOptions = SyncOptions(),
    *,
    progress: Callable[[str, Any], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    lease_ttl: float | None = None,
) -> SyncSummary:
    """Make the forum match the catalogue. `progress(event, value)` gets ("plan", Plan) once,
    then ("done", Outcome) after every action. Raises LeaseHeld, PlanError, SyncStopped."""
    if options.dry_run:
        return dry_run(engine, settings, options)
    check_refs(store.load_records(engine, settings.home_region), options)
    lease = (
        LeaseHandle.acquire(engine, SYNC_LEASE, ttl=lease_ttl)
        if lease_ttl
        else LeaseHandle.acquire(engine, SYNC_LEASE)
    )
    outcomes: list[Outcome] = []
    start_requests = getattr(client, "requests_made", 0)
    run_id: int | None = None
    status, message = "failed", None
    try:
        run_id = store.start_run(engine, lease.holder)
        records = store.load_records(engine, settings.home_region)
        wanted = options.only if options.only is not None else None
        areas = {
            r.record["area"]
            for r in records
            if not r.archived and (wanted is None or r.ref in wanted)
        }
        try:
            categories = ensure_categories(client, engine, settings, areas)  # type: ignore[arg-type]
            # The challenges category of contract §5, created like the areas' (issue 12).
            ensure_challenge_category(client, engine, settings)  # type: ignore[arg-type]
        except CategoryError as exc:
            message = str(exc)
            raise SyncStopped(message) from None
        plan = compute_plan(engine, settings, options, categories, records)
        if progress:
            progress("plan", plan)
        applier = Applier(
            client, engine, categories, plan_options(settings, options), check=lease.check
        )
        stopped = None
        for action in plan.actions:
            if should_stop():
                stopped = "stopped on request; the next run carries on"
                break
            outcome = applier.apply(action)
            outcomes.append(outcome)
            if progress:
                progress("done", outcome)
        summary = _summarise(
            outcomes,
            getattr(client, "requests_made", 0) - start_requests,
            run_id=run_id,
            stopped=stopped,
        )
        status = "partial" if summary.failed else ("interrupted" if stopped else "ok")
        message = stopped
        return summary
    except (ForumAuthError, ForumUnreachable) as exc:
        message = str(exc)
        raise SyncStopped(message) from None
    except LeaseLost as exc:
        message = str(exc)
        raise SyncStopped(message) from None
    except KeyboardInterrupt:
        status, message = "interrupted", "interrupted (Ctrl-C); the next run carries on"
        raise
    finally:
        if run_id is not None:
            partial = _summarise(outcomes, getattr(client, "requests_made", 0) - start_requests)
            counts = {
                k: getattr(partial, k)
                for k in (
                    "created",
                    "updated",
                    "unchanged",
                    "archived",
                    "restored",
                    "adopted",
                    "failed",
                    "requests",
                )
            }
            try:
                store.finish_run(
                    engine,
                    run_id,
                    status=status,
                    counts=counts,
                    failures=list(partial.failures),
                    message=message,
                )
            except Exception:
                log.exception("could not record the end of sync run %s", run_id)
        lease.release()
