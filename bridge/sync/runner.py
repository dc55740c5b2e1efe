"""The parts of a sync run below the observatory: options checked, the plan computed from one
snapshot, outcomes summarised, a run with nothing to do. The run itself — records, then the
observatory's sections and pages — is composed above both, in bridge.jobs.sync_run (issue 19:
no import runs up from the sync engine to the observatory or the challenges).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from bridge.forum.errors import ForumAuthError, ForumUnreachable
from bridge.models.columns import utcnow
from bridge.settings import Settings
from bridge.sync.plan_error import PlanError
from bridge.sync.runs import (
    RUN_COUNTS,
    CleanSync,
    RunStatus,
    key_accepted_at,
)
from bridge.sync.runs_read import KEY_CHECK_EVERY  # issue 28; bridge.sync.noop reads it too

# The planner, the renderer, the applier and the observatory (whose ranking loads numpy) are
# imported where a run plans (`_planned_run`, `dry_run`), not here: a no-op sync, which ends
# before planning, then starts as a new process in a fraction of the time (issue 20).
if TYPE_CHECKING:
    from bridge.sync import state
    from bridge.sync.apply import Forum, Outcome
    from bridge.sync.catalogue_record import CatalogueRecord
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
    # topics are kept (bridge.observatory.step). None: as `[observatory] enabled` says.
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


def named_refs(options: SyncOptions) -> set[str] | None:
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
    options: PlanOptions,
    similar: Mapping[str, str] | None = None,
) -> Plan:
    """Plan (pure) from one snapshot of the catalogue and the sync states, with the options
    resolved once for the run (`plan_options`). Posts end with their `similar`-projects
    section (ref → Markdown) when given: the observatory's (bridge.observatory.sections)."""
    from bridge.sync.desired import desired_topics
    from bridge.sync.plan import make_plan

    named = None if options.only is None else set(options.only | options.recreate_deleted)
    # Titles are decided across the whole catalogue; with --project only the named posts are
    # rendered.
    desired = desired_topics(records, settings, render_only=named, similar=similar)
    return make_plan(desired.values(), states, categories, options)


def summarise(outcomes: Iterable[Outcome], requests: int, **extra: Any) -> SyncSummary:
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


def merge_passes(first: list[Outcome], second: list[Outcome]) -> list[Outcome]:
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


def planned_requests(plan: Plan, pages: dict[str, Any] | None) -> int:
    """The requests a run of `plan` should take (bridge.sync.plan.requests_needed): its actions,
    a lookup and a create for each category not known yet, and one write for each page topic
    (index or overview) to create or update."""
    from bridge.sync.plan import requests_needed

    count = sum(requests_needed(a) for a in plan.actions) + 2 * len(plan.missing_categories)
    if pages:
        count += int(pages.get("created", 0)) + int(pages.get("updated", 0))
    return count


def nothing_to_do(
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
