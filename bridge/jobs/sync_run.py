"""One sync run (issue 19 point 3: the job that composes the sync engine and the observatory):
options checked → lease and run log (bridge.sync.runs) → one snapshot (catalogue, states,
categories) → categories → plan (with the observatory's similar sections) → apply through the
forum-object kernel → the observatory's pages → summary.

`run_sync` is the library entry point used by `digicanvis sync` and by the scheduler (which
passes `should_stop` so SIGTERM lets the current action finish, and reads the summary).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from bridge.forum.errors import ForumAuthError, ForumUnreachable
from bridge.settings import Settings
from bridge.sync import revision
from bridge.sync.lease import LeaseLost
from bridge.sync.runner import (
    SyncOptions,
    SyncStopped,
    SyncSummary,
    check_options,
    compute_plan,
    merge_passes,
    named_refs,
    nothing_to_do,
    plan_options,
    planned_requests,
    resolve_options,
    summarise,
)
from bridge.sync.runs import RunKind, RunStatus, last_clean_sync, logged_run

if TYPE_CHECKING:
    from bridge.sync.apply import Outcome
    from bridge.sync.kernel import Forum
    from bridge.sync.plan import Plan


def dry_run(engine: Engine, settings: Settings, options: SyncOptions) -> SyncSummary:
    """The plan and the counts it would give. No request, no write, no lease. `options` as
    `resolve_options` gave them."""
    from bridge.observatory import step
    from bridge.sync import state, store
    from bridge.sync.apply import Outcome

    check_options(engine, options)
    cached = {area: row.category_id for area, row in store.load_categories(engine).items()}
    records = with_request_figures(engine, store.load_records(engine, settings.home_region))
    sections = None
    if options.observatory:
        sections = step.similar_sections(
            engine, settings, records, only=named_refs(options), save=False
        )
    popts = plan_options(settings, options)
    plan = compute_plan(
        records,
        state.load_states(engine),
        cached,
        settings,
        popts,
        sections.text if sections else None,
    )
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
    return summarise(
        would,
        0,
        plan=tuple(plan.as_json()),
        categories_needed=plan.missing_categories,
        pages=pages,
        requests_planned=planned,
        seconds_at_rate=planned * 60 / rate if rate else None,
    )


def run_sync(
    engine: Engine,
    settings: Settings,
    client: Forum,
    options: SyncOptions | None = None,
    *,
    progress: Callable[[str, Any], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    lease_ttl: float | None = None,
) -> SyncSummary:
    """Make the forum match the catalogue. `progress(event, value)` gets ("plan", Plan) once,
    ("pass", Plan) when a second pass links the topics just made, and ("done", Outcome) after
    every action. Raises LeaseHeld, PlanError, SyncStopped."""
    options = resolve_options(settings, options or SyncOptions())
    if options.dry_run:
        return dry_run(engine, settings, options)
    check_options(engine, options)
    outcomes: list[Outcome] = []
    start_requests = client.requests_made

    def requests() -> int:
        return client.requests_made - start_requests

    def tally() -> tuple[dict[str, int], list[dict[str, str]]]:
        partial = summarise(outcomes, requests())
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
                return nothing_to_do(engine, client, run, clean, requests)
        from bridge.challenges.category import ensure_challenge_category
        from bridge.observatory import step
        from bridge.sync import state, store
        from bridge.sync.apply import Applier
        from bridge.sync.categories import CategoryError, ensure_categories
        from bridge.sync.plan import Action, Result

        try:
            # One snapshot: the catalogue, the states and the category cache, each read once.
            records = with_request_figures(engine, store.load_records(engine, settings.home_region))
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
            # The connections category and its template (issue 22), likewise.
            from bridge.connections.step import ensure_connection_category

            ensure_connection_category(client, engine, settings)
            deferred: frozenset[str] = frozenset()
            linker = None
            if options.observatory:
                linker = step.Linker(engine, settings, records, only=named_refs(options))
            planned = plan_options(settings, options)  # once a run (the second pass's below)
            plan = compute_plan(
                records,
                states,
                categories,
                settings,
                planned,
                linker.current.text if linker is not None else None,
            )
            if linker is not None:
                plan, deferred = step.defer_waiting(plan, linker.current)
                plan = _order_creates(plan, linker.choice)
            if progress:
                progress("plan", plan)
            applier = Applier(client, engine, categories, planned, check=run.check)
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
                    relink = replace(planned, recreate_deleted=frozenset())
                    linker = None  # pass two is planned with every link known
                    sections = step.similar_sections(engine, settings, records, only=relink.only)
                    again = compute_plan(
                        records,
                        state.load_states(engine),
                        categories,
                        settings,
                        relink,
                        sections.text,
                    )
                    if progress:
                        progress("pass", again)
                    seen = {o.ref for o in outcomes}
                    extra = apply_all(a for a in again.actions if a.writes or a.ref not in seen)
                    second_writes = sum(o.result is Result.updated for o in extra)
                    outcomes[:] = merge_passes(outcomes, extra)
                if options.only is None and stopped is None:
                    pages = step.sync_pages(engine, settings, client, categories).as_json()
                    if pages.get("failed"):
                        run.revision = None  # a page to retry: the next sync must not skip it
        except (CategoryError, ForumAuthError, ForumUnreachable, LeaseLost) as exc:
            run.end(RunStatus.failed, str(exc))
            run.key_accepted = requests() > 0 and not isinstance(exc, ForumAuthError)
            raise SyncStopped(str(exc)) from exc
        run.key_accepted = requests() > 0
        summary = summarise(
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


def with_request_figures(engine: Engine, records: list[Any]) -> list[Any]:
    """Each record with how contact requests to it went (issue 22): an input of its post, so
    its topic is rewritten when, and only when, the figures change."""
    from dataclasses import replace

    from bridge.connections.read_store import counted
    from bridge.connections.rules import stats_by_ref
    from bridge.dbapi import rows_of

    with rows_of(engine) as found:
        figures = stats_by_ref(counted(found))
    if not figures:
        return records
    return [replace(r, requests=figures[r.ref]) if r.ref in figures else r for r in records]
