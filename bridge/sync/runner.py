"""One sync run: options checked → lease and run log (bridge.sync.runs) → one snapshot
(catalogue, states, categories) → categories → plan → apply → summary.

`run_sync` is the library entry point used by `digicanvis sync` and by the scheduler (which
passes `should_stop` so SIGTERM lets the current action finish, and reads the summary).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from bridge.forum.errors import ForumAuthError, ForumUnreachable
from bridge.models.columns import utcnow
from bridge.settings import Settings
from bridge.sync import revision
from bridge.sync.lease import LeaseLost
from bridge.sync.plan_error import PlanError
from bridge.sync.runs import (
    RUN_COUNTS,
    CleanSync,
    RunKind,
    RunStatus,
    key_accepted_at,
    last_clean_sync,
    logged_run,
)
from bridge.sync.runs_read import KEY_CHECK_EVERY  # issue 28; bridge.sync.noop reads it too

# The planner, the renderer, the applier and the observatory (whose ranking loads numpy) are
# imported where a run plans (`_planned_run`, `dry_run`), not here: a no-op sync, which ends
# before planning, then starts as a new process in a fraction of the time (issue 20).
if TYPE_CHECKING:
    from bridge.discovery.sections import Sections
    from bridge.sync import state
    from bridge.sync.apply import Forum, Outcome
    from bridge.sync.desired import CatalogueRecord
    from bridge.sync.plan import Plan, PlanOptions

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
    # Dry run (issue 28): the requests the plan should take and the seconds they take at the
    # configured rate (None: no rate limit configured).
    requests_planned: int | None = None
    seconds_at_rate: float | None = None
    run_id: int | None = None
    stopped: str | None = None  # why the run stopped early (should_stop)
    pages: dict[str, Any] | None = None  # the index and overview topics (issue 11)
    # Issue 20: nothing changed since this (earlier) run; nothing was rendered or sent.
    nothing_since: int | None = None
    # Issue 20: posts written again by the second pass (lists naming topics made in this run).
    second_writes: int = 0
    key_checked: bool = False  # a no-op asked the forum whether it accepts the key (issue 28)
    outcomes: tuple[Outcome, ...] = field(default=(), repr=False)

    def counts(self) -> dict[str, int]:
        """The counts a run row keeps (bridge.sync.runs.RUN_COUNTS) and the requests."""
        return {key: getattr(self, key) for key in (*RUN_COUNTS, "requests")}

    def as_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = self.counts()
        doc |= {
            "failures": list(self.failures),
            "deleted": [{"ref": r, "what": ["deleted"]} for r in self.deleted_refs],
        }
        if self.plan is not None:
            doc["plan"] = list(self.plan)
            doc["categories_needed"] = list(self.categories_needed)
            doc["requests_planned"] = self.requests_planned
            doc["seconds_at_rate"] = self.seconds_at_rate
        if self.run_id is not None:
            doc["run_id"] = self.run_id
        if self.stopped:
            doc["stopped"] = self.stopped
        if self.pages is not None:
            doc["pages"] = self.pages
        if self.nothing_since is not None:
            doc["nothing_changed_since_run"] = self.nothing_since
        return doc


def plan_options(settings: Settings, options: SyncOptions) -> PlanOptions:
    from bridge.sync.plan import PlanOptions

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


def check_options(engine: Engine, options: SyncOptions) -> None:
    """--project and --recreate-deleted name records that exist (PlanError, exit 2), in one
    query, before any lease is taken."""
    named = set(options.only or ()) | set(options.recreate_deleted)
    if not named:
        return
    from bridge.sync import store

    unknown = store.unknown_refs(engine, named)
    if unknown:
        raise PlanError.unknown(unknown)


def compute_plan(
    records: list[CatalogueRecord],
    states: dict[int, state.Stored],
    categories: dict[str, int],
    settings: Settings,
    options: SyncOptions,
    sections: Sections | None = None,
) -> Plan:
    """Plan (pure) from one snapshot of the catalogue and the sync states. Posts end with their
    similar-projects `sections` when given (the observatory, issue 11)."""
    from bridge.sync.desired import desired_topics
    from bridge.sync.plan import make_plan

    named = _named(options)
    # Titles are decided across the whole catalogue; with --project only the named posts are
    # rendered.
    desired = desired_topics(
        records, settings, render_only=named, similar=sections.text if sections else None
    )
    return make_plan(desired.values(), states, categories, plan_options(settings, options))


def _summarise(outcomes: Iterable[Outcome], requests: int, **extra: Any) -> SyncSummary:
    from bridge.sync.plan import Result

    outcomes = tuple(outcomes)
    count = dict.fromkeys(Result, 0)
    for o in outcomes:
        count[o.result] += 1
    return SyncSummary(
        created=count[Result.created] + count[Result.adopted],
        adopted=count[Result.adopted],
        updated=count[Result.updated],
        unchanged=count[Result.unchanged],
        archived=count[Result.archived],
        restored=count[Result.restored],
        failed=count[Result.failed],
        deleted=count[Result.deleted],
        requests=requests,
        failures=tuple(
            {"ref": o.ref, "error": o.error or ""} for o in outcomes if o.result is Result.failed
        ),
        deleted_refs=tuple(o.ref for o in outcomes if o.result is Result.deleted),
        outcomes=outcomes,
        **extra,
    )


def _merge(first: list[Outcome], second: list[Outcome]) -> list[Outcome]:
    """One outcome per record across a run's two passes: a topic created in the first pass and
    linked in the second counts as created; a record planned only in the second, or that the
    second pass failed, counts as the second pass says."""
    from bridge.sync.plan import Result

    merged = {o.ref: o for o in first}
    for o in second:
        if (
            o.ref not in merged
            or merged[o.ref].result is Result.unchanged
            or o.result is Result.failed
        ):
            merged[o.ref] = o
    return list(merged.values())


def dry_run(engine: Engine, settings: Settings, options: SyncOptions) -> SyncSummary:
    """The plan and the counts it would give. No request, no write, no lease."""
    from bridge.discovery import step
    from bridge.sync import state, store
    from bridge.sync.apply import Outcome

    options = resolve_options(settings, options)
    check_options(engine, options)
    cached = {area: row.category_id for area, row in store.load_categories(engine).items()}
    records = store.load_records(engine, settings.home_region)
    sections = None
    if options.observatory:
        sections = step.similar_sections(
            engine, settings, records, only=_named(options), save=False
        )
    plan = compute_plan(records, state.load_states(engine), cached, settings, options, sections)
    # Each planned action as the outcome it would have, so the counts come from _summarise too.
    would = [
        Outcome(a.ref, a.name, a.result, fields=a.fields, error=getattr(a, "error", None))
        for a in plan.actions
    ]
    pages = None
    if options.observatory and options.only is None:
        pages = step.sync_pages(engine, settings, None, cached, dry_run=True).as_json()
    planned = planned_requests(plan, pages)
    rate = settings.rate_limit_per_minute
    return _summarise(
        would,
        0,
        plan=tuple(plan.as_json()),
        categories_needed=plan.missing_categories,
        pages=pages,
        requests_planned=planned,
        seconds_at_rate=planned * 60 / rate if rate else None,
    )


def planned_requests(plan: Plan, pages: dict[str, Any] | None) -> int:
    """The requests a run of `plan` should take (bridge.sync.plan.requests_needed): its actions,
    a lookup and a create for each category not known yet, and one write for each page topic
    (index or overview) to create or update."""
    from bridge.sync.plan import requests_needed

    count = sum(requests_needed(a) for a in plan.actions) + 2 * len(plan.missing_categories)
    if pages:
        count += int(pages.get("created", 0)) + int(pages.get("updated", 0))
    return count


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
    ("pass", Plan) when a second pass links the topics just made, and ("done", Outcome) after
    every action. Raises LeaseHeld, PlanError, SyncStopped."""
    options = resolve_options(settings, options)
    if options.dry_run:
        return dry_run(engine, settings, options)
    check_options(engine, options)
    outcomes: list[Outcome] = []
    start_requests = client.requests_made

    def requests() -> int:
        return client.requests_made - start_requests

    def tally() -> tuple[dict[str, int], list[dict[str, str]]]:
        partial = _summarise(outcomes, requests())
        return partial.counts(), list(partial.failures)

    with logged_run(engine, RunKind.sync, lease_ttl=lease_ttl) as run:
        run.tally = tally
        full = options.only is None and not options.recreate_deleted
        if full:
            # Read before the snapshot: a write committed from now on bumps the revision past
            # the one this run stores, so the next sync does its work (bridge.sync.revision).
            with engine.begin() as conn:
                run.revision = revision.current(conn)
            run.fingerprint = revision.fingerprint(settings, observatory=bool(options.observatory))
            clean = last_clean_sync(engine)
            if (
                clean is not None
                and clean.revision == run.revision
                and clean.fingerprint == run.fingerprint
            ):
                return _nothing_to_do(engine, client, run, clean, requests)
        from bridge.challenges.category import ensure_challenge_category
        from bridge.discovery import step
        from bridge.sync import state, store
        from bridge.sync.apply import Applier
        from bridge.sync.categories import CategoryError, ensure_categories
        from bridge.sync.plan import Action, Result

        try:
            # One snapshot: the catalogue, the states and the category cache, each read once.
            records = store.load_records(engine, settings.home_region)
            states = state.load_states(engine)
            wanted = options.only
            areas = {
                r.record["area"]
                for r in records
                if not r.archived and (wanted is None or r.ref in wanted)
            }
            categories = ensure_categories(client, engine, settings, areas)
            # The challenges category of contract §5, created like the areas' (issue 12).
            ensure_challenge_category(client, engine, settings)
            deferred: frozenset[str] = frozenset()
            linker = None
            if options.observatory:
                linker = step.Linker(engine, settings, records, only=_named(options))
            plan = compute_plan(
                records,
                states,
                categories,
                settings,
                options,
                linker.current if linker is not None else None,
            )
            if linker is not None:
                plan, deferred = step.defer_waiting(plan, linker.current)
                plan = _order_creates(plan, linker.choice)
            if progress:
                progress("plan", plan)
            applier = Applier(
                client, engine, categories, plan_options(settings, options), check=run.check
            )
            stopped = None
            second_writes = 0

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
                    if linker is not None and outcome.result in (Result.created, Result.adopted):
                        linker.created(outcome.ref, outcome.topic_id)
                    done.append(outcome)
                    if progress:
                        progress("done", outcome)
                return done

            outcomes.extend(apply_all(plan.actions))
            pages = None
            if options.observatory and stopped is None:
                created = any(o.result in (Result.created, Result.adopted) for o in outcomes)
                if created or deferred:
                    # Second pass: the topics made above can now be linked from the sections
                    # that list them; only posts whose section changed are written.
                    # (--recreate-deleted was done above: the topic is no longer a deleted one.)
                    relink = replace(options, recreate_deleted=frozenset())
                    linker = None  # pass two is planned with every link known
                    sections = step.similar_sections(engine, settings, records, only=_named(relink))
                    again = compute_plan(
                        records, state.load_states(engine), categories, settings, relink, sections
                    )
                    if progress:
                        progress("pass", again)
                    seen = {o.ref for o in outcomes}
                    extra = apply_all(a for a in again.actions if a.writes or a.ref not in seen)
                    second_writes = sum(o.result is Result.updated for o in extra)
                    outcomes[:] = _merge(outcomes, extra)
                if options.only is None and stopped is None:
                    pages = step.sync_pages(engine, settings, client, categories).as_json()
                    if pages.get("failed"):
                        run.revision = None  # a page to retry: the next sync must not skip it
        except (CategoryError, ForumAuthError, ForumUnreachable, LeaseLost) as exc:
            run.end(RunStatus.failed, str(exc))
            run.key_accepted = requests() > 0 and not isinstance(exc, ForumAuthError)
            raise SyncStopped(str(exc)) from exc
        run.key_accepted = requests() > 0
        summary = _summarise(
            outcomes,
            requests(),
            run_id=run.id,
            stopped=stopped,
            pages=pages,
            second_writes=second_writes,
        )
        if summary.failed:
            run.end(RunStatus.partial, stopped)
        else:
            run.end(RunStatus.interrupted if stopped else RunStatus.ok, stopped)
        return summary


def _order_creates(plan: Plan, choice: dict[str, list[str]]) -> Plan:
    """The plan with its creates (last, as planned) in dependency order
    (bridge.sync.create_order), so that the second pass rewrites as few lists as it can."""
    from bridge.sync.create_order import creation_order
    from bridge.sync.plan import Action, Adopt, Create

    creates = [a for a in plan.actions if isinstance(a, (Create, Adopt))]
    if len(creates) < 2:
        return plan
    by_ref = {a.ref: a for a in creates}
    rest = [a for a in plan.actions if not isinstance(a, (Create, Adopt))]
    ordered: list[Action] = [by_ref[r] for r in creation_order(list(by_ref), choice)]
    return replace(plan, actions=tuple(rest + ordered))


def _nothing_to_do(
    engine: Engine, client: Forum, run: Any, clean: CleanSync, requests: Callable[[], int]
) -> SyncSummary:
    """Nothing the plan reads changed since run `clean`: no rendering, no similarity, no
    request, except one cheap read a day that confirms the forum still accepts the key."""
    checked = False
    last = key_accepted_at(engine)
    if last is None or utcnow() - last >= KEY_CHECK_EVERY:
        checked = True
        try:
            client.categories_found()
        except (ForumAuthError, ForumUnreachable) as exc:
            run.end(RunStatus.failed, str(exc))
            run.key_accepted = False
            raise SyncStopped(str(exc)) from exc
        run.key_accepted = True
    run.tally = lambda: ({"unchanged": clean.records}, [])
    run.end(RunStatus.ok, f"nothing changed since run {clean.run_id}")
    summary = SyncSummary(
        unchanged=clean.records,
        requests=requests(),
        run_id=run.id,
        nothing_since=clean.run_id,
        key_checked=checked,
    )
    run.tally = lambda: (summary.counts(), [])
    return summary
