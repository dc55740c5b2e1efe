"""Commands: `sync`, `status`, `demo` (see bridge.cli.app for what commands share).

Exit codes (contract §3): 0 done; 1 some records failed (listed, retried next time); 2 bad usage,
an unknown ref, another sync holding the lease, a refused key or an unreachable forum.
Progress goes to stderr: a bar on a terminal, plain lines otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bridge.cli.app import (
    EXIT_OK,
    EXIT_PARTIAL,
    JsonOption,
    app,
    catalogue_engine,
    catalogue_rows,
    catalogue_settings,
    err,
    fail,
    forum_client,
    out,
    print_json,
    print_matches,
    settings,
)

# The sync engine, the database and rich are imported inside the commands that use them, so that
# other commands (a `projects list` of thousands of records, say) do not pay for loading them.
if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.progress import Progress
    from rich.table import Table

    from bridge.challenges.read_store import ChallengeReport
    from bridge.forum.client import ForumClient
    from bridge.jobs.demo import Picture, Showcase
    from bridge.settings import Settings
    from bridge.sync.plan import Plan
    from bridge.sync.runner import SyncSummary


# --------------------------------------------------------------------------- progress


class _Reporter:
    """Progress of the writes on stderr (issue 28): on a terminal a rich bar with N/M, the rate
    and the time left; elsewhere one line per write or failure (never per unchanged record: a
    no-op sync of thousands stays quiet) and, every `EVERY` seconds, a line with N/M, the rate
    and the time left. Pauses of the forum client (the rate limit, a retry) of `PAUSE` seconds
    or more are said."""

    EVERY = 10.0
    PAUSE = 5.0

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        import time

        self.bar: Progress | None = None
        self.task: Any = None  # rich's TaskID, once the bar is shown
        self.clock = clock or time.monotonic
        self.total = 0
        self.done = 0
        self.started = 0.0
        self.said = 0.0

    def _rate(self) -> float:
        elapsed = self.clock() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def progress_line(self) -> str:
        """ "sync: 120/2000 written, 1.0 a second, about 31m20s left" """
        from bridge.loop.durations import spoken

        rate = self._rate()
        left = f", about {spoken((self.total - self.done) / rate)} left" if rate else ""
        return f"sync: {self.done}/{self.total} written, {rate:.1f} a second{left}"

    def waiting(self, seconds: float, why: str) -> None:
        """The forum client's pause hook (ForumClient.on_wait)."""
        from bridge.loop.durations import spoken

        if seconds < self.PAUSE:
            return
        text = f"waiting {spoken(seconds)} for {why} ({self.done}/{self.total} written)"
        if self.bar is not None:
            self.bar.update(self.task, description=text)
        else:
            err.print(f"sync: {text}", markup=False, highlight=False)

    def __call__(self, event: str, value: Any) -> None:
        if event in ("plan", "pass"):
            plan: Plan = value
            writes = len(plan.writes)
            if event == "plan":
                self.started = self.said = self.clock()
            self.total += writes
            if self.bar is not None:
                self.bar.update(self.task, total=self.total)
                return
            if err.is_terminal and writes:
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeElapsedColumn,
                    TimeRemainingColumn,
                )

                self.bar = Progress(
                    TextColumn("sync"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]}"),
                    TimeElapsedColumn(),
                    TimeRemainingColumn(),
                    TextColumn("{task.description}"),
                    console=err,
                    transient=True,
                )
                self.bar.start()
                self.task = self.bar.add_task("", total=self.total, rate="")
            elif writes:
                err.print(
                    f"sync: {len(plan.actions)} records, {writes} to write",
                    markup=False,
                    highlight=False,
                )
            return
        from bridge.models.enums import SyncResult as Result

        outcome = value
        if outcome.result is Result.unchanged:
            return
        self.done += 1
        if self.bar is not None:
            self.bar.update(
                self.task,
                completed=self.done,
                rate=f"{self._rate():.1f}/s",
                description=f"{outcome.ref}: {outcome.result}",
            )
            return
        line = f"{outcome.ref}: {outcome.result}"
        if outcome.fields and outcome.result is Result.updated:
            line += f" ({', '.join(outcome.fields)})"
        if outcome.error:
            line += f" — {outcome.error}"
        err.print(line, markup=False, highlight=False)
        if self.clock() - self.said >= self.EVERY:
            self.said = self.clock()
            err.print(self.progress_line(), markup=False, highlight=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


# --------------------------------------------------------------------------- sync


class _LazyForum:
    """The forum client, made on first use: a sync with nothing to do sends no request and
    then never loads the HTTP stack (issue 20). The configuration is checked at once all the
    same (exit 2 without DISCOURSE_URL or DISCOURSE_API_KEY)."""

    def __init__(self, cfg: Settings, reporter: _Reporter) -> None:
        from bridge.config import ConfigError

        try:
            cfg.require_forum()
        except ConfigError as exc:
            fail(str(exc))
        self._cfg, self._reporter = cfg, reporter
        self._client: ForumClient | None = None

    @property
    def requests_made(self) -> int:
        return 0 if self._client is None else int(self._client.requests_made)

    @requests_made.setter
    def requests_made(self, value: int) -> None:  # settable, as the Forum protocol has it
        self._connected().requests_made = value

    def _connected(self) -> ForumClient:
        if self._client is None:
            self._client = forum_client(self._cfg)
            self._client.on_wait = self._reporter.waiting
        return self._client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connected(), name)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def _print_summary(summary: SyncSummary, *, dry_run: bool) -> None:
    if dry_run and summary.plan is not None:
        from rich.table import Table

        table = Table("ref", "action", "fields", title="plan (nothing was changed)")
        shown = 0
        for row in summary.plan:
            if row["action"] != "unchanged":
                table.add_row(row["ref"], row["action"], ", ".join(row["fields"]))
                shown += 1
        if shown:
            out.print(table)
        if summary.categories_needed:
            out.print(
                f"categories to find or create first: {', '.join(summary.categories_needed)}",
                markup=False,
            )
        if summary.requests_planned is not None:
            out.print(_estimate(summary.requests_planned, summary.seconds_at_rate), markup=False)
    verb = "would be " if dry_run else ""
    if summary.nothing_since is not None:
        # Issue 20: the fast path: nothing the plan reads changed since that run.
        checked = summary.requests if summary.key_checked else None
        _say_nothing_changed(summary.nothing_since, summary.unchanged, checked)
        return
    out.print(
        f"{verb}created {summary.created}, updated {summary.updated}, unchanged "
        f"{summary.unchanged}, "
        f"archived {summary.archived}, restored {summary.restored}, failed {summary.failed}"
        + ("" if dry_run else f" ({summary.requests} requests)"),
        markup=False,
    )
    for outcome in summary.outcomes:
        if outcome.reverted:
            # Issue 28: a moderator's change undone by catalogue-wins is said, not silent.
            out.print(
                f"reverted: {outcome.ref}: the forum's change to {', '.join(outcome.reverted)} "
                "was undone (drift policy catalogue-wins)",
                markup=False,
            )
    for ref in summary.deleted_refs:
        out.print(
            f"drift: the topic of {ref} was deleted in the forum; `sync --recreate-deleted {ref}` "
            "recreates it",
            markup=False,
        )
    for failure in summary.failures:
        err.print(f"failed: {failure['ref']}: {failure['error']}", markup=False)
    if summary.pages is not None:
        pages = summary.pages
        out.print(
            f"observatory topics (index per area, overview): {verb}created {pages['created']}, "
            f"updated {pages['updated']}, unchanged {pages['unchanged']}, failed {pages['failed']}",
            markup=False,
        )
        for failure in pages["failures"]:
            err.print(f"failed: {failure['page']}: {failure['error']}", markup=False)


def _say_nothing_changed(since: int, unchanged: int, key_checked: int | None) -> None:
    """The line of a sync that found nothing to do (`key_checked`: the requests that asked the
    forum whether it accepts the key, None when it was not asked)."""
    checked = (
        f"; the forum accepted the key ({key_checked} request)" if key_checked is not None else ""
    )
    # Plain, as `export` prints: loading rich would cost more than this whole run.
    from bridge.redact import scrub
    from bridge.terminal import visible

    line = (
        f"nothing changed since sync run {since}: unchanged {unchanged}, nothing rendered or "
        f"sent{checked}"
    )
    print(visible(scrub(line)), flush=True)


def _estimate(requests: int, seconds: float | None) -> str:
    """ "about 918 requests, about 15m18s at the configured 60 a minute" (issue 28)."""
    from bridge.loop.durations import spoken

    text = f"about {requests} request{'s' if requests != 1 else ''}"
    if seconds is None:
        return text + " (no rate limit configured)"
    rate = round(requests * 60 / seconds) if seconds else None
    at = f" at the configured {rate} a minute" if rate else ""
    return text + f", about {spoken(seconds)}{at}"


@app.command()
def sync(
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print the plan; change nothing, locally or in the forum."),
    ] = False,
    project: Annotated[
        list[str] | None,
        typer.Option("--project", help="Only this record (repeatable).", metavar="REF"),
    ] = None,
    recreate_deleted: Annotated[
        list[str] | None,
        typer.Option(
            "--recreate-deleted",
            help="Recreate the topic a moderator deleted, with a new external id.",
            metavar="REF",
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Make the forum match the catalogue: one topic per record, only what changed is written.

    A catalogue unchanged since the last full sync that ended ok ends at once (nothing rendered
    or sent), except for one request a day confirming that the forum accepts the API key. On a
    terminal a bar shows N/M, the rate and the time left; elsewhere a line every 10 s does.
    SIGTERM or Ctrl-C stop after the write in flight: what was done is recorded and printed
    (exit 1), and the next run carries on."""
    if not (dry_run or project or recreate_deleted):
        # Issue 20: nothing to do is decided, and recorded, before SQLAlchemy and pydantic load.
        from bridge.sync.noop import nothing_to_do

        done = nothing_to_do()
        if done is not None:
            if json_output:
                print_json(done.as_json())
            else:
                _say_nothing_changed(done.since, done.unchanged, None)
            raise typer.Exit(EXIT_OK)
    import signal
    import threading

    import sqlalchemy as sa

    from bridge.jobs.sync_run import dry_run as plan_only
    from bridge.jobs.sync_run import run_sync
    from bridge.sync.lease import LeaseHeld
    from bridge.sync.plan_error import PlanError
    from bridge.sync.runner import SyncOptions, SyncStopped, resolve_options

    cfg = settings()
    engine = catalogue_engine(cfg)
    options = SyncOptions(
        dry_run=dry_run,
        only=frozenset(project) if project else None,
        recreate_deleted=frozenset(recreate_deleted or ()),
    )
    reporter = _Reporter()
    client = None if dry_run else _LazyForum(cfg, reporter)
    stop = threading.Event()
    # Issue 28: SIGTERM (a service manager stopping, `kill`) lets the write in flight finish,
    # then the run is recorded as interrupted with what it did, and that is printed.
    try:
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    except ValueError:  # not the main thread (an embedding program): its own handler stays
        previous = None
    try:
        if client is None:  # a dry run plans and writes nothing: no forum
            summary = plan_only(engine, cfg, resolve_options(cfg, options))
        else:
            summary = run_sync(
                engine, cfg, client, options, progress=reporter, should_stop=stop.is_set
            )
    except (PlanError, LeaseHeld) as exc:
        fail(str(exc))
    except SyncStopped as exc:
        fail(f"sync stopped: {exc}")
    except sa.exc.OperationalError as exc:
        fail(f"cannot use the catalogue database: {exc.orig}")
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        reporter.close()
        if client is not None:
            client.close()
    if json_output:
        print_json(summary.as_json())
    else:
        _print_summary(summary, dry_run=dry_run)
        if summary.stopped:
            err.print(
                f"interrupted: {summary.stopped} (run {summary.run_id} recorded as interrupted)",
                markup=False,
            )
    # Interrupted: not everything was done, as when records failed; the next run carries on.
    raise typer.Exit(EXIT_PARTIAL if summary.failed or summary.stopped else EXIT_OK)


# --------------------------------------------------------------------------- status


@app.command()
def status(json_output: JsonOption = False) -> None:
    """Records never synced, pending changes, failures, drift found, last runs."""
    # Through the driver alone, as the other read commands (issue 15): no SQLAlchemy, no ORM.
    from bridge.sync.lease_read import running
    from bridge.sync.pages_read import page_drift_report
    from bridge.sync.runs_read import key_accepted_at
    from bridge.sync.state_read import status_report

    with catalogue_rows(catalogue_settings()) as rows:
        report = status_report(rows)
        # A live holder of the sync lock (its lock is taken, whatever the lease row says): who
        # and since when, so that an administrator can find a hung one (README: "A hung sync").
        holder = running(rows)
        from bridge.challenges.read_store import challenge_status

        challenges = challenge_status(rows)  # issue 12
        from bridge.connections.read_store import status_counts as request_counts

        requests_by_status = request_counts(rows)  # issue 22
        page_drift = page_drift_report(rows)
        key_seen = key_accepted_at(rows)
    report["running"] = (
        None
        if holder is None
        else {
            "holder": holder.holder,
            "since": holder.since.isoformat(),
            "heartbeat_until": holder.heartbeat_until.isoformat(),
        }
    )
    report["challenges"] = challenges
    report["requests"] = requests_by_status
    report["page_drift"] = page_drift  # issue 11: the index and overview topics
    # Issue 28: a key the forum stopped accepting shows here before a cron job's mail does.
    report["key_accepted_at"] = key_seen.isoformat() if key_seen else None
    if json_output:
        print_json(report)
        return
    if holder is not None:
        out.print(
            f"running: {holder.holder}, since {holder.since:%Y-%m-%d %H:%M:%S} UTC",
            markup=False,
        )
    out.print(
        f"{report['records']} records: {report['never_synced']} never synced, {report['pending']} "
        "pending, "
        f"{report['failed']} failed, {len(report['drift'])} with drift",
        markup=False,
    )
    for failure in report["failures"]:
        out.print(f"failed: {failure['ref']}: {failure['error']}", markup=False)
    for item in report["drift"]:
        out.print(f"drift: {item['ref']}: {', '.join(item['what'])}", markup=False)
    for item in report["page_drift"]:
        out.print(f"drift: page {item['page']}: {', '.join(item['what'])}", markup=False)
    print_challenge_status(report["challenges"])
    counts = ", ".join(f"{n} {s}" for s, n in requests_by_status.items() if n and s != "ignored")
    out.print(f"requests: {counts or 'none'}", markup=False)
    out.print(
        "API key last accepted by the forum: "
        + (f"{key_seen:%Y-%m-%d %H:%M:%S} UTC" if key_seen else "never (no run has reached it)"),
        markup=False,
    )
    for key, title in (("last_runs", "last sync runs"), ("last_pulls", "last pulls")):
        if report[key]:
            out.print(_runs_table(report[key], title))


def _runs_table(runs: list[dict[str, Any]], title: str) -> Table:
    from datetime import datetime

    from rich.table import Table

    from bridge.sync.runs_read import RUN_COUNTS

    # Compact enough for 80 columns: a pipe into a file must not cut the figures.
    table = Table("started (UTC)", "seconds", "status", "counts", "requests", title=title)
    for run in runs:
        c = run["counts"]
        start, end = run["start"], run["end"]
        seconds = ""
        if start and end:
            elapsed = datetime.fromisoformat(end) - datetime.fromisoformat(start)
            seconds = f"{elapsed.total_seconds():.1f}"
        counts = " ".join(f"{k} {c[k]}" for k in RUN_COUNTS if c.get(k))
        table.add_row(
            (start or "")[:19].replace("T", " "),
            seconds,
            run["status"],
            counts or "nothing",
            str(run["requests"]),
        )
    return table


# --------------------------------------------------------------------------- demo


@app.command()
def demo(
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            help="Keep the demo catalogue in this SQLAlchemy URL (default: a temporary SQLite "
            "file).",
            metavar="URL",
        ),
    ] = None,
    json_output: JsonOption = False,
    pictures: Annotated[
        Path | None,
        typer.Option(
            "--pictures",
            help="Also write the overview topic's maps and charts (PNG) into this directory, to "
            "look at them after the demo's forum has stopped.",
            metavar="DIR",
        ),
    ] = None,
) -> None:
    """The whole thing on embedded defaults: a local forum emulator, the bundled sample
    catalogue, a first sync, the topics it made (the overview with its maps and charts), and a
    second sync that writes nothing."""
    from rich.table import Table

    from bridge.jobs.demo import DemoFailed, run_demo

    say = err if json_output else out
    try:
        run = run_demo(
            settings(),
            database=database,
            pictures=pictures,
            say=lambda message: say.print(message, markup=False),
            progress=_Reporter(),
        )
    except DemoFailed as exc:
        fail(str(exc))
    first, second, topics = run.first, run.second, run.topics
    showcase, challenge, request = run.showcase, run.challenge, run.request
    if json_output:
        print_json(run.as_json())
    else:
        out.print(
            f"first sync: created {first.created}, updated {first.updated}, failed {first.failed} "
            f"({first.requests} requests)",
            markup=False,
        )
        table = Table(title="topics in the forum")
        table.add_column("ref", overflow="fold")
        table.add_column("category", overflow="fold")
        table.add_column("tags", overflow="fold")
        table.add_column("topic", overflow="fold")  # folded, never cut: the URL must stay usable
        for t in topics:
            table.add_row(t["ref"], t["category"] or "", ", ".join(t["tags"]), t["url"])
        out.print(table)
        _print_showcase(showcase)
        _print_pictures(showcase["pictures"], pictures)
        out.print(
            f"second sync: created {second.created}, updated {second.updated}, unchanged "
            f"{second.unchanged} "
            f"({second.requests} requests): an unchanged catalogue costs nothing",
            markup=False,
        )
        _print_challenge(challenge)
        if request is not None:
            _print_request(request)
        for failure in first.failures:
            err.print(f"failed: {failure['ref']}: {failure['error']}", markup=False)
    raise typer.Exit(EXIT_PARTIAL if first.failed or second.failed else EXIT_OK)


def _print_request(request: dict[str, Any]) -> None:
    out.print(
        f"\na practitioner asks for a {request['kind']}: {request['title']} "
        f"({request['topic_url']}), about {request['ref']}",
        markup=False,
    )
    out.print(
        f"the bridge records it ({request['asked']}), invites {request['invited']} contact(s) "
        f"and posts one note ({request['requests']} requests):\n",
        markup=False,
    )
    for failure in request["invite_failures"]:
        out.print(f"(an invite was refused: {failure['error']})", markup=False)
    if request["note"]:
        out.print(request["note"], markup=False)
    out.print(
        f"\n{request['answered_by']} answers in the topic; the next pull: {request['status']}",
        markup=False,
    )


def _print_showcase(doc: Showcase) -> None:
    from rich.table import Table
    from rich.text import Text

    out.print(f"similar {doc['similar']['ref']}: the projects most like it", markup=False)
    print_matches(doc["similar"]["matches"], False, "nothing similar")
    if "find" in doc:
        out.print(f"find --like {doc['find']['like']}: councils like it first", markup=False)
        print_matches(doc["find"]["matches"], False, "no project matches")
    table = Table(title="observatory topics (pinned index per area, overview)")
    table.add_column("page", overflow="fold")
    table.add_column("title", overflow="fold")
    table.add_column("topic", overflow="fold")
    for page in doc["pages"]:
        table.add_row(Text(page["page"]), Text(page["title"] or ""), Text(page["url"]))
    out.print(table)


def print_challenge_status(report: ChallengeReport) -> None:
    out.print(f"challenges: {report['open']} open, {report['answered']} answered", markup=False)
    for item in report["reply_deleted"]:
        out.print(
            f"challenge {item['topic_id']}: a moderator deleted the bridge's reply (not re-posted)",
            markup=False,
        )
    for failed in report["failed"]:
        out.print(
            f"challenge {failed['topic_id']}: reply failed, retried next pull: {failed['error']}",
            markup=False,
        )


def _print_challenge(challenge: dict[str, Any]) -> None:
    out.print(
        f"\na practitioner opens a challenge: {challenge['title']} ({challenge['topic_url']})",
        markup=False,
    )
    if challenge["reply"] is None:
        out.print(f"no answer ({challenge['status']})", markup=False)
        return
    out.print(
        f"the bridge answers it with one reply ({challenge['requests']} requests):\n",
        markup=False,
    )
    out.print(challenge["reply"], markup=False)


def _print_pictures(found: list[Picture], directory: Path | None) -> None:
    if not found:
        return
    out.print(
        f"\nthe overview topic shows {len(found)} maps and charts: {found[0]['topic_url']}",
        markup=False,
    )
    for entry in found:
        where = entry.get("file") or entry["url"]
        out.print(f"  {entry['alt'][:90]}…\n    {entry['short_url']} → {where}", markup=False)
    if directory is None:
        out.print(
            "  (the demo's forum stops with the demo: `digicanvis demo --pictures DIR` keeps "
            "the pictures, `digicanvis map FILE.png` draws the map of any catalogue)",
            markup=False,
        )
