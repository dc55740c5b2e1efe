"""One sync run: lease → run log → snapshot → categories → plan → apply → summary.

`run_sync` is the library entry point used by `digicanvis sync` and by the scheduler of issue 5
(which passes `should_stop` so SIGTERM lets the current action finish, and reads the summary).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.engine import Engine

from bridge.discovery import step
from bridge.discovery.sections import Sections
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
from bridge.sync.plan import Action, Plan, PlanError, PlanOptions, make_plan

log = logging.getLogger("bridge.sync")


class SyncStopped(Exception):
    """The run stopped before finishing: refused key, unreachable forum, lost lease or a
    category that cannot be made. Progress so far is recorded. Exit 2."""


@dataclass(frozen=True)
class SyncOptions:
    dry_run: bool = False
    only: frozenset[str] | None = None
    recreate_deleted: frozenset[str] = frozenset()
    # Issue 11: each first post ends with its similar projects, and the index and overview
    # topics are kept (bridge.discovery.step). None: as `[observatory] enabled` says.
    observatory: bool | None = None


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
    pages: dict[str, Any] | None = None  # the index and overview topics (issue 11)
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
        if self.pages is not None:
            doc["pages"] = self.pages
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


def resolve_options(settings: Settings, options: SyncOptions) -> SyncOptions:
    """Options with the observatory switch decided (the caller's, else the TOML file's)."""
    if options.observatory is None:
        return replace(options, observatory=settings.observatory.enabled)
    return options


def _named(options: SyncOptions) -> set[str] | None:
    return None if options.only is None else set(options.only | options.recreate_deleted)


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
    *,
    sections: Sections | None = None,
    save: bool = True,
) -> Plan:
    """Read the catalogue and the sync state, then plan (pure). Raises PlanError on bad refs.
    With the observatory on, posts end with `sections` (computed here when not given)."""
    if records is None:
        records = store.load_records(engine, settings.home_region)
    named = _named(options)
    check_refs(records, options)
    options = resolve_options(settings, options)
    if options.observatory and sections is None:
        sections = step.similar_sections(engine, settings, records, only=named, save=save)
    # Titles are decided across the whole catalogue; with --project only the named posts are
    # rendered.
    desired = desired_topics(
        records, settings, render_only=named, similar=sections.text if sections else None
    )
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


def _merge(first: list[Outcome], second: list[Outcome]) -> list[Outcome]:
    """One outcome per record across a run's two passes: a topic created in the first pass and
    linked in the second counts as created; a record planned only in the second, or that the
    second pass failed, counts as the second pass says."""
    merged = {o.ref: o for o in first}
    for o in second:
        if o.ref not in merged or merged[o.ref].result == UNCHANGED or o.result == FAILED:
            merged[o.ref] = o
    return list(merged.values())


def dry_run(engine: Engine, settings: Settings, options: SyncOptions) -> SyncSummary:
    """The plan and the counts it would give. No request, no write, no lease."""
    options = resolve_options(settings, options)
    cached = {area: row.category_id for area, row in store.load_categories(engine).items()}
    plan = compute_plan(engine, settings, options, cached, save=False)
    # Each planned action as the outcome it would have, so the counts come from _summarise too.
    would = [
        Outcome(
            a.ref, a.name, _PLANNED_RESULT[a.name], fields=a.fields, error=getattr(a, "error", None)
        )
        for a in plan.actions
    ]
    pages = None
    if options.observatory and options.only is None:
        pages = step.sync_pages(engine, settings, None, cached, dry_run=True).as_json()
    return _summarise(
        would,
        0,
        plan=tuple(plan.as_json()),
        categories_needed=plan.missing_categories,
        pages=pages,
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
    options = resolve_options(settings, options)
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
        except CategoryError as exc:
            message = str(exc)
            raise SyncStopped(message) from None
        deferred: frozenset[str] = frozenset()
        linker = None
        if options.observatory:
            linker = step.Linker(engine, settings, records, only=_named(options))
        plan = compute_plan(
            engine,
            settings,
            options,
            categories,
            records,
            sections=linker.current if linker is not None else None,
        )
        if linker is not None:
            plan, deferred = step.defer_waiting(plan, linker.current)
            plan = linker.order_creates(plan)
        if progress:
            progress("plan", plan)
        applier = Applier(
            client, engine, categories, plan_options(settings, options), check=lease.check
        )
        stopped = None

        def apply_all(actions: Iterable[Action]) -> list[Outcome]:
            nonlocal stopped
            done = []
            for action in actions:
                if should_stop():
                    stopped = "stopped on request; the next run carries on"
                    break
                if linker is not None:
                    action = linker.relink(action)
                outcome = applier.apply(action)
                if linker is not None and outcome.result in (CREATED, ADOPTED):
                    linker.created(outcome.ref, outcome.topic_id)
                done.append(outcome)
                if progress:
                    progress("done", outcome)
            return done

        outcomes.extend(apply_all(plan.actions))
        pages = None
        if options.observatory and stopped is None:
            created = any(o.result in (CREATED, ADOPTED) for o in outcomes)
            if created or deferred:
                # Second pass: the topics made above can now be linked from the sections that
                # list them; only posts whose section changed are written.
                # (--recreate-deleted was done above: the topic is no longer a deleted one.)
                relink = replace(options, recreate_deleted=frozenset())
                again = compute_plan(engine, settings, relink, categories, records)
                linker = None  # pass two is planned with every link known
                seen = {o.ref for o in outcomes}
                extra = apply_all(a for a in again.actions if a.writes or a.ref not in seen)
                outcomes[:] = _merge(outcomes, extra)
            if options.only is None and stopped is None:
                pages = step.sync_pages(engine, settings, client, categories).as_json()
        summary = _summarise(
            outcomes,
            getattr(client, "requests_made", 0) - start_requests,
            run_id=run_id,
            stopped=stopped,
            pages=pages,
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
