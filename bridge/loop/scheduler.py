"""Periodic runs on APScheduler 3.x: one job, every N seconds, UTC.

- coalesce: runs missed while the machine slept collapse into one;
- max_instances=1: a run never overlaps the previous one in this process (the database lease
  keeps separate processes apart);
- misfire grace: a run up to half an interval late (at least 30 s) still happens;
- the main thread waits on `stop`; SIGTERM/SIGINT only set it, the running job sees it between
  two requests, records its progress and returns, then the scheduler shuts down and we exit 0.
Between runs nothing polls: the scheduler thread sleeps until the next run time.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from types import FrameType

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)


def build_scheduler(
    every_seconds: int, job: Callable[[], object], *, first_run: datetime | None = None
) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        timezone=UTC,
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": max(30, every_seconds // 2),
        },
    )
    scheduler.add_job(
        job,
        IntervalTrigger(seconds=every_seconds, timezone=UTC),
        id="sync-then-pull",
        name="sync then pull",
        next_run_time=first_run or datetime.now(UTC),
    )

    def _on_error(event: JobExecutionEvent) -> None:
        log.error("scheduled run failed: %s", event.exception)

    scheduler.add_listener(_on_error, EVENT_JOB_ERROR)
    return scheduler


def run_until_stopped(every_seconds: int, job: Callable[[], object], stop: threading.Event) -> None:
    """Run `job` now and every `every_seconds` until SIGTERM/SIGINT (or `stop` is set elsewhere)."""

    def _request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info(
            "signal %s: finishing the current request, then stopping", signal.Signals(signum).name
        )
        stop.set()

    previous = {sig: signal.signal(sig, _request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    scheduler = build_scheduler(every_seconds, job)
    scheduler.start()
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=True)  # waits for a running job, which stops at its next step
        for sig, handler in previous.items():
            signal.signal(sig, handler)
