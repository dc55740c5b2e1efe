"""One scheduled run (`digicanvis schedule`): harvest the [[harvest]] sources, sync, pull, then
refresh the open data. Each step reports and lets the next go on; a held lease skips the forum
steps (another scheduler has them)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.forum.errors import ForumAuthError, ForumUnreachable

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bridge.forum.client import ForumClient
    from bridge.harvest.model import SourceOutcome
    from bridge.settings import Settings

# The scheduler's log lines keep the name they had when the CLI ran them.
log = logging.getLogger("bridge.loop")

Report = Callable[[str], None]


def run_fields(event: str, run_id: int | None, started: float, failed: int) -> dict[str, object]:
    """A finished step's structured log fields."""
    return {
        "event": event,
        "run_id": run_id,
        "outcome": "partial" if failed else "ok",
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    }


def scheduled_run(
    engine: Engine,
    cfg: Settings,
    stop: threading.Event,
    *,
    connect: Callable[[], AbstractContextManager[ForumClient]],
    harvest: bool,
    opendata: Path | None,
    report: Report,
) -> None:
    """One run of the schedule. `connect` opens the forum client for the sync and the pull;
    `report` says on stderr what the harvest and the open data did."""
    from bridge.jobs.sync_run import run_sync
    from bridge.loop.run import run_pull
    from bridge.sync.lease import LeaseHeld
    from bridge.sync.runner import SyncStopped

    if harvest and cfg.harvest:
        scheduled_harvest(engine, cfg, report)
    if stop.is_set():
        return
    with connect() as client:
        started = time.perf_counter()
        try:
            summary = run_sync(engine, cfg, client, should_stop=stop.is_set)
            log.info(
                f"sync: {summary.created} created, {summary.updated} updated, "
                f"{summary.unchanged} unchanged, "
                f"{summary.archived} archived, {summary.restored} restored, {summary.failed} "
                "failed",
                extra=run_fields("sync.finished", summary.run_id, started, summary.failed),
            )
            for failure in summary.failures:
                log.warning(
                    f"sync: {failure.get('ref')} failed: {failure.get('error')}",
                    extra={
                        "event": "sync.record_failed",
                        "run_id": summary.run_id,
                        "ref": failure.get("ref"),
                        "outcome": "failed",
                    },
                )
            if stop.is_set():
                return
            started = time.perf_counter()
            result = run_pull(engine, client, should_stop=stop.is_set, settings=cfg)
            log.info(
                f"pull: {result.updated} topics updated, {len(result.drift)} with drift",
                extra=run_fields("pull.finished", None, started, 0),
            )
        except LeaseHeld as exc:
            log.info(f"skipped: {exc}", extra={"event": "run.skipped", "outcome": "skipped"})
        except (SyncStopped, ForumAuthError, ForumUnreachable) as exc:
            log.warning(f"run stopped: {exc}", extra={"event": "run.stopped", "outcome": "stopped"})
    # The open data shows the catalogue (and the activity pulled), whatever the forum did.
    if opendata is not None and not stop.is_set():
        refresh_opendata(engine, cfg, opendata, report)


def scheduled_harvest(engine: Engine, cfg: Settings, report: Report) -> list[SourceOutcome]:
    """A scheduled run's harvest of the [[harvest]] sources; a failing source is reported and
    the schedule goes on (it changed nothing)."""
    from bridge.harvest.model import counts_said
    from bridge.harvest.run import configured, own_package_id
    from bridge.harvest.run import harvest as run

    outcomes = run(engine, configured(cfg), own_package_id=own_package_id(cfg))
    for outcome in outcomes:
        if outcome.error:
            report(f"harvest: {outcome.source}: failed: {outcome.error}")
        elif outcome.not_modified:
            report(f"harvest: {outcome.source}: unchanged")
        else:
            report(f"harvest: {outcome.source}: {counts_said(outcome, unchanged=False)}")
    return outcomes


def refresh_opendata(engine: Engine, cfg: Settings, directory: Path, report: Report) -> None:
    """After a scheduled run: rewrite DIR when the public catalogue changed (the same bytes are
    never rewritten). A problem is reported and the schedule goes on."""
    from bridge.opendata.publish import publish

    try:
        result = publish(
            engine,
            directory,
            cfg.opendata,
            home_region=cfg.home_region,
            discourse_url=cfg.discourse_url,
        )
    except Exception as exc:  # the next run tries again; the good package stays in place
        report(f"opendata: {directory} not refreshed: {exc}")
        return
    if result.changed:
        report(f"opendata: {directory} refreshed ({result.package.projects} projects)")
